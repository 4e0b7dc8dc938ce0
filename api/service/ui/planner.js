// The planner's view: a forecast job's demand against places per year (all needs or one), an
// expansion job's options (chosen or not, with their marginal value), and a sweep job's
// variants as a scatter of cost against journey time with the Pareto front; expansion and sweep
// jobs started from the page (planner_jobs.js) are shown when they finish.
import { finishedJobs, getJson } from "./api.js";
import { el, gbp, num, jobLabel, select, table, setStatus, showError } from "./dom.js";
import { demandChart, scatter } from "./charts.js";
import { replanForm } from "./replan.js";
import { planningJobs } from "./planner_jobs.js";
import { gettingStarted } from "./start.js";

export async function showPlanner(root, me) {
  root.replaceChildren(el("h2", {}, "Planner"), el("p", { class: "muted" }, "Loading jobs…"));
  const [jobs, scenarios] = await Promise.all([finishedJobs(["forecast", "expansion", "sweep"]),
    getJson("/scenarios?limit=200").then((page) => page.items).catch(() => [])]);
  // A job started here that finished: the view again, with that job chosen in its section.
  const shown = async (job) => {
    await showPlanner(root, me);
    const picker = root.querySelector(`#planner-${job.kind}`);
    if (!picker) return;
    picker.value = job.id;
    picker.dispatchEvent(new Event("change"));
    setStatus(`The ${job.kind} job finished: its results are shown.`);
  };
  const sections = [["forecast", "Forecast: demand and places", forecastSection],
    ["expansion", "Expansion options", expansionSection], ["sweep", "Sweep: cost against journey time", sweepSection]];
  const names = Object.fromEntries(scenarios.map((s) => [s.id, s.name]));
  root.replaceChildren(el("h2", {}, "Planner"), planningJobs(me, scenarios, shown) || "");
  for (const [kind, title, draw] of sections) {
    const mine = jobs.filter((j) => j.kind === kind);
    const body = el("div");
    const card = el("section", { class: "card", "aria-label": title }, el("h3", {}, title), body);
    root.append(card);
    if (!mine.length) {
      body.append(el("p", {}, `No finished ${kind} jobs yet.`));
      if (kind === "forecast") {
        body.append(await gettingStarted(me, { kind, what: "demand against places, year by year", noIterations: true,
          extra: { years: "2026-2031" }, onDone: (job) => (job ? shown(job) : showPlanner(root, me)) }));
      } else if (me.actions.includes(`job.${kind}`)) {
        body.append(el("p", { class: "muted" }, "Start one under Planning jobs above."));
      }
      continue;
    }
    const area = el("div");
    const open = (id) => draw(area, mine.find((j) => j.id === id)).catch((error) => showError(area, error));
    body.append(el("div", { class: "filters" }, select(`planner-${kind}`, "Job", mine.map((j) => [j.id, jobLabel(j, names[j.scenario_id])]), open)), area);
    if (kind === "forecast" && me.actions.includes("job.forecast")) {
      body.append(el("details", {}, el("summary", {}, "Run a new forecast on this scenario"),
        replanForm(mine[0].scenario_id, { kind: "forecast", label: "Start forecast", extra: { years: "2026-2031" }, noIterations: true })));
    }
    // What-if entry point (whatif.js): options switched on in a re-solve of a placement plan.
    if (kind === "expansion" && me.actions.includes("job.expansion") && me.actions.includes("job.placement")) {
      body.append(el("p", {}, el("a", { href: "#panel", class: "whatif-link" }, "Try expansion options in a what-if on a placement plan")));
    }
    await open(mine[0].id);
  }
}

async function forecastSection(root, job) {
  const doc = await getJson(`/jobs/${job.id}/files/forecast.json`);
  const needs = [...new Set(doc.sufficiency.map((r) => r.need))].filter((n) => n !== "all").sort();
  const chartArea = el("div");
  const draw = (need) => {
    const years = new Map();
    for (const r of doc.sufficiency) {
      if (need ? r.need !== need : r.need !== "all") continue;
      const y = years.get(r.year) || { year: r.year, demand: 0, low: 0, high: 0, places: 0 };
      y.demand += r.demand; y.low += r.demand_low; y.high += r.demand_high; y.places += r.places;
      years.set(r.year, y);
    }
    const rows = [...years.values()].sort((a, b) => a.year - b.year);
    const short = rows.filter((r) => r.demand > r.places).map((r) => r.year);
    chartArea.replaceChildren(
      demandChart(rows, `Forecast demand against places, ${need || "all needs"}, ${rows[0].year}–${rows[rows.length - 1].year}`),
      el("ul", { class: "legend" },
        el("li", {}, el("span", { class: "swatch line demand", "aria-hidden": "true" }), "Forecast demand (band: low–high)"),
        el("li", {}, el("span", { class: "swatch line places", "aria-hidden": "true" }), "Places")),
      el("p", {}, short.length ? `Demand is above places in ${short.join(", ")}.` : "Places cover the central forecast in every year."));
  };
  root.replaceChildren(el("div", { class: "filters" },
    select("forecast-need", "Need", [["", "All needs"], ...needs.map((n) => [n, n])], draw)), chartArea);
  draw("");
}

