// The 0-10 pain scale's traffic light (CLINICAL.md §4): 0-3 green, 4-5 amber, 6-10 red.
import { h, newId } from "./dom.js";
import { t } from "./strings.js";

export function painZone(value) {
  if (value <= 3) return "green";
  if (value <= 5) return "amber";
  return "red";
}

// A number field for a 0-10 rating, with the zone of its value said in words beside it.
export function painField({ label, name, required = true, value = "" }) {
  const id = newId(name);
  const hintId = `${id}-zone`;
  const input = h("input", {
    id, name, type: "number", inputmode: "numeric", min: 0, max: 10, step: 1, required, value,
    "aria-describedby": hintId,
  });
  const zone = h("p", { id: hintId, class: "zone", "aria-live": "polite" });
  const update = () => {
    const number = Number(input.value);
    if (input.value === "" || !Number.isInteger(number) || number < 0 || number > 10) {
      zone.className = "zone";
      zone.textContent = "";
      return;
    }
    const colour = painZone(number);
    zone.className = `zone zone-${colour}`;
    zone.textContent = t.painZones[colour].text;
  };
  input.addEventListener("input", update);
  update();
  return { input, element: h("div", { class: "field" }, h("label", { for: id }, label), input, zone) };
}

export function painGuide() {
  return h(
    "details",
    { class: "pain-guide" },
    h("summary", {}, t.painGuide),
    h(
      "ul",
      {},
      ["green", "amber", "red"].map((colour) =>
        h("li", { class: `zone zone-${colour}` }, h("strong", {}, t.painZones[colour].name), " ", t.painZones[colour].text),
      ),
    ),
  );
}
