// A small SVG chart of a contract's outstanding balance over the month, as steps.
import { minor } from "./format.js";

const NS = "http://www.w3.org/2000/svg";

function s(tag, attrs = {}, text) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  if (text !== undefined) el.textContent = text;
  return el;
}

// points: [{day: 1..31, value: minor units}] in order, the balance after each change;
// start: the balance on the 1st; days: days in the month; limit: the credit limit.
export function outstandingChart({ start, points, days, limit, currency, digits, title }) {
  const W = 640, H = 220, L = 90, R = 16, T = 16, B = 32;
  const max = Math.max(limit, start, ...points.map((p) => p.value), 1);
  const x = (day) => L + ((day - 1) / Math.max(days - 1, 1)) * (W - L - R);
  const y = (v) => T + (1 - v / max) * (H - T - B);
  const svg = s("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", class: "chart", "aria-labelledby": "chart-title chart-desc" });
  svg.append(s("title", { id: "chart-title" }, title));
  const last = points.length ? points[points.length - 1].value : start;
  svg.append(s("desc", { id: "chart-desc" },
    `From ${minor(start, currency, digits)} on the 1st to ${minor(last, currency, digits)}, ` +
    `${points.length} changes; credit limit ${minor(limit, currency, digits)}.`));
  for (const v of [0, max / 2, max]) {
    svg.append(s("line", { x1: L, x2: W - R, y1: y(v), y2: y(v), class: "grid" }));
    svg.append(s("text", { x: L - 6, y: y(v) + 4, "text-anchor": "end", class: "axis" }, minor(Math.round(v), currency, digits)));
  }
  for (const d of [1, Math.ceil(days / 2), days]) {
    svg.append(s("text", { x: x(d), y: H - 10, "text-anchor": "middle", class: "axis" }, String(d)));
  }
  svg.append(s("line", { x1: L, x2: W - R, y1: y(limit), y2: y(limit), class: "limit" }));
  svg.append(s("text", { x: W - R, y: y(limit) - 4, "text-anchor": "end", class: "axis" }, "limit"));
  let d = `M ${x(1)} ${y(start)}`;
  let prev = start;
  for (const p of points) {
    d += ` H ${x(p.day)} V ${y(p.value)}`;
    prev = p.value;
  }
  const todayDay = Math.min(new Date().getDate(), days);
  d += ` H ${x(todayDay)}`;
  svg.append(s("path", { d, class: "line" }));
  svg.append(s("circle", { cx: x(todayDay), cy: y(prev), r: 3.5, class: "dot" }));
  return svg;
}
