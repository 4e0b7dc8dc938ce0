// The transport team's view: a job's routes on the map (stops in order, school, vehicle type;
// along the roads when the plan was solved on a road network, and the map says which), the
// route list and each route's timetable with ride times (rides over the child's limit
// flagged), filters, downloads, and a re-plan that runs as a job and is watched to the end:
// from scratch, or after mid-year changes (a CHANGES.csv) keeping the routes no change touches,
// whose job then shows what the changes did.
import { download, finishedJobs, getJson, scenarioNames } from "./api.js";
import { el, gbp, num, jobLabel, select, table, setStatus, showError } from "./dom.js";
import { createMap, drawBasemap, drawRoads, drawSchools, svgEl, pathOf } from "./map.js";
import { kpiTable, TRANSPORT_KPIS } from "./kpis.js";
import { routesFrom, vehicleClass } from "./routes_data.js";
import { replanForm } from "./replan.js";
import { gettingStarted } from "./start.js";

export async function showTransport(root, me) {
  root.replaceChildren(el("h2", {}, "Transport"), el("p", { class: "muted" }, "Loading jobs…"));
  const [jobs, names] = await Promise.all([finishedJobs(["transport", "both", "changes"]), scenarioNames()]);
  if (!jobs.length) {
    root.replaceChildren(el("h2", {}, "Transport"), el("p", {}, "No finished transport jobs yet."),
      await gettingStarted(me, { kind: "transport", what: "the routes, their timetables and the map",
        extra: { sessions: ["am", "pm"] }, onDone: () => showTransport(root, me) }));
    return;
  }
  const area = el("div");
  const open = (id) => showJob(area, jobs.find((j) => j.id === id), me, async (job) => {
    await showTransport(root, me);
    root.querySelector("#transport-job").value = job.id;
    root.querySelector("#transport-job").dispatchEvent(new Event("change"));
  });
  root.replaceChildren(el("h2", {}, "Transport"),
    el("div", { class: "filters" }, select("transport-job", "Job", jobs.map((j) => [j.id, jobLabel(j, names[j.scenario_id])]), open)), area);
  await open(jobs[0].id);
}

async function showJob(root, job, me, reopen) {
  setStatus(`Loading routes of ${jobLabel(job)}…`);
  root.replaceChildren(el("p", { class: "muted" }, "Loading routes…"));
  try {
    const [geojson, map, summary, changes] = await Promise.all([
      getJson(`/jobs/${job.id}/routes.geojson`), getJson(`/jobs/${job.id}/map`), getJson(`/jobs/${job.id}/summary`),
      job.kind === "changes" ? getJson(`/jobs/${job.id}/files/changes.json`) : null,
    ]);
    performance.mark("sendplan:routes-fetched");
    render(root, job, me, routesFrom(geojson, map.ride_limit_min || {}), map, summary, reopen);
    if (changes) root.prepend(changesCard(changes));
    // For the browser test's open-time figure: the frame after the routes were painted.
    requestAnimationFrame(() => requestAnimationFrame(() => performance.mark("sendplan:routes-drawn")));
    setStatus(`Routes of ${jobLabel(job)} shown.`);
  } catch (error) {
    showError(root, error);
  }
}

// "AM only", "AM and PM": the sessions a job planned (its params; both when it names none).
function sessionsOf(job) {
  const given = (job.params || {}).sessions;
  return Array.isArray(given) && given.length ? given : ["am", "pm"];
}

function transportKpis(sessions) {
  const which = sessions.length === 1 ? `${sessions[0].toUpperCase()} only` : "AM and PM";
  return TRANSPORT_KPIS.map(([key, label, fmt]) => [key, key === "routes" ? `Routes (${which})` : label, fmt]);
}

