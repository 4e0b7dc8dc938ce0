// The placement panel's view: finished placement jobs side by side, each child's placement
// (pseudonymous ids only) with reasons and alternatives, filters by need and school, and a
// map of homes (per grid cell), schools and where children are placed. The school and need
// filters narrow the homes to the children they leave, as cells the server counted.
import { finishedJobs, getJson } from "./api.js";
import { el, gbp, num, jobLabel, select, table, setStatus, showError } from "./dom.js";
import { createMap, drawBasemap, drawFlows, drawHomeCells, drawSchools } from "./map.js";
import { kpiTable, PLACEMENT_KPIS } from "./kpis.js";
import { whatIfCard } from "./whatif.js";
import { gettingStarted } from "./start.js";

const MAX_COMPARED = 4;

export async function showPanel(root, me) {
  root.replaceChildren(el("h2", {}, "Placement panel"), el("p", { class: "muted" }, "Loading jobs…"));
  const [jobs, scenarios] = await Promise.all([
    finishedJobs(["placement", "both"]), getJson("/scenarios?limit=200").catch(() => ({ items: [] })),
  ]);
  if (!jobs.length) {
    root.replaceChildren(el("h2", {}, "Placement panel"), el("p", {}, "No finished placement jobs yet."),
      await gettingStarted(me, { kind: "placement", what: "each child's placement, the figures and the map",
        onDone: () => showPanel(root, me) }));
    return;
  }
  const names = Object.fromEntries((scenarios.items || []).map((s) => [s.id, s.name]));
  // Ticked jobs are compared; of those, one is the baseline the others' changes are measured
  // from (by default the oldest ticked, so changes read forwards in time) and one has its
  // placements shown (by default the newest ticked).
  const picker = el("fieldset", { class: "jobs" }, el("legend", {}, `Jobs to compare (up to ${MAX_COMPARED})`));
  const choice = { baseline: null, detail: null };
  jobs.forEach((job, i) => {
    const id = `pick-${job.id}`;
    const label = jobLabel(job, names[job.scenario_id] || "scenario");
    const radio = (role, text) => el("span", { class: "pick-role" },
      el("input", { type: "radio", name: `panel-${role}`, id: `${role}-${job.id}`, value: job.id, "data-role": role,
        "aria-label": `${text}: ${label}`, onchange: () => { choice[role] = job.id; refresh(); } }),
      el("label", { for: `${role}-${job.id}` }, text));
    picker.append(el("div", { class: "check" },
      el("input", { type: "checkbox", id, value: job.id, checked: i === 0, onchange: () => refresh() }),
      el("label", { for: id }, label), radio("baseline", "baseline"), radio("detail", "placements shown")));
  });
  const kpis = el("div", { class: "kpi-area" });
  const detail = el("div", { class: "detail" });
  root.replaceChildren(el("h2", {}, "Placement panel"), el("div", { class: "card" }, picker), kpis, detail);

  async function refresh() {
    const chosen = [...picker.querySelectorAll("input[type=checkbox]:checked")].map((box) => jobs.find((j) => j.id === box.value));
    picker.querySelectorAll("input[type=checkbox]").forEach((box) => {
      box.disabled = !box.checked && chosen.length >= MAX_COMPARED;
    });
    const ids = chosen.map((job) => job.id);
    // The user's choice while that job stays ticked, else the default.
    const picked = {
      baseline: ids.includes(choice.baseline) ? choice.baseline : ids[ids.length - 1],
      detail: ids.includes(choice.detail) ? choice.detail : ids[0],
    };
    picker.querySelectorAll("input[type=radio]").forEach((radio) => {
      radio.disabled = !ids.includes(radio.value);
      radio.checked = picked[radio.dataset.role] === radio.value;
      // Only a choice among several: a single ticked job has nothing to compare against.
      radio.parentElement.hidden = ids.length < 2 || !ids.includes(radio.value);
    });
    if (!chosen.length) {
      kpis.replaceChildren(el("p", {}, "Pick a job."));
      detail.replaceChildren();
      return;
    }
    try {
      const summaries = await Promise.all(chosen.map((job) => getJson(`/jobs/${job.id}/summary`)));
      kpis.replaceChildren(kpiTable(chosen, summaries, PLACEMENT_KPIS, "Key figures", ids.indexOf(picked.baseline)));
      await showDetail(detail, chosen[ids.indexOf(picked.detail)], me);
    } catch (error) {
      showError(kpis, error);
    }
  }
  await refresh();
}

