// What-if from the page: lock children at schools, make schools admit, change policy weights
// and (for roles that may run expansion) switch expansion options, then re-solve as a job of
// the base job's kind and settings, watch it, and show its deltas against the base job:
// figures side by side, the children whose school changed, the must-admit notes.
import { getJson, postJson } from "./api.js";
import { el, gbp, num, shortId } from "./dom.js";
import { watch } from "./replan.js";

// Figures the deltas show (the API sends those either job has), with how to write them.
const KPI_LABELS = {
  placement_cost_gbp_per_year: ["Placement cost a year", gbp],
  placed: ["Placed", num],
  placed_in_area: ["Placed in the authority", num],
  placed_out_of_area: ["Placed out of area", num],
  unplaced: ["Unplaced", num],
  mean_travel_min: ["Mean journey (min)", num],
  max_travel_min: ["Longest journey (min)", num],
  first_preference_met: ["First preference met", num],
  transport_cost_gbp_per_year: ["Transport cost a year", gbp],
  routes: ["Routes", num],
};
const WEIGHT_LABELS = {
  weight_placement_cost: "Weight on placement cost",
  travel_gbp_per_min: "Journey (£ a year per minute)",
  preference_gbp_per_rank: "Preference (£ per rank below first)",
  not_preferred_gbp: "Not a preferred school (£)",
  out_of_area_gbp: "Out of area (£)",
  unplaced_gbp: "Unplaced child (£)",
  over_capacity_gbp: "Place over capacity at a must-admit school (£)",
  transport_gbp_per_km: "Transport estimate (£ per km)",
};
// Settings of the base job a what-if keeps, so that only the what-if differs.
const KEPT = ["seed", "iterations", "mode", "movers", "sessions"];

const signed = (value, fmt) => (value === null || value === undefined ? "–"
  : `${value > 0 ? "+" : value < 0 ? "−" : "±"}${fmt(Math.abs(value))}`);

