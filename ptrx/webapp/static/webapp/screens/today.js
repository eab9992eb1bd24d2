// Today: the day's items in order, each exercise logged a session at a time and each
// advice item acknowledged; what is queued on this device counts as done here.
import { ApiError } from "../api.js";
import { formatDate, h, newId } from "../dom.js";
import { painField, painGuide } from "../pain.js";
import { queue } from "../store.js";
import { t } from "../strings.js";
import { submit } from "../sync.js";

export async function todayScreen(ctx) {
  const today = await ctx.load("me/today/");
  const waiting = await queue.all();
  const pending = (prescription) =>
    waiting.filter((entry) => entry.body.prescription === prescription && entry.body.date === today.date).length;
  const items = today.items.map((item) => ({ ...item, pending: pending(item.prescription) }));
  const exercises = items.filter((item) => item.kind === "exercise");
  const left = exercises.reduce(
    (sum, item) => sum + Math.max(0, item.sessions_per_day - item.sessions_done - item.pending),
    0,
  );
  const heading = [h("h1", {}, t.today), h("p", { class: "lead" }, formatDate(today.date))];
  if (!today.plan) return [...heading, h("p", {}, t.noPlan)];
  if (items.length === 0) return [...heading, h("p", {}, t.restDay)];
  const summary =
    exercises.length > 0 && left === 0
      ? h("div", { class: "done-banner" }, h("p", { class: "done-title" }, t.allDone), h("p", {}, t.allDoneMore))
      : h("p", {}, t.estimated(today.estimated_minutes), " ", t.leftToday(left));
  return [
    ...heading,
    summary,
    painGuide(),
    h("div", { class: "items" }, items.map((item) => itemCard(item, today.date, ctx))),
  ];
}

function list(title, entries, tag = "ul") {
  if (!entries || entries.length === 0) return null;
  return [h("h3", {}, title), h(tag, {}, entries.map((entry) => h("li", {}, entry)))];
}

function itemCard(item, date, ctx) {
  const exercise = item.exercise;
  const headingId = newId("item");
  const isAdvice = item.kind === "advice";
  const done = item.sessions_done + item.pending;
  const finished = done >= item.sessions_per_day;
  const actions = h("div", { class: "actions" });
  const card = h(
    "article",
    { class: `card${finished ? " card-done" : ""}`, "aria-labelledby": headingId },
    h("h2", { id: headingId }, exercise.name),
    isAdvice ? h("p", { class: "tag" }, t.advice) : h("p", { class: "dose" }, t.dose(item)),
    h("p", {}, exercise.summary),
    isAdvice ? null : h("p", { class: "sessions" }, t.sessionsDone(Math.min(done, item.sessions_per_day), item.sessions_per_day)),
    item.pending > 0 ? h("p", { class: "pending" }, t.savedOnDevice) : null,
    h(
      "details",
      { class: "how" },
      h("summary", {}, t.howTo),
      list(t.steps, exercise.instructions, "ol"),
      list(t.cues, exercise.cues),
      list(t.cautions, exercise.cautions),
      exercise.equipment ? h("p", {}, t.equipment(exercise.equipment)) : null,
    ),
    exercise.regression
      ? h("p", { class: "easier" }, t.easierVersion(exercise.regression.name), h("br"), h("small", {}, t.easierHint))
      : null,
    actions,
  );
  if (finished) {
    actions.append(h("p", { class: "finished" }, isAdvice ? t.read : t.doneForToday));
  } else if (isAdvice) {
    const button = h("button", { type: "button" }, t.markRead);
    button.addEventListener("click", async () => {
      button.disabled = true;
      await send(ctx, (message) => actions.append(h("p", { class: "error", role: "alert" }, message)), {
        kind: "acknowledgement",
        label: t.queuedAcknowledgement(exercise.name, formatDate(date)),
        path: "me/completions/",
        body: { prescription: item.prescription, date },
      });
      button.disabled = false;
    });
    actions.append(button);
  } else {
    const button = h("button", { type: "button" }, t.logSession);
    button.addEventListener("click", () => {
      button.hidden = true;
      const form = sessionForm(item, date, done + 1, ctx, actions, () => {
        form.remove();
        button.hidden = false;
        button.focus();
      });
      actions.append(form);
      form.querySelector("input").focus();
    });
    actions.append(button);
  }
  return card;
}

function sessionForm(item, date, session, ctx, actions, close) {
  const setsId = newId("sets");
  const effortId = newId("effort");
  const sets = h("input", { id: setsId, name: "sets_done", type: "number", inputmode: "numeric", min: 0, max: 100, required: true, value: item.sets });
  const pain = painField({ label: t.painDuring, name: "pain_during" });
  const effort = h("input", { id: effortId, name: "effort", type: "number", inputmode: "numeric", min: 0, max: 10 });
  const error = h("p", { class: "error", role: "alert" });
  const form = h(
    "form",
    { class: "log-form", novalidate: true },
    h("div", { class: "field" }, h("label", { for: setsId }, t.setsDone), sets),
    pain.element,
    h("div", { class: "field" }, h("label", { for: effortId }, t.effort), effort),
    error,
    h("div", { class: "buttons" }, h("button", { type: "submit" }, t.save), h("button", { type: "button", class: "secondary", onclick: close }, t.cancel)),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const painValue = Number(pain.input.value);
    if (sets.value === "" || !sets.checkValidity()) {
      error.textContent = t.setsRequired;
      sets.focus();
      return;
    }
    if (pain.input.value === "" || !pain.input.checkValidity() || !Number.isInteger(painValue)) {
      error.textContent = t.painRequired;
      pain.input.focus();
      return;
    }
    const body = { prescription: item.prescription, date, session, sets_done: Number(sets.value), pain_during: painValue };
    if (effort.value !== "") body.effort = Number(effort.value);
    await send(ctx, (message) => { error.textContent = message; }, {
      kind: "completion",
      label: t.queuedCompletion(item.exercise.name, formatDate(date)),
      path: "me/completions/",
      body,
    });
  });
  return form;
}

async function send(ctx, showError, entry) {
  try {
    await submit(entry);
  } catch (error) {
    showError(error instanceof ApiError ? error.describe() : t.loadFailed);
    return;
  }
  await ctx.rerender();
}