// The demand the expansion planned for: its growth rule (jobs before it had one: the trend) and
// each year's factor on the scenario's children.
function demandLine(doc) {
  const years = Object.entries(doc.growth || {}).map(([year, factor]) => `${year} ×${Number(factor).toFixed(3)}`);
  return `Demand growth: ${doc.growth_rule || "trend"} (${years.join(", ")}).`;
}

async function expansionSection(root, job) {
  const doc = await getJson(`/jobs/${job.id}/files/expansion.json`);
  const chosen = doc.chosen || {};
  const rows = doc.options.map((o) => ({ ...o, year: chosen[o.option_id], marginal: (doc.marginal_gbp || {})[o.option_id] }));
  root.replaceChildren(
    el("p", {}, `Cost over the horizon ${gbp(doc.cost_gbp)} against ${gbp(doc.do_nothing_gbp)} doing nothing (saving ${gbp(doc.saving_gbp)}); capital ${gbp(doc.capital_gbp)}.`),
    el("p", { class: "growth" }, demandLine(doc)),
    table([
      { label: "Option", cell: (o) => o.option_id },
      { label: "Name", cell: (o) => o.name || "" },
      { label: "Places", num: true, cell: (o) => o.places },
      { label: "Capital", num: true, cell: (o) => gbp(o.capital_gbp) },
      { label: "Chosen", cell: (o) => (o.year ? `yes, ${o.year}` : "no") },
      { label: "Marginal value", num: true, cell: (o) => (o.marginal === null || o.marginal === undefined ? "–" : gbp(o.marginal)) },
    ], rows, { caption: doc.marginal_meaning || "Options", rowClass: (o) => (o.year ? "chosen" : "") }));
}

// The sweep's variants: cost against mean journey time or against children placed in the
// city (the front is on all three), a point read out by hover or the arrow keys.
const SWEEP_Y = {
  journey: { key: "mean_travel_min", label: "Mean journey (min)", fmt: (v) => v.toFixed(1), of: "mean journey" },
  local: { key: "placed_in_city", label: "Placed in the city (children)", fmt: (v) => Math.round(v).toLocaleString("en-GB"), of: "children placed in the city" },
};

// The axis chosen per sweep job, so that a section drawn again (as the job list refreshes)
// keeps the user's choice instead of going back to journey time.
const sweepAxis = new Map();

async function sweepSection(root, job) {
  const doc = await getJson(`/jobs/${job.id}/files/sweep.json`);
  const chartArea = el("div");
  const readout = el("p", { class: "readout", "aria-live": "polite" }, "Hover a point, or focus the chart and use the arrow keys, for its settings.");
  const draw = (axis) => {
    sweepAxis.set(job.id, axis);
    const y = SWEEP_Y[axis];
    const points = doc.rows.map((r) => ({
      x: r.placement_cost_gbp_per_year, y: Number(r[y.key]), pareto: Boolean(r.pareto),
      text: `${r.variant}: ${gbp(r.placement_cost_gbp_per_year)}, ${num(r.mean_travel_min)} min mean, ${r.placed_in_city} placed in the city` +
        ` (growth ${r.growth}, seed ${r.seed}, options ${r.options})${r.pareto ? "; on the Pareto front" : ""}`,
    }));
    chartArea.replaceChildren(scatter(points, { label: `${points.length} sweep variants, cost against ${y.of}`,
      xLabel: "Placement cost a year (GBP m)", yLabel: y.label, xFmt: (v) => (v / 1e6).toFixed(1), yFmt: y.fmt, readout }));
  };
  const axis = sweepAxis.get(job.id) || "journey";
  const against = select(`sweep-y-${job.id.slice(0, 8)}`, "Against", [["journey", "Mean journey time"], ["local", "Children placed in the city"]], draw);
  against.querySelector("select").value = axis;
  root.replaceChildren(
    el("div", { class: "filters" }, against),
    chartArea, readout,
    el("p", { class: "muted" }, `${doc.rows.filter((r) => r.pareto).length} of ${doc.rows.length} variants on the Pareto front (cost, in-city placements, journey time).`));
  draw(axis);
}

