// SVG charts drawn here: a yearly chart of demand (with its low-high band) against places,
// and a scatter with the Pareto front joined up. Axes with rounded ticks; <title> tooltips.
import { svgEl } from "./map.js";

const W = 720, H = 340, M = { l: 70, r: 20, t: 20, b: 44 };

function niceStep(span, ticks = 5) {
  const raw = span / ticks;
  const mag = 10 ** Math.floor(Math.log10(raw || 1));
  return [1, 2, 2.5, 5, 10].map((f) => f * mag).find((s) => s >= raw) || mag * 10;
}

function axes(svg, x0, x1, y0, y1, { xLabel, yLabel, xFmt = String, yFmt = String }) {
  const sx = (v) => M.l + ((v - x0) / (x1 - x0 || 1)) * (W - M.l - M.r);
  const sy = (v) => H - M.b - ((v - y0) / (y1 - y0 || 1)) * (H - M.t - M.b);
  const g = svgEl("g", { class: "axes" });
  const ys = niceStep(y1 - y0);
  for (let v = Math.ceil(y0 / ys) * ys; v <= y1 + 1e-9; v += ys) {
    g.append(svgEl("line", { x1: M.l, x2: W - M.r, y1: sy(v), y2: sy(v), class: "grid" }));
    const t = svgEl("text", { x: M.l - 6, y: sy(v) + 4, "text-anchor": "end" });
    t.textContent = yFmt(v);
    g.append(t);
  }
  const xs = niceStep(x1 - x0, 6);
  for (let v = Math.ceil(x0 / xs) * xs; v <= x1 + 1e-9; v += xs) {
    const t = svgEl("text", { x: sx(v), y: H - M.b + 18, "text-anchor": "middle" });
    t.textContent = xFmt(v);
    g.append(t);
  }
  const xl = svgEl("text", { x: (M.l + W - M.r) / 2, y: H - 6, "text-anchor": "middle", class: "axis-label" });
  xl.textContent = xLabel;
  const yl = svgEl("text", { x: 14, y: (M.t + H - M.b) / 2, "text-anchor": "middle", class: "axis-label",
    transform: `rotate(-90 14 ${(M.t + H - M.b) / 2})` });
  yl.textContent = yLabel;
  g.append(svgEl("line", { x1: M.l, x2: W - M.r, y1: H - M.b, y2: H - M.b, class: "axis" }), xl, yl);
  svg.append(g);
  return { sx, sy };
}

function frame(label) {
  return svgEl("svg", { class: "chart", viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": label });
}

// rows: [{year, demand, low, high, places}]
export function demandChart(rows, label) {
  const svg = frame(label);
  const top = Math.max(...rows.map((r) => Math.max(r.high, r.places))) * 1.08;
  const { sx, sy } = axes(svg, rows[0].year - 0.5, rows[rows.length - 1].year + 0.5, 0, top,
    { xLabel: "Year", yLabel: "Children / places", xFmt: (v) => String(Math.round(v)), yFmt: (v) => v.toLocaleString("en-GB") });
  const line = (key) => rows.map((r, i) => `${i ? "L" : "M"}${sx(r.year).toFixed(1)} ${sy(r[key]).toFixed(1)}`).join("");
  const band = line("high") + rows.slice().reverse().map((r) => `L${sx(r.year).toFixed(1)} ${sy(r.low).toFixed(1)}`).join("") + "Z";
  svg.append(svgEl("path", { d: band, class: "band" }));
  svg.append(svgEl("path", { d: line("places"), class: "series places" }));
  svg.append(svgEl("path", { d: line("demand"), class: "series demand" }));
  for (const r of rows) {
    svg.append(svgEl("circle", { cx: sx(r.year), cy: sy(r.demand), r: 4, class: `dot demand${r.demand > r.places ? " short" : ""}` },
      `${r.year}: demand ${r.demand.toFixed(0)} (${r.low.toFixed(0)}–${r.high.toFixed(0)}), places ${r.places.toFixed(0)}`));
    svg.append(svgEl("circle", { cx: sx(r.year), cy: sy(r.places), r: 3.5, class: "dot places" }));
  }
  return svg;
}

// points: [{x, y, pareto, text}]. With `readout` (an element), the chart takes the keyboard:
// arrow keys step through the points by x, and the point under the pointer or the key is
// ringed and its text shown in the readout.
export function scatter(points, { label, xLabel, yLabel, xFmt, yFmt, readout = null }) {
  const svg = frame(label);
  const xsv = points.map((p) => p.x), ysv = points.map((p) => p.y);
  const pad = (lo, hi) => { const d = (hi - lo) * 0.08 || Math.abs(hi) * 0.05 || 1; return [lo - d, hi + d]; };
  const [x0, x1] = pad(Math.min(...xsv), Math.max(...xsv));
  const [y0, y1] = pad(Math.min(...ysv), Math.max(...ysv));
  const { sx, sy } = axes(svg, x0, x1, y0, y1, { xLabel, yLabel, xFmt, yFmt });
  const front = points.filter((p) => p.pareto).sort((a, b) => a.x - b.x);
  if (front.length > 1) {
    svg.append(svgEl("path", { d: front.map((p, i) => `${i ? "L" : "M"}${sx(p.x).toFixed(1)} ${sy(p.y).toFixed(1)}`).join(""), class: "front" }));
  }
  const circles = points.map((p) => svgEl("circle", { cx: sx(p.x), cy: sy(p.y), r: p.pareto ? 6 : 4.5, class: `point${p.pareto ? " pareto" : ""}` }, p.text));
  svg.append(...circles);
  if (readout) pointByPoint(svg, points, circles, readout);
  return svg;
}

function pointByPoint(svg, points, circles, readout) {
  svg.setAttribute("tabindex", "0");
  svg.setAttribute("role", "application");  // the arrow keys are the chart's
  svg.setAttribute("aria-roledescription", "scatter chart");
  svg.setAttribute("aria-label", `${svg.getAttribute("aria-label")}: arrow keys step through the points`);
  const order = points.map((_, i) => i).sort((a, b) => points[a].x - points[b].x || points[a].y - points[b].y);
  let at = -1;
  const show = (i) => {
    if (at >= 0) circles[at].classList.remove("current");
    at = i;
    circles[i].classList.add("current");
    readout.textContent = points[i].text;
  };
  circles.forEach((circle, i) => circle.addEventListener("mouseenter", () => show(i)));
  svg.addEventListener("keydown", (event) => {
    const by = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 }[event.key];
    if (!by || !order.length) return;
    event.preventDefault();
    const pos = order.indexOf(at);
    show(order[pos < 0 ? (by > 0 ? 0 : order.length - 1) : (pos + by + order.length) % order.length]);
  });
}