// The what-if card for the base job ``job`` (children from its placements); returns the card
// and lockChild(id), which the placements table's "Lock at…" buttons call.
export function whatIfCard(job, me, children) {
  const card = el("section", { class: "card whatif", "aria-labelledby": "whatif-title" },
    el("h3", { id: "whatif-title" }, "What-if: change and re-solve"),
    el("p", { class: "muted" }, "Loading what can be changed…"));
  // A what-if on a what-if starts from the base's changes (its params.what_if): its locks,
  // must-admit schools, weights and options are filled in, each removable; what is added
  // wins (a new lock on the same child replaces the base's).
  const inherited = (job.params && job.params.what_if) || null;
  const state = { locks: new Map(), fromBase: new Set() };
  const refs = {};
  const ready = load().catch((error) => {
    card.replaceChildren(card.firstChild, el("p", { class: "error", role: "alert" }, `What-if not available: ${error.message}`));
  });

  async function load() {
    const choices = await getJson(`/scenarios/${job.scenario_id}/what-if`);
    const schools = choices.schools.map((s) => [s.school_id, s.name]);
    const schoolName = Object.fromEntries(schools);
    refs.schoolName = schoolName;
    refs.child = el("select", { id: "whatif-child" }, children.map((id) => el("option", { value: id }, id)));
    refs.school = el("select", { id: "whatif-lock-school" }, schools.map(([id, name]) => el("option", { value: id }, `${name} (${id})`)));
    refs.lockList = el("ul", { class: "whatif-locks", "aria-live": "polite" });
    const addLock = el("button", { type: "button", onclick: () => {
      state.locks.set(refs.child.value, refs.school.value);
      state.fromBase.delete(refs.child.value);
      drawLocks();
    } }, "Add lock");
    const locks = el("fieldset", { class: "whatif-part" }, el("legend", {}, "Lock a child at a school"),
      el("div", { class: "filters" },
        el("div", { class: "field" }, el("label", { for: "whatif-child" }, "Child"), refs.child),
        el("div", { class: "field" }, el("label", { for: "whatif-lock-school" }, "Lock at school"), refs.school),
        addLock),
      refs.lockList);
    const admit = el("fieldset", { class: "whatif-part" }, el("legend", {}, "Schools that must admit (over capacity if that is cheaper)"),
      el("div", { class: "whatif-checks" }, choices.schools.map((s) => el("div", { class: "check" },
        el("input", { type: "checkbox", id: `whatif-admit-${s.school_id}`, value: s.school_id, "data-admit": "" }),
        el("label", { for: `whatif-admit-${s.school_id}` }, `${s.name} (${s.capacity} places)`)))));
    refs.weights = choices.policy.map((p) => {
      const input = el("input", { type: "number", id: `whatif-w-${p.name}`, min: String(p.min), max: String(p.max),
        step: "any", value: String(p.value), "aria-describedby": `whatif-w-${p.name}-hint`, "data-now": String(p.value) });
      return { name: p.name, input, node: el("div", { class: "field" },
        el("label", { for: input.id }, WEIGHT_LABELS[p.name] || p.name), input,
        el("span", { id: `whatif-w-${p.name}-hint`, class: "hint" }, `now ${num(p.value)}; ${num(p.min)}–${num(p.max)}`)) };
    });
    const weights = el("fieldset", { class: "whatif-part" }, el("legend", {}, "Policy weights"),
      el("div", { class: "filters" }, refs.weights.map((w) => w.node)));
    let options = null;
    if (me.actions.includes("job.expansion") && choices.options) {
      options = el("fieldset", { class: "whatif-part" }, el("legend", {}, "Expansion options (on: their places are added)"),
        choices.options.length ? el("div", { class: "whatif-checks" }, choices.options.map((o) => el("div", { class: "check" },
          el("input", { type: "checkbox", id: `whatif-opt-${o.option_id}`, value: o.option_id, "data-option": "" }),
          el("label", { for: `whatif-opt-${o.option_id}` }, `${o.option_id}: ${o.name || schoolName[o.school_id] || "new site"} (+${o.places} places)`))))
          : el("p", { class: "muted" }, choices.options_note || "No expansion options for this scenario."));
    }
    refs.progress = el("p", { class: "progress", role: "status", "aria-live": "polite" });
    refs.run = el("button", { type: "submit", class: "primary" }, "Run what-if");
    refs.result = el("div", { class: "whatif-result" });
    // novalidate: the weights' limits are said in the status line (read out), not a tooltip.
    const form = el("form", { class: "whatif-form", novalidate: true, onsubmit: (event) => { event.preventDefault(); runWhatIf(); } },
      locks, admit, weights, options, el("div", { class: "replan" }, refs.run, refs.progress));
    card.replaceChildren(card.firstChild,
      el("p", { class: "muted" }, `Changes are measured against ${job.kind} job ${shortId(job.id)}, re-solved with its settings.`),
      inherited ? el("p", { class: "whatif-inherited" }, `Job ${shortId(job.id)} is itself a what-if: its changes are filled in below `
        + "and kept unless you remove them; what you add is applied on top.") : null,
      form, refs.result);
    if (inherited) fillFromBase(inherited);
    if (inherited && !options && Object.values(inherited.options || {}).some(Boolean)) {
      form.prepend(el("p", { class: "error" }, "The base what-if switched expansion options on; "
        + "this key's role may not switch them, so this what-if leaves them off."));
    }
    drawLocks();
  }

  function fillFromBase(base) {
    for (const { child_id, school_id } of base.lock || []) {
      state.locks.set(child_id, school_id);
      state.fromBase.add(child_id);
    }
    const box = (selector) => card.querySelector(selector);
    for (const id of base.must_admit || []) {
      const admit = box(`input[data-admit][value="${CSS.escape(id)}"]`);
      if (admit) admit.checked = true;
    }
    for (const { name, input } of refs.weights) {
      if (base.policy && base.policy[name] !== undefined) input.value = String(base.policy[name]);
    }
    for (const [id, on] of Object.entries(base.options || {})) {
      const option = box(`input[data-option][value="${CSS.escape(id)}"]`);
      if (option) option.checked = on === true;
    }
  }

  function drawLocks() {
    refs.lockList.replaceChildren(...[...state.locks].map(([child, school]) => el("li", {},
      `${child} locked at ${refs.schoolName[school] || school}${state.fromBase.has(child) ? " (from the base what-if)" : ""} `,
      el("button", { type: "button", class: "small", "aria-label": `Remove the lock of ${child}`,
        onclick: () => { state.locks.delete(child); state.fromBase.delete(child); drawLocks(); } }, "Remove"))));
    if (!state.locks.size) refs.lockList.append(el("li", { class: "muted" }, "No child locked."));
  }

  function whatIf() {
    const body = { base_job: job.id };
    if (state.locks.size) body.lock = [...state.locks].map(([child_id, school_id]) => ({ child_id, school_id }));
    const admit = [...card.querySelectorAll("input[data-admit]:checked")].map((box) => box.value);
    if (admit.length) body.must_admit = admit;
    const policy = {};
    for (const { name, input } of refs.weights) {
      if (input.value === input.dataset.now) continue;
      if (input.value === "" || !input.checkValidity()) throw new Error(`${WEIGHT_LABELS[name] || name}: give a number ${input.min}–${input.max}`);
      policy[name] = Number(input.value);
    }
    if (Object.keys(policy).length) body.policy = policy;
    const options = Object.fromEntries([...card.querySelectorAll("input[data-option]:checked")].map((box) => [box.value, true]));
    if (Object.keys(options).length) body.options = options;
    return body;
  }

  async function runWhatIf() {
    refs.run.disabled = true;
    refs.progress.classList.remove("error");
    let started = null;
    try {
      const params = { kind: job.kind, what_if: whatIf() };
      for (const key of KEPT) if (job.params && job.params[key] !== undefined) params[key] = job.params[key];
      started = await postJson(`/scenarios/${job.scenario_id}/jobs`, params, { "Idempotency-Key": crypto.randomUUID() });
      const done = await watch(started.id, refs.progress);
      if (done.status !== "succeeded") {
        refs.progress.textContent = `What-if ${shortId(done.id)} ${done.status}${done.detail ? `: ${done.detail}` : ""}`;
        refs.progress.classList.add("error");
        return;
      }
      showDeltas(refs.result, await getJson(`/jobs/${done.id}/deltas`), refs.schoolName);
    } catch (error) {
      refs.progress.textContent = started
        ? `What-if ${shortId(started.id)} started, but this page stopped following it: ${error.message}`
        : `Could not run the what-if: ${error.message}`;
      refs.progress.classList.add("error");
    } finally {
      refs.run.disabled = false;
    }
  }

  async function lockChild(childId) {
    await ready;
    if (!refs.child) return;
    refs.child.value = childId;
    refs.school.focus();
    refs.school.scrollIntoView({ block: "center" });
  }

  return { card, lockChild, ready };
}

