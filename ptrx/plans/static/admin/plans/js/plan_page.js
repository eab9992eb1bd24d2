// The plan page (issue 18): reorder a phase's saved rows by dragging them by a handle.
// Progressive enhancement over the order numbers: after a drop the rows of that phase
// are numbered 1..n in their new order, and saving the page saves the order as typing
// the numbers would. Without this script the order numbers still work.
"use strict";
(function () {
  function renumber(body) {
    let position = 1;
    for (const row of body.querySelectorAll("tr.ptrx-saved")) {
      const order = row.querySelector("input[name$='-order']");
      if (order) {
        order.value = String(position);
      }
      position += 1;
    }
  }

  function enable(body) {
    let dragged = null;
    for (const row of body.querySelectorAll("tr.ptrx-saved")) {
      const cell = row.querySelector("td.original");
      const handle = document.createElement("span");
      handle.className = "ptrx-drag-handle";
      handle.textContent = "\u2630";
      handle.title = "Drag to reorder (or type the order number)";
      handle.setAttribute("aria-hidden", "true");
      cell.prepend(handle);
      // Only the handle starts a drag, so the row's fields still select text.
      handle.addEventListener("mousedown", () => { row.draggable = true; });
      row.addEventListener("dragstart", (event) => {
        dragged = row;
        row.classList.add("ptrx-dragging");
        event.dataTransfer.effectAllowed = "move";
        event.dataTransfer.setData("text/plain", "");
      });
      row.addEventListener("dragend", () => {
        row.classList.remove("ptrx-dragging");
        row.draggable = false;
        dragged = null;
      });
    }
    body.addEventListener("dragover", (event) => {
      if (dragged === null) {
        return;
      }
      event.preventDefault();
      const target = event.target.closest("tr.ptrx-saved");
      if (target === null || target === dragged || target.parentElement !== body) {
        return;
      }
      const box = target.getBoundingClientRect();
      const after = event.clientY > box.top + box.height / 2;
      body.insertBefore(dragged, after ? target.nextSibling : target);
    });
    body.addEventListener("drop", (event) => {
      if (dragged === null) {
        return;
      }
      event.preventDefault();
      renumber(body);
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    for (const body of document.querySelectorAll("tbody.ptrx-rows")) {
      enable(body);
    }
  });

  // The admin's autocomplete (select2) leaves an empty exercise box without a name for
  // screen readers; once it has drawn the boxes (in a jQuery ready handler registered
  // before this one), name each after its column.
  if (window.django && window.django.jQuery) {
    window.django.jQuery(() => {
      for (const box of document.querySelectorAll(".ptrx-prescriptions .select2-selection__rendered")) {
        box.setAttribute("aria-label", "Exercise");
      }
    });
  }
})();
