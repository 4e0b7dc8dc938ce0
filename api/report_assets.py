"""The report's inline style sheet and script: no fonts, libraries or files from the web.

The script only sorts tables, switches the map's sessions and sets up printing; the page reads
whole without it (both sessions drawn, tables in their written order).
"""

from __future__ import annotations

CSS = """
:root { --ink: #1a202c; --muted: #4a5568; --line: #cbd5e0; --band: #f7fafc;
  --in: #2b6cb0; --out: #c05621; --unplaced: #c53030; --am: #2c7a7b; --pm: #6b46c1; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink);
  margin: 0 auto; padding: 1.5rem 2rem 3rem; max-width: 1320px; }
h1 { font-size: 1.6rem; margin: 0 0 .4rem; }
h2 { font-size: 1.25rem; margin: 2.2rem 0 .6rem; padding-bottom: .25rem;
  border-bottom: 2px solid var(--ink); }
h3 { font-size: 1.05rem; margin: 1.4rem 0 .4rem; }
nav.toc { font-size: .9rem; margin: .4rem 0 1rem; }
nav.toc a { margin-right: .9rem; color: var(--in); }
.note { color: var(--muted); max-width: 80ch; }
.banner { background: #fffbea; border-left: 4px solid #d69e2e; padding: .6rem .9rem;
  max-width: 90ch; }
table { border-collapse: collapse; margin: .3rem 0 1.2rem; font-size: .88rem; }
th, td { border: 1px solid var(--line); padding: .22rem .5rem; text-align: left;
  vertical-align: top; }
thead th { background: #edf2f7; position: sticky; top: 0; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
table.kpi th { background: var(--band); font-weight: 600; }
tr.full td { background: #fff5eb; }
tr.over td { background: #fff0f0; }
.tag { font-size: .78rem; font-weight: 600; padding: 0 .3rem; border: 1px solid currentColor;
  border-radius: 3px; }
.tag.over { color: var(--unplaced); }
.tag.within { color: #276749; }
table.sortable th { cursor: pointer; user-select: none; }
table.sortable th::after { content: " \\2195"; color: #a0aec0; font-size: .8em; }
table.sortable th[aria-sort="ascending"]::after { content: " \\25B2"; color: var(--ink); }
table.sortable th[aria-sort="descending"]::after { content: " \\25BC"; color: var(--ink); }
.scroll { max-height: 34rem; overflow: auto; border: 1px solid var(--line); margin-bottom: 1rem; }
.scroll table { margin: 0; }
.maps { display: flex; flex-wrap: wrap; gap: 1rem; align-items: flex-start; }
.maps figure { margin: 0; }
figcaption { font-size: .85rem; color: var(--muted); max-width: 760px; margin-top: .3rem; }
svg.map { border: 1px solid var(--line); background: #fff; display: block; }
svg.map .lsoa { fill: #edf2f7; stroke: #fff; stroke-width: .8; }
svg.map .roads { fill: none; stroke: #b8c2cc; stroke-width: .7; stroke-linecap: round; }
svg.map .furniture .rule { stroke: var(--line); stroke-width: 1; }
svg.map .frame { fill: none; stroke: var(--ink); stroke-width: 1; stroke-dasharray: 4 3; }
svg.map .home.in { fill: var(--in); }
svg.map .home.out { fill: var(--out); }
svg.map .home.unplaced { fill: none; stroke: var(--unplaced); stroke-width: 1.2; }
svg.map .route { fill: none; stroke-width: 1.2; stroke-linejoin: round; stroke-linecap: round;
  opacity: .55; }
svg.map .route.am { stroke: var(--am); }
svg.map .route.pm { stroke: var(--pm); stroke-dasharray: 5 3; }
svg.map.dense .route { stroke-width: .9; opacity: .4; }
svg.map .route.hl { stroke: #000; stroke-width: 3.2; opacity: 1; }
svg.map .school circle, svg.map .school rect { stroke: #fff; stroke-width: 1.2; }
svg.map .school.in circle { fill: #1a365d; }
svg.map .school.out rect { fill: #7b341e; }
svg.map .school text { fill: #fff; font: 700 9px system-ui, sans-serif; text-anchor: middle; }
svg.map .school-dot { fill: #1a365d; }
svg.map .leader { stroke: #1a202c; stroke-width: .8; }
svg.map .anchor { fill: #1a202c; stroke: #fff; stroke-width: .6; }
svg.map .furniture text { font: 600 11px system-ui, sans-serif; fill: var(--ink); }
svg.map .furniture .bar { fill: var(--ink); }
svg.map .furniture .bar.alt { fill: #fff; stroke: var(--ink); }
.maps.only-am .route.pm, .maps.only-pm .route.am { display: none; }
.controls { margin: .3rem 0 .6rem; font-size: .9rem; }
.controls label { margin-right: 1rem; }
.legend { display: flex; flex-wrap: wrap; gap: .3rem 1.4rem; font-size: .85rem; margin: .5rem 0; }
.legend svg { vertical-align: middle; margin-right: .3rem; }
ol.schools { columns: 2 22rem; column-gap: 3.5rem; font-size: .85rem; padding-left: 2.2rem;
  margin: .4rem 0 1rem; }
ol.schools li { break-inside: avoid; }
.charts { display: flex; flex-wrap: wrap; gap: 1.5rem; }
.charts figure { margin: 0; }
svg.chart { display: block; }
svg.chart text { font: 11px system-ui, sans-serif; fill: var(--ink); }
svg.chart .axis { stroke: #718096; stroke-width: 1; }
svg.chart .grid { stroke: #e2e8f0; stroke-width: 1; }
svg.chart .bar { fill: #4a6fa5; }
svg.chart .bar.pm { fill: #b7a4e0; stroke: #553c9a; }
svg.chart .bar.cap { fill: none; stroke: #2d3748; stroke-width: 1; }
svg.chart .bar.over { fill: var(--unplaced); }
svg.chart .limit { stroke: var(--unplaced); stroke-width: 1.5; stroke-dasharray: 4 3; }
.route-block { border: 1px solid var(--line); padding: .3rem .7rem; margin: .5rem 0; }
.route-block h4 { margin: .2rem 0; font-size: .95rem; }
.route-block table { margin: .2rem 0 .4rem; }
.cols { display: flex; flex-wrap: wrap; gap: 0 2rem; align-items: flex-start; }
@page { size: A4; margin: 10mm; }
@media print {
  body { padding: 0; max-width: none; font-size: 10pt; }
  /* A4 portrait leaves ~718 px: the map (760 px), charts and wide tables scale to the page. */
  .maps, .charts, .cols { display: block; }
  .maps figure, .charts figure { max-width: 100%; margin: 0 0 .6rem; }
  svg.map, svg.chart { max-width: 100%; height: auto; }
  figcaption { max-width: 100%; }
  table { font-size: 7pt; max-width: 100%; }
  th, td { padding: .08rem .2rem; overflow-wrap: break-word; }
  table.sortable th::after { content: none; }
  nav.toc, .controls, .noprint { display: none; }
  h2 { break-after: avoid; }
  table, figure, .route-block { break-inside: avoid; }
  thead th { position: static; }
  .scroll { max-height: none; overflow: visible; border: 0; }
  body.route-pages .route-block { break-after: page; border: 0; }
  a { color: inherit; text-decoration: none; }
}
"""

