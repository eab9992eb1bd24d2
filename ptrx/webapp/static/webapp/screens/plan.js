// Plan: the phases with their goals, the current one marked, and what the next one asks.
import { formatDate, h } from "../dom.js";
import { t } from "../strings.js";

export async function planScreen(ctx) {
  const plans = await ctx.load("me/plans/");
  const summary = plans.results.find((plan) => plan.status === "active" || plan.status === "paused") || plans.results[0];
  if (!summary) return [h("h1", {}, t.planHeading), h("p", {}, t.noPlanYet)];
  const plan = await ctx.load(`me/plans/${summary.id}/`);
  const current = plan.phases.find((phase) => phase.status === "current");
  const next = current ? plan.phases.find((phase) => phase.number === current.number + 1) : null;
  return [
    h("h1", {}, t.planHeading),
    h("p", { class: "lead" }, plan.title),
    h("p", {}, `${t.planStatus[plan.status] || plan.status}. ${t.startedOn(formatDate(plan.start_date))}`),
    next ? h("section", { class: "card next", "aria-labelledby": "next-phase" },
      h("h2", { id: "next-phase" }, t.nextPhase),
      h("p", {}, h("strong", {}, t.phaseTitle(next.number, next.name)), " ", next.goal),
      exerciseList(next, current)) : null,
    h("ol", { class: "phases" }, plan.phases.map((phase) => phaseItem(phase))),
  ];
}

function names(phase) {
  return [...new Set(phase.prescriptions.map((prescription) => prescription.exercise.name))];
}

function exerciseList(phase, previous) {
  const before = new Set(previous ? names(previous) : []);
  const added = names(phase).filter((name) => !before.has(name));
  return added.length ? h("ul", {}, added.map((name) => h("li", {}, name))) : null;
}

function phaseItem(phase) {
  const current = phase.status === "current";
  return h(
    "li",
    { class: `card phase phase-${phase.status}`, "aria-current": current ? "step" : null },
    h("h2", {}, t.phaseTitle(phase.number, phase.name), " ", h("span", { class: "badge" }, t.phaseStatus[phase.status])),
    h("p", {}, h("strong", {}, `${t.goal}: `), phase.goal),
    h("h3", {}, t.exercisesInPhase),
    h("ul", {}, names(phase).map((name) => h("li", {}, name))),
  );
}
