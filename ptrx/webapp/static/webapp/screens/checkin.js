// Check-in: pain now, pain this morning, a flare, and the four emergency questions
// (CLINICAL.md §5). A yes to any of them shows the urgent-care screen at once, before
// and whatever the network answers; the server decides again when the check-in arrives.
import { ApiError } from "../api.js";
import { formatDate, h, newId } from "../dom.js";
import { painField, painGuide } from "../pain.js";
import { t } from "../strings.js";
import { submit } from "../sync.js";
import { EMERGENCY_QUESTIONS } from "../questions.js";

export function checkInScreen(ctx) {
  const painNow = painField({ label: t.painNow, name: "pain_now" });
  const painMorning = painField({ label: t.painMorning, name: "pain_next_morning", required: false });
  const flareId = newId("flare");
  const flare = h("input", { id: flareId, type: "checkbox", name: "flare", "aria-describedby": `${flareId}-hint` });
  const error = h("p", { class: "error", role: "alert" });
  const questions = EMERGENCY_QUESTIONS.map(({ code, question }) => {
    const name = newId(code);
    const legendId = `${name}-legend`;
    const radio = (value, label) => {
      const id = `${name}-${value}`;
      return h("div", { class: "choice" }, h("input", { id, type: "radio", name, value }), h("label", { for: id }, label));
    };
    return {
      code,
      name,
      element: h(
        "fieldset",
        { class: "question", "aria-labelledby": legendId },
        h("legend", { id: legendId }, question),
        h("div", { class: "choices" }, radio("yes", t.yes), radio("no", t.no)),
      ),
    };
  });
  const form = h(
    "form",
    { class: "checkin", novalidate: true },
    painNow.element,
    painMorning.element,
    h("div", { class: "field check" }, flare, h("label", { for: flareId }, t.flare)),
    h("p", { id: `${flareId}-hint`, class: "hint" }, t.flareHint),
    questions.map((question) => question.element),
    error,
    h("button", { type: "submit" }, t.sendCheckIn),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    const answers = {};
    for (const question of questions) {
      const chosen = form.querySelector(`input[name="${question.name}"]:checked`);
      if (!chosen) {
        error.textContent = t.answerAll;
        question.element.querySelector("input").focus();
        return;
      }
      answers[question.code] = chosen.value === "yes";
    }
    if (painNow.input.value === "" || !painNow.input.checkValidity()) {
      error.textContent = t.painRequired;
      painNow.input.focus();
      return;
    }
    if (painMorning.input.value !== "" && !painMorning.input.checkValidity()) {
      error.textContent = t.painRequired;
      painMorning.input.focus();
      return;
    }
    const body = {
      date: ctx.localToday(),
      pain_now: Number(painNow.input.value),
      flare: flare.checked,
      red_flags: answers,
      client_id: crypto.randomUUID(),
    };
    if (painMorning.input.value !== "") body.pain_next_morning = Number(painMorning.input.value);
    const emergency = Object.values(answers).some(Boolean);
    // Shown before anything is sent: this must not wait for the network.
    const notice = emergency ? urgentScreen(ctx, t.urgentCareHeading, t.urgentCareText) : null;
    let result;
    try {
      result = await submit({ kind: "checkin", label: t.queuedCheckIn(formatDate(body.date)), path: "me/checkins/", body });
    } catch (failure) {
      if (notice) notice.remove();
      error.textContent = failure instanceof ApiError ? failure.describe() : t.loadFailed;
      return;
    }
    const action = result.sent ? result.answer.data.action : null;
    if (notice) {
      notice.querySelector(".outcome").textContent = result.sent ? t.urgentSent : t.urgentQueued;
    } else if (action === "contact_therapist") {
      urgentScreen(ctx, t.contactTherapistHeading, [t.contactTherapistText]);
    } else if (action === "seek_urgent_care") {
      urgentScreen(ctx, t.urgentCareHeading, t.urgentCareText);
    } else {
      form.replaceWith(h("p", { class: "confirm", role: "status" }, result.sent ? t.checkInSent : t.checkInSaved));
    }
  });
  return [h("h1", {}, t.checkInHeading), h("p", {}, t.checkInIntro), painGuide(), form];
}

// A full-screen notice that takes the focus until the patient leaves it.
function urgentScreen(ctx, heading, paragraphs) {
  const headingId = newId("urgent");
  const screen = h(
    "div",
    { class: "urgent", role: "alertdialog", "aria-modal": "true", "aria-labelledby": headingId, tabindex: "-1" },
    h("div", { class: "urgent-inner" },
      h("h1", { id: headingId }, heading),
      paragraphs.map((text) => h("p", {}, text)),
      h("p", { class: "outcome" }),
      h("button", { type: "button", class: "secondary", onclick: () => {
        screen.remove();
        document.body.classList.remove("has-urgent");
        ctx.go("today");
      } }, t.backToApp),
    ),
  );
  document.body.append(screen);
  document.body.classList.add("has-urgent");
  window.scrollTo(0, 0);
  screen.focus();
  return screen;
}