function showDeltas(root, deltas, schoolName) {
  const rows = deltas.kpis.filter((k) => KPI_LABELS[k.key]).map((k) => {
    const [label, fmt] = KPI_LABELS[k.key];
    return el("tr", { "data-kpi": k.key }, el("th", { scope: "row" }, label),
      el("td", { class: "num" }, fmt(k.base)), el("td", { class: "num" }, fmt(k.value)),
      el("td", { class: "num delta-cell" }, signed(k.delta, fmt)));
  });
  const kpis = el("div", { class: "table-wrap" }, el("table", { class: "kpis whatif-kpis" },
    el("caption", {}, `Base ${shortId(deltas.base_job_id)} against what-if ${shortId(deltas.job_id)}`),
    el("thead", {}, el("tr", {}, ["Figure", "Base", "What-if", "Change"].map((h, i) => el("th", { scope: "col", class: i ? "num" : "" }, h)))),
    el("tbody", {}, rows)));
  const changed = deltas.changed_children;
  const moved = changed.length ? el("div", { class: "table-wrap" }, el("table", { class: "whatif-moved" },
    el("caption", {}, `Children whose school changed (${changed.length}; pseudonymous ids)`),
    el("thead", {}, el("tr", {}, ["Child", "From", "To", "Journey change (min)", "Cost change a year"].map((h, i) => el("th", { scope: "col", class: i > 2 ? "num" : "" }, h)))),
    el("tbody", {}, changed.map((c) => el("tr", { "data-child": c.child_id },
      el("td", {}, c.child_id),
      el("td", {}, c.from_school_id ? c.from_school_name || c.from_school_id : "unplaced"),
      el("td", {}, c.to_school_id ? c.to_school_name || c.to_school_id : "unplaced", c.same_site ? " (same site: its new places)" : ""),
      el("td", { class: "num" }, signed(c.delta_travel_min, num)),
      el("td", { class: "num" }, signed(c.delta_cost_gbp, gbp)))))))
    : el("p", { class: "whatif-moved-none" }, "No child's school changed.");
  const effects = Object.entries(deltas.must_admit_effects || {});
  const notes = effects.length ? el("div", {}, el("h4", {}, "Must-admit schools"),
    el("ul", { class: "whatif-notes" }, effects.map(([id, e]) => el("li", {}, `${schoolName[id] || id}: ${e.note}`)))) : null;
  const over = Object.entries(deltas.locked_over_capacity_by_school || {}).filter(([, n]) => n > 0);
  const warning = over.length ? el("div", { class: "whatif-warning", role: "alert" },
    el("h4", {}, "Locked past capacity"),
    el("ul", {}, over.map(([id, n]) => el("li", {},
      `${schoolName[id] || id}: ${n} locked ${n === 1 ? "child" : "children"} over its places`)))) : null;
  root.replaceChildren(...[el("h4", {}, "What changed"), warning, applied(deltas.what_if, schoolName), kpis, moved, notes].filter(Boolean));
}

// One line of what the what-if changed (what_if.json), e.g. "1 child locked · Oaklands must
// admit · Journey (£ a year per minute) 300 → 500 · WG-32 on".
function applied(whatIf, schoolName) {
  if (!whatIf) return null;
  const parts = [];
  if (whatIf.lock.length) parts.push(`${whatIf.lock.length} ${whatIf.lock.length === 1 ? "child" : "children"} locked`);
  for (const id of whatIf.must_admit) parts.push(`${schoolName[id] || id} must admit`);
  for (const [name, change] of Object.entries(whatIf.policy)) parts.push(`${WEIGHT_LABELS[name] || name} ${num(change.from)} → ${num(change.to)}`);
  for (const [id, option] of Object.entries(whatIf.options)) parts.push(`${id} ${option.on ? "on" : "off"}`);
  return el("p", { class: "whatif-applied" }, `Applied: ${parts.join(" · ") || "no change (a re-run)"}`);
}
