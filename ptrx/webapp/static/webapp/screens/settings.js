// Settings: reminder time, time zone (the device's own proposed), reminders on or off.
import { ApiError, request } from "../api.js";
import { h } from "../dom.js";
import { t } from "../strings.js";

export function settingsScreen(ctx) {
  const me = ctx.me;
  const device = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const zones = typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];
  const time = h("input", { id: "reminder-time", name: "reminder_time", type: "time", required: true, value: me.reminder_time });
  const zone = h("input", { id: "time-zone", name: "timezone", type: "text", list: "zones", autocomplete: "off", required: true, value: me.timezone, "aria-describedby": "zone-hint" });
  const reminders = h("input", { id: "reminders", name: "reminders_enabled", type: "checkbox", checked: me.reminders_enabled });
  const message = h("p", { role: "status", class: "confirm" });
  const errors = h("div", { role: "alert", class: "error" });
  const useDevice = device && device !== me.timezone
    ? h("button", { type: "button", class: "secondary", onclick: () => { zone.value = device; zone.focus(); } }, t.useDeviceZone)
    : null;
  const form = h(
    "form",
    { novalidate: true },
    h("div", { class: "field" }, h("label", { for: "reminder-time" }, t.reminderTime), time),
    h("div", { class: "field" }, h("label", { for: "time-zone" }, t.timeZone), zone,
      h("datalist", { id: "zones" }, zones.map((name) => h("option", { value: name }))),
      h("p", { id: "zone-hint", class: "hint" }, device ? t.deviceZone(device) : ""), useDevice),
    h("div", { class: "field check" }, reminders, h("label", { for: "reminders" }, t.sendReminders)),
    errors,
    h("button", { type: "submit" }, t.saveSettings),
    message,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    message.textContent = "";
    errors.replaceChildren();
    try {
      const answer = await request("PATCH", "me/", {
        reminder_time: time.value.slice(0, 5),
        timezone: zone.value.trim(),
        reminders_enabled: reminders.checked,
      });
      ctx.setMe(answer.data);
      message.textContent = t.settingsSaved;
    } catch (error) {
      if (error instanceof ApiError && error.status === 400) {
        for (const [field, problems] of Object.entries(error.body || {})) {
          const label = { reminder_time: t.reminderTime, timezone: t.timeZone, reminders_enabled: t.sendReminders }[field] || field;
          errors.append(h("p", {}, `${label}: ${[problems].flat().join(" ")}`));
        }
      } else {
        errors.append(h("p", {}, navigator.onLine ? t.loadFailed : t.settingsOffline));
      }
    }
  });
  return [h("h1", {}, t.settingsHeading), h("p", {}, t.signedInAs(me.first_name || me.username)), form];
}