async function showDetail(root, job, me) {
  setStatus(`Loading placements of ${jobLabel(job)}…`);
  const [placements, map] = await Promise.all([
    getJson(`/jobs/${job.id}/placements`), getJson(`/jobs/${job.id}/map`),
  ]);
  const needs = map.primary_need || {};
  const names = Object.fromEntries(map.schools.map((s) => [s.school_id, s.name]));
  const schoolName = (id) => names[id] || id;
  const rows = placements.rows.map((row) => ({ ...row, need: needs[row.child_id] || "" }));
  const schoolNames = [...new Map(rows.filter((r) => r.school_id).map((r) => [r.school_id, r.school_name])).entries()]
    .sort((a, b) => a[1].localeCompare(b[1]));
  const needList = [...new Set(rows.map((r) => r.need).filter(Boolean))].sort();
  const filter = { need: "", school: "" };
  // What-if: for roles that may run this job's kind; each row's "Lock at…" fills its form.
  const whatIf = me && me.actions.includes(`job.${job.kind}`) ? whatIfCard(job, me, rows.map((r) => r.child_id)) : null;
  const tableArea = el("div");
  const mapArea = el("div", { class: "map-area" });
  const counter = el("p", { class: "muted", "aria-live": "polite" });
  const controls = el("div", { class: "filters" },
    select("panel-need", "Need", [["", "All needs"], ...needList.map((n) => [n, n])], (v) => { filter.need = v; render(); }),
    select("panel-school", "School", [["", "All schools"], ...schoolNames], (v) => { filter.school = v; render(); }));
  const drawn = createMap(mapArea, {
    allPoints: [...map.schools.map((s) => [s.lon, s.lat]), ...map.home_cells.map((c) => [c.lon, c.lat])],
    focusPoints: map.home_cells.map((c) => [c.lon, c.lat]),
    label: `Map of ${map.home_cells.length} home areas and ${map.schools.length} schools`,
    tiles: map.tiles_url || null,
  });
  drawBasemap(drawn, map.basemap);
  drawFlows(drawn, map.out_of_area_flows || [], map.schools);
  let cellsShown = null;
  const placedAt = {};
  for (const r of rows) if (r.school_id) placedAt[r.school_id] = (placedAt[r.school_id] || 0) + 1;
  drawSchools(drawn, map.schools.filter((s) => placedAt[s.school_id]), (id) => placedAt[id] || 0);

  function render() {
    const shown = rows.filter((r) => (!filter.need || r.need === filter.need) && (!filter.school || r.school_id === filter.school));
    counter.textContent = `${shown.length} of ${rows.length} children`;
    tableArea.replaceChildren(table([
      { label: "Child", cell: (r) => r.child_id },
      { label: "Need", cell: (r) => r.need },
      { label: "School", cell: (r) => r.school_name || "unplaced" },
      { label: "Area", cell: (r) => (r.status !== "placed" ? "–" : r.in_area === "true" ? "in" : "out of area") },
      { label: "Travel (min)", num: true, cell: (r) => num(r.travel_min) },
      { label: "Cost a year", num: true, cell: (r) => gbp(r.annual_cost_gbp) },
      { label: "Reasons", cell: (r) => words(r.reasons || r.unplaced_reason) },
      { label: "Alternatives (extra cost, minutes)", cell: (r) => alternatives(r.alternatives, schoolName) },
      ...(whatIf ? [{ label: "What-if", cell: (r) => el("button", { type: "button", class: "small",
        "aria-label": `Lock ${r.child_id} at a school`, onclick: () => whatIf.lockChild(r.child_id) }, "Lock at…") }] : []),
    ], shown, {
      caption: "Placements (pseudonymous ids)",
      rowClass: (r) => (r.status !== "placed" ? "unplaced" : r.in_area === "true" ? "" : "out"),
    }));
    drawn.svg.querySelectorAll("rect.school, path.flow").forEach((node) => {
      node.classList.toggle("dim", Boolean(filter.school) && node.dataset.school !== filter.school);
    });
    // The filtered children's cells, counted by the server as all cells are (never derived here).
    const cells = filterCells(map, filter);
    if (cells !== cellsShown) {
      cellsShown = cells;
      drawn.clear("homes");
      drawHomeCells(drawn, cells);
      const who = [filter.need && `with ${filter.need}`, filter.school && `placed at ${schoolName(filter.school)}`];
      const whose = who.some(Boolean) ? ` of children ${who.filter(Boolean).join(" ")}` : "";
      drawn.svg.setAttribute("aria-label", `Map of ${cells.length} home areas${whose} and ${map.schools.length} schools`);
    }
  }
  render();
  root.replaceChildren(
    el("h3", {}, `Placements: ${jobLabel(job)}`), controls, counter,
    el("div", { class: "split wide-right" }, el("div", { class: "card" }, mapArea, legend()), el("div", { class: "card" }, tableArea)),
    whatIf ? whatIf.card : null);
  if (whatIf) await whatIf.ready;
  setStatus(`Placements of ${jobLabel(job)} shown.`);
  requestAnimationFrame(() => requestAnimationFrame(() => performance.mark("sendplan:placements-drawn")));
}

// The home cells of the children a school and/or need filter leaves, as the server sent them
// (so an unchanged filter is not redrawn); none when the filter leaves no child.
function filterCells(map, { school, need }) {
  if (school && need) return ((map.home_cells_by_school_need || {})[school] || {})[need] || [];
  if (school) return (map.home_cells_by_school || {})[school] || [];
  if (need) return (map.home_cells_by_need || {})[need] || [];
  return map.home_cells;
}

// Reason codes read as words: "first_preference;nearest_suitable" -> "first preference, nearest suitable".
function words(codes) {
  return (codes || "").split(";").filter(Boolean).map((c) => c.replaceAll("_", " ")).join(", ");
}

// "138935:+1000:+4.9;..." -> one line per school: "Name (+£1,000, +4.9 min)".
function alternatives(text, schoolName) {
  const items = (text || "").split(";").filter(Boolean).map((part) => {
    const [id, cost, minutes] = part.split(":");
    const extra = Number(cost);
    return el("li", {}, `${schoolName(id)} (${extra >= 0 ? "+" : "−"}${gbp(Math.abs(extra))}, ${minutes} min)`);
  });
  return items.length ? el("ul", { class: "alts" }, items) : "";
}

function legend() {
  const item = (cls, text) => el("li", {}, el("span", { class: `swatch ${cls}`, "aria-hidden": "true" }), text);
  return el("ul", { class: "legend" },
    item("home in", "Homes (per km square), placed in the authority"),
    item("home out", "… some placed out of area"),
    item("home unplaced", "… some unplaced"),
    item("school in", "School in the authority (size: children placed)"),
    item("school out", "School out of area"),
    item("line flow", "Placed out of area (line to the school)"));
}
