// Summary figures side by side, one column per job; the baseline's column (the first unless
// ``baseline`` names another index) is marked and the others show their difference from it.
import { el, gbp, num, jobLabel } from "./dom.js";

export const PLACEMENT_KPIS = [
  ["children", "Children", num],
  ["placed", "Placed", num],
  ["unplaced", "Unplaced", num],
  ["placed_in_area", "Placed in the authority", num],
  ["placed_out_of_area", "Placed out of area", num],
  ["first_preference_met", "First preference met", num],
  ["placement_cost_gbp_per_year", "Placement cost a year", gbp],
  ["mean_travel_min", "Mean journey (min)", num],
  ["max_travel_min", "Longest journey (min)", num],
];

export const TRANSPORT_KPIS = [
  ["transported", "Children transported", num],
  ["routes", "Routes (all sessions)", num],  // transport.js names the job's sessions
  ["vehicles", "Vehicles", num],
  ["transport_cost_gbp_per_year", "Transport cost a year", gbp],
  ["transport_cost_basis", "Cost a year from", costBasis],
  ["max_ride_min", "Longest ride (min)", num],
  ["rides_over_limit", "Rides over the limit", num],
  ["solo_routes", "Solo routes", num],
];

// summary.json's transport_cost_basis: "am+pm" (both runs planned) or "am x 2" (one planned,
// the other assumed to cost the same): a year's cost from one session is an estimate.
export function costBasis(basis) {
  if (basis === null || basis === undefined) return "";
  const one = /^(am|pm) x 2$/.exec(basis);
  if (one) {
    const other = one[1] === "am" ? "PM" : "AM";
    return `the ${one[1].toUpperCase()} runs × 2 (estimate: ${other} not planned)`;
  }
  return `${basis.split("+").map((s) => s.toUpperCase()).join(" + ")} runs planned`;
}

export function kpiTable(jobs, summaries, kpis, caption, baseline = 0) {
  const head = el("tr", {}, el("th", { scope: "col" }, "Figure"),
    jobs.map((job, i) => el("th", { scope: "col", class: "num" }, jobLabel(job), i !== baseline || jobs.length < 2 ? "" : " (baseline)")));
  const rows = kpis.filter(([key]) => summaries.some((s) => s[key] !== undefined && s[key] !== null))
    .map(([key, label, fmt]) => el("tr", {}, el("th", { scope: "row" }, label),
      summaries.map((s, i) => {
        const value = s[key];
        const base = summaries[baseline][key];
        const delta = i !== baseline && typeof value === "number" && typeof base === "number" ? value - base : 0;
        return el("td", { class: "num", "data-kpi": key }, fmt(value),
          delta ? el("span", { class: "delta" }, ` (${delta > 0 ? "+" : "−"}${fmt(Math.abs(delta))})`) : null);
      })));
  return el("div", { class: "table-wrap" },
    el("table", { class: "kpis" }, el("caption", {}, caption), el("thead", {}, head), el("tbody", {}, rows)));
}