function render(root, job, me, routes, map, summary, reopen) {
  const sessions = sessionsOf(job);
  const schools = Object.fromEntries(map.schools.map((s) => [s.school_id, s]));
  const filter = { session: "", school: "", vehicle: "" };
  const used = (key) => [...new Set(routes.map((r) => r[key]))].sort();
  const mapArea = el("div", { class: "map-area" });
  const listArea = el("div");
  const sheet = el("div", { class: "timetable" }, el("p", { class: "muted" }, "Choose a route (in the list or on the map) for its timetable."));
  const counter = el("p", { class: "muted", "aria-live": "polite" });
  const points = routes.flatMap((r) => r.drawn);
  const drawn = createMap(mapArea, {
    allPoints: points.length ? points : map.schools.map((s) => [s.lon, s.lat]),
    // First shown around the children's stops (their homes: where the city is).
    focusPoints: routes.flatMap((r) => r.stops.filter((s) => s.child_id).map((s) => [s.lon, s.lat])),
    label: `Map of ${routes.length} routes`,
    tiles: map.tiles_url || null,
    keyHelp: "N and P choose the next and the previous route shown",
  });
  drawBasemap(drawn, map.basemap);
  const roadRoutes = routes.filter((r) => r.along_roads);
  drawRoads(drawn, roadRoutes.map((r) => r.drawn));
  drawn.note(howDrawn(routes.length, roadRoutes.length, map.basemap.length > 0));
  const served = new Set(routes.map((r) => r.school_id));
  const routesTo = {};
  for (const r of routes) routesTo[r.school_id] = (routesTo[r.school_id] || 0) + 1;
  drawSchools(drawn, map.schools.filter((s) => served.has(s.school_id)), (id) => routesTo[id] || 0, "routes");
  const lines = new Map();
  const stopsOf = new Map();
  for (const r of routes) {
    const line = svgEl("path", {
      d: pathOf(drawn.frame, r.drawn), class: `route v-${vehicleClass(r.vehicle_type)} s-${r.session}`,
      "data-route": r.route_id, "data-along": String(r.along_roads),
    }, `${r.route_id}: ${r.vehicle_type}, ${r.children} children to ${(schools[r.school_id] || {}).name || r.school_id}`);
    line.addEventListener("click", () => choose(r));
    drawn.layers.routes.append(line);
    lines.set(r.route_id, line);
    const group = svgEl("g", { "data-route": r.route_id });
    for (const s of r.stops) {
      if (!s.child_id) continue;
      drawn.marker(group, "circle", s.lon, s.lat, s.over ? 4 : 2.6, { class: `stop${s.over ? " over" : ""}` },
        `${r.route_id} stop ${s.stop_order}: ${s.child_id} ${s.kind} ${s.time || ""}${s.over ? " (ride over the limit)" : ""}`);
    }
    drawn.layers.stops.append(group);
    stopsOf.set(r.route_id, group);
  }
  drawn.refresh();
  let current = null;
  function choose(r) {
    if (current) {
      lines.get(current).classList.remove("chosen");
      stopsOf.get(current).classList.remove("chosen");
    }
    current = r.route_id;
    lines.get(current).classList.add("chosen");
    stopsOf.get(current).classList.add("chosen");
    drawn.layers.routes.append(lines.get(current));  // on top
    drawn.layers.stops.append(stopsOf.get(current));
    drawn.focus(r.drawn);
    sheet.replaceChildren(timetable(r, schools));
    setStatus(`Route ${r.route_id} chosen: its timetable is beside the map.`);
  }
  // N / P on the focused map: the next or previous route among those the filters show.
  const step = (by) => () => {
    const ids = routes.filter((r) => !lines.get(r.route_id).classList.contains("hidden"));
    if (!ids.length) return;
    const at = ids.findIndex((r) => r.route_id === current);
    choose(ids[at < 0 ? (by > 0 ? 0 : ids.length - 1) : (at + by + ids.length) % ids.length]);
  };
  drawn.onKey(["n", "N"], step(1));
  drawn.onKey(["p", "P"], step(-1));
  function apply() {
    const shown = routes.filter((r) => (!filter.session || r.session === filter.session) &&
      (!filter.school || r.school_id === filter.school) && (!filter.vehicle || r.vehicle_type === filter.vehicle));
    const ids = new Set(shown.map((r) => r.route_id));
    for (const [id, line] of lines) {
      line.classList.toggle("hidden", !ids.has(id));
      stopsOf.get(id).classList.toggle("hidden", !ids.has(id));
    }
    counter.textContent = `${shown.length} of ${routes.length} routes · ${shown.reduce((n, r) => n + r.over, 0)} rides over the limit`;
    listArea.replaceChildren(table([
      { label: "Route", cell: (r) => r.route_id },
      { label: "School", cell: (r) => (schools[r.school_id] || {}).name || r.school_id },
      { label: "Vehicle", cell: (r) => r.vehicle_type },
      { label: "Children", num: true, cell: (r) => r.children },
      { label: "Longest ride (min)", num: true, cell: (r) => num(r.longest_ride_min) },
      { label: "Over limit", num: true, cell: (r) => r.over || "" },
      { label: "Cost per run", num: true, cell: (r) => gbp(r.cost_gbp) },
    ], shown, { caption: "Routes (select one for its timetable)", rowClass: (r) => (r.over ? "over" : ""), onRowClick: choose, limit: 500 }),
    el("p", { class: "muted cost-basis" }, "Cost per run: one route driven once, in the AM or the PM. "
      + "A school day costs the AM run plus the PM run."));
  }
  const schoolOptions = used("school_id").map((id) => [id, (schools[id] || {}).name || id]).sort((a, b) => a[1].localeCompare(b[1]));
  const filters = el("div", { class: "filters" },
    select("transport-session", "Session", [["", sessions.length > 1 ? "AM and PM" : `All (${sessions[0].toUpperCase()} only)`], ...used("session").map((s) => [s, s.toUpperCase()])], (v) => { filter.session = v; apply(); }),
    select("transport-school", "School", [["", "All schools"], ...schoolOptions], (v) => { filter.school = v; apply(); }),
    select("transport-vehicle", "Vehicle type", [["", "All vehicles"], ...used("vehicle_type").map((v) => [v, v])], (v) => { filter.vehicle = v; apply(); }));
  const downloads = el("div", { class: "actions" },
    el("button", { type: "button", id: "download-sheets", onclick: () => download(`/jobs/${job.id}/route_sheets.xlsx`, "route_sheets.xlsx") }, "Download route sheets (.xlsx)"),
    el("button", { type: "button", id: "download-geojson", onclick: () => download(`/jobs/${job.id}/routes.geojson`, "routes.geojson") }, "Download routes (GeoJSON)"));
  const replan = me.actions.includes("job.transport")
    ? el("details", { class: "card" }, el("summary", {}, "Re-plan the routes of this scenario"),
      // The base job's sessions and work limit, so the re-plan differs only by its search.
      replanForm(job.scenario_id, { kind: "transport", label: "Start re-plan", extra: { sessions },
        iterations: (job.params || {}).iterations, onDone: reopen }))
    : null;
  const afterChanges = me.actions.includes("job.changes") ? changesForm(job, sessions, reopen) : null;
  apply();
  root.replaceChildren(
    el("div", { class: "overview" }, kpiTable([job], [summary], transportKpis(sessions), "Key figures"), el("div", {}, downloads, replan, afterChanges)),
    filters, counter,
    el("div", { class: "split" }, el("div", { class: "card" }, mapArea, legend(routes.some((r) => r.along_roads))), el("div", { class: "card" }, sheet, listArea)));
}

