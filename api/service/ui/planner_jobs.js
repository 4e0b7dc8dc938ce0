// The planner's jobs from the page: an expansion job (years, optional budget, demand growth as
// `sendplan expand --growth`) and a sweep job
// (a small grid: growth factors, seeds, movers rules, morning routes or not; the keys of
// api/sweep_grid.py), each started on a scenario and watched to the end (replan.js watch).
// Only the forms the key's role may start are offered (GET /me actions); the API checks again.
import { postJson } from "./api.js";
import { el } from "./dom.js";
import { watch } from "./replan.js";

const MAX_VARIANTS = 24;  // a page's sweep stays small: GRID.toml and `sendplan sweep` for more
// api/growth.py's rules, as the CLI's --growth takes them.
const GROWTH_RULES = [["trend", "Trend (3.55% a year, 2019-2025)"], ["forecast", "Forecast"],
  ["forecast-low", "Forecast, low end of its band"], ["forecast-high", "Forecast, high end of its band"]];

function field(id, label, attrs, hint) {
  return el("div", { class: "field" },
    el("label", { for: id }, label, hint ? el("span", { class: "hint" }, hint) : null),
    el("input", { id, ...attrs }));
}

// "1.0, 1.06" as [1, 1.06]; null when any item is not a number.
export function numbers(text, { whole = false } = {}) {
  const items = text.split(/[\s,;]+/).filter(Boolean);
  const values = items.map(Number);
  if (!items.length || values.some((v) => !Number.isFinite(v) || (whole && !Number.isInteger(v)))) return null;
  return [...new Set(values)];
}

// A form that posts `body(form)` as a job on the chosen scenario, then watches it; `body` returns
// the job's params or throws an Error whose message is shown.
function jobForm(kind, label, fields, body, { scenario, onDone }) {
  const progress = el("p", { class: "progress", role: "status", "aria-live": "polite" });
  const button = el("button", { type: "submit", class: "primary" }, label);
  const form = el("form", { id: `${kind}-job-form`, "aria-label": label }, fields, button, progress);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    progress.classList.remove("error");
    let params;
    try {
      params = body(form);
    } catch (error) {
      progress.textContent = error.message;
      progress.classList.add("error");
      return;
    }
    button.disabled = true;
    try {
      const job = await postJson(`/scenarios/${scenario()}/jobs`, { kind, ...params }, { "Idempotency-Key": crypto.randomUUID() });
      const done = await watch(job.id, progress);
      if (done.status === "succeeded") await onDone(done);
    } catch (error) {
      progress.textContent = `Could not start: ${error.message}`;
      progress.classList.add("error");
    } finally {
      button.disabled = false;
    }
  });
  return form;
}

function expansionForm(options) {
  const fields = [
    field("expansion-years", "Years", { type: "text", value: "2026-2031", required: true, pattern: "\\d{4}-\\d{4}", size: "10" }, "first-last"),
    field("expansion-budget", "Capital budget (£)", { type: "number", min: "0", step: "1000" }, "empty: no limit"),
    el("div", { class: "field" },
      el("label", { for: "expansion-growth" }, "Demand growth"),
      el("select", { id: "expansion-growth" }, GROWTH_RULES.map(([value, text]) => el("option", { value }, text)))),
  ];
  return jobForm("expansion", "Start expansion", fields, (form) => {
    const years = form.querySelector("#expansion-years").value.trim();
    const budget = form.querySelector("#expansion-budget").value.trim();
    const growth = form.querySelector("#expansion-growth").value;
    if (!/^\d{4}-\d{4}$/.test(years)) throw new Error("Give the years as first-last, e.g. 2026-2031.");
    return budget === "" ? { years, growth } : { years, budget_gbp: Number(budget), growth };
  }, options);
}

function sweepForm(options) {
  const movers = el("fieldset", {}, el("legend", {}, "Movers"),
    ...[["phase_transfer", "phase transfers", true], ["all", "all children", false]].map(([value, text, checked]) =>
      el("div", { class: "check" }, el("input", { type: "checkbox", id: `sweep-movers-${value}`, value, checked }),
        el("label", { for: `sweep-movers-${value}` }, text))));
  const fields = [
    field("sweep-growth", "Growth factors", { type: "text", value: "1.0, 1.06", required: true, size: "14" }, "e.g. 1.0, 1.06, 1.12"),
    field("sweep-seeds", "Seeds", { type: "text", value: "1, 2", required: true, size: "8" }, "whole numbers"),
    movers,
    el("div", { class: "check" }, el("input", { type: "checkbox", id: "sweep-routes" }),
      el("label", { for: "sweep-routes" }, "Plan the morning routes too (slower)")),
  ];
  return jobForm("sweep", "Start sweep", fields, (form) => {
    const growth = numbers(form.querySelector("#sweep-growth").value);
    const seeds = numbers(form.querySelector("#sweep-seeds").value, { whole: true });
    const rules = [...form.querySelectorAll("fieldset input:checked")].map((box) => box.value);
    if (!growth || growth.some((g) => g <= 0)) throw new Error("Give the growth factors as positive numbers, e.g. 1.0, 1.06.");
    if (!seeds || seeds.some((s) => s < 0)) throw new Error("Give the seeds as whole numbers, e.g. 1, 2.");
    if (!rules.length) throw new Error("Choose at least one movers rule.");
    const variants = growth.length * seeds.length * rules.length;
    if (variants > MAX_VARIANTS) throw new Error(`That makes ${variants} variants; at most ${MAX_VARIANTS} from this page.`);
    return { grid: { growth, seeds, movers: rules, routes: form.querySelector("#sweep-routes").checked } };
  }, options);
}

// The card of planning jobs this key may start, or null. `onDone(job)` shows a finished job.
export function planningJobs(me, scenarios, onDone) {
  const kinds = [["expansion", "Run an expansion (which options to build, and when)", expansionForm],
    ["sweep", "Run a sweep (cost against journey time over a small grid)", sweepForm]]
    .filter(([kind]) => me.actions.includes(`job.${kind}`));
  if (!kinds.length || !scenarios.length) return null;
  const picker = el("select", { id: "planner-scenario" },
    scenarios.map((s) => el("option", { value: s.id }, `${s.name} (${s.children.toLocaleString("en-GB")} children)`)));
  const options = { scenario: () => picker.value, onDone };
  return el("section", { class: "card jobs-forms", "aria-label": "Planning jobs" },
    el("h3", {}, "Planning jobs"),
    el("div", { class: "field" }, el("label", { for: picker.id }, "Scenario"), picker),
    kinds.map(([, summary, make]) => el("details", {}, el("summary", {}, summary), make(options))));
}
