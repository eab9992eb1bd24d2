// Charts drawn as SVG, each with a text equivalent: a one-line summary the chart is
// described by, and the numbers in a table.
import { formatShortDate, h, newId, svg } from "./dom.js";
import { t } from "./strings.js";

const WIDTH = 320;
const HEIGHT = 160;
const PAD = { left: 28, right: 8, top: 8, bottom: 24 };
// The pain scale's zones (CLINICAL.md §4: 0-3, 4-5, 6-10) behind the lines; ratings are
// whole numbers, so each band reaches half-way to the next zone's first one.
const ZONES = [
  { from: 0, to: 3.5, colour: "green" },
  { from: 3.5, to: 5.5, colour: "amber" },
  { from: 5.5, to: 10, colour: "red" },
];

// `series`: [{name, className, points: [{date, value}]}] over the days `dates`.
export function painChart(title, dates, series) {
  const titleId = newId("chart");
  const descId = `${titleId}-desc`;
  const x = (index) => PAD.left + (index * (WIDTH - PAD.left - PAD.right)) / Math.max(1, dates.length - 1);
  const y = (value) => PAD.top + ((10 - value) * (HEIGHT - PAD.top - PAD.bottom)) / 10;
  const summary = series.map((line) => {
    const last = line.points[line.points.length - 1];
    return t.chartSummary(line.name, line.points.length, last ? last.value : null);
  }).join(" ");
  const chart = svg(
    "svg",
    { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: "img", "aria-labelledby": `${titleId} ${descId}`, class: "chart" },
    svg("title", { id: titleId }, title),
    svg("desc", { id: descId }, summary),
    ZONES.map((zone) => svg("rect", {
      class: `band band-${zone.colour}`, x: PAD.left, width: WIDTH - PAD.left - PAD.right,
      y: y(zone.to), height: y(zone.from) - y(zone.to),
    })),
    [0, 5, 10].map((value) => svg("text", { class: "axis", x: PAD.left - 6, y: y(value) + 4, "text-anchor": "end" }, String(value))),
    [0, dates.length - 1].map((index) => svg("text", { class: "axis", x: x(index), y: HEIGHT - 6, "text-anchor": index === 0 ? "start" : "end" }, formatShortDate(dates[index]))),
    series.map((line) => {
      const points = line.points.map((point) => [x(dates.indexOf(point.date)), y(point.value)]);
      return svg("g", { class: line.className },
        points.length > 1 ? svg("polyline", { points: points.map((p) => p.join(",")).join(" ") }) : null,
        points.map(([cx, cy]) => svg("circle", { cx, cy, r: 3 })));
    }),
  );
  const legend = h("ul", { class: "legend" }, series.map((line) => h("li", { class: line.className }, line.name)));
  const table = h("details", {}, h("summary", {}, t.showTable), h("table", {},
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, t.date), series.map((line) => h("th", { scope: "col" }, line.name)))),
    h("tbody", {}, dates.filter((date) => series.some((line) => line.points.some((p) => p.date === date))).map((date) =>
      h("tr", {}, h("th", { scope: "row" }, formatShortDate(date)), series.map((line) => {
        const point = line.points.find((p) => p.date === date);
        return h("td", {}, point ? String(point.value) : "–");
      })))),
  ));
  return h("figure", { class: "chart-figure" }, chart, h("figcaption", {}, legend, h("p", {}, summary)), table);
}

// A bar from 0 to 100 %, with the sentence it stands for.
export function percentBar(label, percent, sentence) {
  return h("div", { class: "bar-row" },
    h("p", {}, sentence),
    svg("svg", { viewBox: "0 0 100 8", class: "bar", role: "img", "aria-label": `${label}: ${percent}%`, preserveAspectRatio: "none" },
      svg("rect", { class: "bar-track", x: 0, y: 0, width: 100, height: 8 }),
      svg("rect", { class: `bar-fill${percent >= 80 ? " bar-good" : ""}`, x: 0, y: 0, width: Math.min(100, percent), height: 8 })));
}
