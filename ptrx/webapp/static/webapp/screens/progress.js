// Progress: sessions done over 7 and 28 days, and pain during exercise and the next
// morning over 28 days.
import { addDays, h } from "../dom.js";
import { percentBar, painChart } from "../charts.js";
import { t } from "../strings.js";

const DAYS = 28;

export async function progressScreen(ctx) {
  const [week, month] = await Promise.all([ctx.load("me/adherence/?days=7"), ctx.load(`me/adherence/?days=${DAYS}`)]);
  const dates = Array.from({ length: DAYS }, (_, index) => addDays(month.from, index));
  const [completions, checkins] = await Promise.all([
    ctx.loadAll(`me/completions/?from=${month.from}&to=${month.to}`),
    ctx.loadAll("me/checkins/", 2),
  ]);
  const during = new Map();
  for (const completion of completions) {
    if (completion.pain_during === null) continue; // advice: never scored
    during.set(completion.date, Math.max(during.get(completion.date) ?? 0, completion.pain_during));
  }
  const morning = new Map();
  for (const checkin of checkins) {
    if (checkin.pain_next_morning !== null && checkin.date >= month.from && !morning.has(checkin.date)) {
      morning.set(checkin.date, checkin.pain_next_morning);
    }
  }
  const points = (values) => dates.filter((date) => values.has(date)).map((date) => ({ date, value: values.get(date) }));
  return [
    h("h1", {}, t.progressHeading),
    h("section", { class: "card", "aria-labelledby": "adherence" },
      h("h2", { id: "adherence" }, t.adherenceHeading),
      [[7, week], [DAYS, month]].map(([days, summary]) =>
        percentBar(t.adherenceHeading, summary.percent, t.adherenceLine(days, summary.completed, summary.prescribed, summary.percent))),
      h("p", {}, t.streak(week.streak_days))),
    h("section", { class: "card", "aria-labelledby": "pain-chart" },
      h("h2", { id: "pain-chart" }, t.painChartHeading),
      painChart(t.painChartHeading, dates, [
        { name: t.painDuringSeries, className: "series-during", points: points(during) },
        { name: t.painMorningSeries, className: "series-morning", points: points(morning) },
      ])),
  ];
}