// Re-plan this job's routes after the changes in a CHANGES.csv, with continuity, keeping the
// routes whose contract in a CONTRACTS.csv is in force (a changes job).
function changesForm(job, sessions, reopen) {
  const file = el("input", { id: "changes-file", type: "file", accept: ".csv,text/csv" });
  const contracts = el("input", { id: "contracts-file", type: "file", accept: ".csv,text/csv" });
  async function extra() {
    if (!file.files.length && !contracts.files.length) {
      throw new Error("choose a CHANGES.csv file first (or a CONTRACTS.csv to keep contracted routes)");
    }
    const params = { sessions, base_job: job.id };
    if (file.files.length) params.changes_csv = await file.files[0].text();
    if (contracts.files.length) params.contracts_csv = await contracts.files[0].text();
    return params;
  }
  return el("details", { class: "card" }, el("summary", {}, "Re-plan after mid-year changes"),
    el("p", { class: "muted" }, "A CHANGES.csv, one change a row: add_child, remove_child, change_address, "
      + "change_school or route_handed_back. Routes no change touches stay as they are. With a CONTRACTS.csv "
      + "(route_id, operator, price_gbp, per), the routes whose contract is in force are kept as they are, "
      + "the rest re-planned around them."),
    el("div", { class: "field" }, el("label", { for: file.id }, "Changes file (CSV)"), file),
    el("div", { class: "field" }, el("label", { for: contracts.id }, "Contracts file (CSV, optional)"), contracts),
    replanForm(job.scenario_id, { kind: "changes", label: "Re-plan after the changes", extra,
      iterations: (job.params || {}).iterations, onDone: reopen }));
}