JS = """
(function () {
  "use strict";
  function key(cell) {
    var v = cell.getAttribute("data-v");
    if (v !== null) { return [0, parseFloat(v)]; }
    return [1, cell.textContent.trim().toLowerCase()];
  }
  function sortBy(table, th) {
    var col = Array.prototype.indexOf.call(th.parentNode.children, th);
    var dir = th.getAttribute("aria-sort") === "ascending" ? -1 : 1;
    Array.prototype.forEach.call(th.parentNode.children, function (h) {
      h.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", dir === 1 ? "ascending" : "descending");
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = key(a.cells[col]), y = key(b.cells[col]);
      if (x[0] !== y[0]) { return x[0] - y[0]; }
      return x[1] < y[1] ? -dir : x[1] > y[1] ? dir : 0;
    });
    rows.forEach(function (r) { body.appendChild(r); });
  }
  document.querySelectorAll("table.sortable").forEach(function (table) {
    table.querySelectorAll("thead th").forEach(function (th) {
      th.setAttribute("tabindex", "0");
      th.addEventListener("click", function () { sortBy(table, th); });
      th.addEventListener("keydown", function (e) {
        if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sortBy(table, th); }
      });
    });
  });
  document.querySelectorAll("input[name=session]").forEach(function (input) {
    input.addEventListener("change", function () {
      var maps = document.getElementById("maps");
      maps.classList.remove("only-am", "only-pm");
      if (input.value !== "both") { maps.classList.add("only-" + input.value); }
    });
  });
  function highlight(id, on) {
    document.querySelectorAll(".route").forEach(function (p) {
      if (p.getAttribute("data-route") === id) { p.classList.toggle("hl", on); }
    });
  }
  document.querySelectorAll("tr[data-route]").forEach(function (tr) {
    var id = tr.getAttribute("data-route");
    tr.addEventListener("mouseenter", function () { highlight(id, true); });
    tr.addEventListener("mouseleave", function () { highlight(id, false); });
  });
  var pages = document.getElementById("route-pages");
  if (pages) {
    pages.addEventListener("change", function () {
      document.body.classList.toggle("route-pages", pages.checked);
      if (pages.checked) {
        document.querySelectorAll("details.print-open").forEach(function (d) { d.open = true; });
      }
    });
  }
  window.addEventListener("beforeprint", function () {
    document.querySelectorAll("details.print-open").forEach(function (d) { d.open = true; });
  });
})();
"""