// What a changes job did: per session the children it moved, from changes.json.
function changesCard(report) {
  const rows = Object.entries(report.sessions || {}).flatMap(([session, s]) =>
    (s.children || []).map((c) => ({ session, ...c })));
  const forgone = report.saving_forgone_gbp_per_day;
  const kept = report.kept_contracted;
  return el("section", { class: "card changes", "aria-label": "What the changes did" },
    el("h3", {}, "What the changes did"),
    kept ? el("p", { class: "kept" }, `${num(kept.routes_kept)} contracted route${kept.routes_kept === 1 ? "" : "s"} kept as `
      + `${kept.routes_kept === 1 ? "it was" : "they were"} (${num(kept.children_on_kept_routes)} children on them).`) : null,
    el("p", {}, `${num(report.children_moved)} children moved to another vehicle; `
      + (forgone > 0 ? `${gbp(forgone)} a day dearer than a plan from scratch (the saving forgone by keeping the other routes).`
        : forgone < 0 ? `${gbp(-forgone)} a day cheaper than a plan from scratch.` : "the same cost a day as a plan from scratch.")),
    table([
      { label: "Session", cell: (r) => r.session.toUpperCase() },
      { label: "Child", cell: (r) => r.child_id },
      { label: "Old route", cell: (r) => r.old_route || "" },
      { label: "New route", cell: (r) => r.new_route || r.no_route || "" },
      { label: "Old time", cell: (r) => r.old_time || "" },
      { label: "New time", cell: (r) => r.new_time || "" },
    ], rows, { caption: "Children the changes touched", limit: 500 }));
}

function timetable(r, schools) {
  const school = (schools[r.school_id] || {}).name || r.school_id;
  return el("div", {},
    el("h3", {}, `${r.route_id} · ${r.vehicle_type} · ${school}`),
    table([
      { label: "#", num: true, cell: (s) => s.stop_order },
      { label: "Time", cell: (s) => s.time || "" },
      { label: "Stop", cell: (s) => (s.kind === "school" ? school : s.kind) },
      { label: "Child", cell: (s) => s.child_id || "" },
      { label: "Ride (min)", num: true, cell: (s) => (s.child_id ? num(s.ride_min) : "") },
      { label: "Limit (min)", num: true, cell: (s) => (s.limit_min === null ? "" : num(s.limit_min)) },
      { label: "", cell: (s) => (s.over ? "over the limit" : "") },
    ], r.stops, { caption: `Timetable (${r.session.toUpperCase()})`, rowClass: (s) => (s.over ? "over" : "") }));
}

// How the routes are drawn, as the report's map says it (api/report_map_legend.py), and what
// lies under them.
function howDrawn(total, alongRoads, lsoa) {
  const straight = total - alongRoads;
  const how = alongRoads
    ? "Routes are drawn along the roads the travel times were measured on" +
      (straight ? ` (${straight} ${straight === 1 ? "route whose stops lie on one street is" : "routes whose stops lie on one street are"} drawn straight).` : ".")
    : "Routes are drawn as straight lines between stops (no road network given).";
  const base = alongRoads ? " Basemap: the roads the routes use" + (lsoa ? " over Leicester's LSOA (2021) outlines." : ".")
    : lsoa ? " Basemap: Leicester's LSOA (2021) outlines." : " No basemap is shipped for this area.";
  return how + base;
}

function legend(roads) {
  const item = (cls, text) => el("li", {}, el("span", { class: `swatch ${cls}`, "aria-hidden": "true" }), text);
  return el("ul", { class: "legend" },
    item("line v-taxi", "Taxi"), item("line v-minibus", "Minibus"), item("line v-wav", "Wheelchair vehicle"),
    item("line pm", "Afternoon route (dashed)"),
    item("stop", "Pick-up / drop-off"), item("stop over", "Ride over the child's limit"),
    item("school in", "School"), roads ? item("line road", "Roads the routes use (basemap)") : null);
}
