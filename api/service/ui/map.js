// An SVG map drawn from lon/lat: an equirectangular frame (north up) as in the report's map
// (api/report_map_data.py), or Web Mercator when basemap tiles are drawn under it (tiles.js),
// layers of paths and markers, pan/zoom by the viewBox with real buttons, and the keyboard on
// the map itself (arrows pan, + and − zoom, 0 resets; views add their own keys). Strokes keep
// their width at any zoom.
import { addTiles } from "./tiles.js";

const NS = "http://www.w3.org/2000/svg";
const WIDTH = 1000;
const PAD = 16;
const LAYERS = ["tiles", "basemap", "roads", "flows", "homes", "routes", "stops", "schools"];

export function svgEl(tag, attrs = {}, text) {
  const node = document.createElementNS(NS, tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
  if (text !== undefined) {
    const title = document.createElementNS(NS, "title");
    title.textContent = text;
    node.append(title);
  }
  return node;
}

// Longitude and latitude to "world" units (x east, y south): Web Mercator's 0..1 square (as
// tile servers cut the world), else degrees with longitude shrunk by cos(mid-latitude).
function projection(mercator, midLat) {
  if (mercator) {
    return [(lon) => (lon + 180) / 360, (lat) => {
      const s = Math.sin((lat * Math.PI) / 180);
      return 0.5 - Math.log((1 + s) / (1 - s)) / (4 * Math.PI);
    }];
  }
  const kx = Math.cos((midLat * Math.PI) / 180);
  return [(lon) => lon * kx, (lat) => -lat];
}

function extent(values) {
  let lo = Infinity, hi = -Infinity;
  for (const v of values) { if (v < lo) lo = v; if (v > hi) hi = v; }
  return [lo, hi];
}

export function makeFrame(points, { height = 640, mercator = false } = {}) {
  let [lon0, lon1] = extent(points.map((p) => p[0]));
  let [lat0, lat1] = extent(points.map((p) => p[1]));
  if (lon1 - lon0 < 1e-6) { lon0 -= 0.008; lon1 += 0.008; }
  if (lat1 - lat0 < 1e-6) { lat0 -= 0.005; lat1 += 0.005; }
  const [px, py] = projection(mercator, (lat0 + lat1) / 2);
  const [x0, x1] = [px(lon0), px(lon1)];
  const [y0, y1] = [py(lat1), py(lat0)];
  const scale = Math.min((WIDTH - 2 * PAD) / (x1 - x0), (height - 2 * PAD) / (y1 - y0));
  const ox = PAD + (WIDTH - 2 * PAD - (x1 - x0) * scale) / 2;
  const oy = PAD + (height - 2 * PAD - (y1 - y0) * scale) / 2;
  return {
    width: WIDTH, height, mercator,
    x: (lon) => ox + (px(lon) - x0) * scale,
    y: (lat) => oy + (py(lat) - y0) * scale,
    // Frame px of world units and back (tiles.js places tiles with these).
    world: { ox, oy, x0, y0, scale },
  };
}

export function pathOf(frame, coords, close = false) {
  let d = "";
  coords.forEach(([lon, lat], i) => {
    d += `${i ? "L" : "M"}${frame.x(lon).toFixed(1)} ${frame.y(lat).toFixed(1)}`;
  });
  return close ? d + "Z" : d;
}

// Box (in frame px) around points, for the initial view.
function boxOf(frame, points) {
  const [xa, xb] = extent(points.map((p) => frame.x(p[0])));
  const [ya, yb] = extent(points.map((p) => frame.y(p[1])));
  return [xa - PAD, ya - PAD, xb - xa + 2 * PAD, yb - ya + 2 * PAD];
}

function mapButton(text, aria, action) {
  const b = document.createElement("button");
  b.type = "button";
  b.className = "map-button";
  b.textContent = text;
  b.setAttribute("aria-label", aria);
  b.addEventListener("click", action);
  return b;
}

// "© OpenStreetMap contributors", linked to its copyright page: shown while tiles are drawn.
function attribution() {
  const box = document.createElement("div");
  box.className = "attribution";
  box.hidden = true;
  const link = document.createElement("a");
  link.href = "https://www.openstreetmap.org/copyright";
  link.textContent = "OpenStreetMap contributors";
  link.target = "_blank";
  link.rel = "noopener";
  box.append("© ", link);
  return box;
}

let mapCount = 0;

// A map in `container`: frame fitted on `allPoints`, first shown around `focusPoints`; with
// `tiles` (a {z}/{x}/{y} URL) in Web Mercator with tiles under it while the server answers.
// `keyHelp` names the view's own keys (see onKey).
export function createMap(container, { allPoints, focusPoints, label, tiles = null, keyHelp = "" }) {
  const frame = makeFrame(allPoints, { mercator: Boolean(tiles) });
  const full = [0, 0, frame.width, frame.height];
  let view = focusPoints && focusPoints.length ? boxOf(frame, focusPoints) : full;
  const helpId = `map-help-${++mapCount}`;
  const svg = svgEl("svg", {
    class: "map", role: "application", "aria-roledescription": "map", "aria-label": label,
    "aria-describedby": helpId, tabindex: "0", preserveAspectRatio: "xMidYMid meet",
  });
  const layers = {};
  for (const name of LAYERS) {
    layers[name] = svgEl("g", { class: `layer-${name}` });
    svg.append(layers[name]);
  }
  // Markers keep their size on screen at any zoom and any page width (r in screen px).
  const markers = [];
  const viewers = [];
  let drawnK = 0;
  // "meet" fits the whole view: the axis with less room per unit sets the scale.
  const pxScale = () => Math.max(
    view[2] / (svg.clientWidth || frame.width), view[3] / (svg.clientHeight || frame.height));
  const resize = () => {
    const k = pxScale();
    if (Math.abs(k - drawnK) < 1e-9) return;
    drawnK = k;
    for (const [node, cx, cy, r] of markers) {
      if (node.tagName === "circle") node.setAttribute("r", (r * k).toFixed(2));
      else {
        node.setAttribute("x", (cx - r * k).toFixed(2));
        node.setAttribute("y", (cy - r * k).toFixed(2));
        node.setAttribute("width", (2 * r * k).toFixed(2));
        node.setAttribute("height", (2 * r * k).toFixed(2));
      }
    }
  };
  const apply = () => {
    svg.setAttribute("viewBox", view.map((v) => v.toFixed(1)).join(" "));
    resize();
    for (const viewer of viewers) viewer();
  };
  const zoom = (factor, cx = view[0] + view[2] / 2, cy = view[1] + view[3] / 2) => {
    const w = Math.min(full[2] * 2, Math.max(20, view[2] * factor));
    const h = (view[3] * w) / view[2];
    view = [cx - ((cx - view[0]) * w) / view[2], cy - ((cy - view[1]) * h) / view[3], w, h];
    apply();
  };
  const home = view.slice();
  apply();
  new ResizeObserver(() => { resize(); for (const viewer of viewers) viewer(); }).observe(svg);
  svg.addEventListener("wheel", (event) => {
    event.preventDefault();
    const r = svg.getBoundingClientRect();
    const cx = view[0] + ((event.clientX - r.left) / r.width) * view[2];
    const cy = view[1] + ((event.clientY - r.top) / r.height) * view[3];
    zoom(event.deltaY > 0 ? 1.25 : 0.8, cx, cy);
  }, { passive: false });
  let drag = null;
  svg.addEventListener("pointerdown", (e) => { drag = [e.clientX, e.clientY]; });
  svg.addEventListener("pointerup", () => { drag = null; });
  svg.addEventListener("pointerleave", () => { drag = null; });
  svg.addEventListener("pointermove", (e) => {
    if (!drag) return;
    const r = svg.getBoundingClientRect();
    view[0] -= ((e.clientX - drag[0]) / r.width) * view[2];
    view[1] -= ((e.clientY - drag[1]) / r.height) * view[3];
    drag = [e.clientX, e.clientY];
    apply();
  });
  const pan = (dx, dy) => () => { view[0] += dx * view[2]; view[1] += dy * view[3]; apply(); };
  const reset = () => { view = home.slice(); apply(); };
  const keys = {
    ArrowLeft: pan(-0.2, 0), ArrowRight: pan(0.2, 0), ArrowUp: pan(0, -0.2), ArrowDown: pan(0, 0.2),
    "+": () => zoom(0.7), "=": () => zoom(0.7), "-": () => zoom(1.4), "_": () => zoom(1.4), 0: reset,
  };
  const keyHandlers = [];
  svg.addEventListener("keydown", (event) => {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    const action = keys[event.key] || keyHandlers.find((h) => h.keys.includes(event.key))?.action;
    if (!action) return;
    event.preventDefault();
    action(event.key);
  });
  const tools = document.createElement("div");
  tools.className = "map-tools";
  tools.append(
    mapButton("+", "Zoom in", () => zoom(0.7)), mapButton("−", "Zoom out", () => zoom(1.4)),
    mapButton("←", "Pan west", pan(-0.2, 0)), mapButton("→", "Pan east", pan(0.2, 0)),
    mapButton("↑", "Pan north", pan(0, -0.2)), mapButton("↓", "Pan south", pan(0, 0.2)),
    mapButton("City", "Show the city", reset),
    mapButton("All", "Show everything", () => { view = full.slice(); apply(); }),
  );
  const help = document.createElement("p");
  help.id = helpId;
  help.className = "map-help";
  help.textContent = `On the map: arrow keys pan, + and − zoom, 0 goes back to the city${keyHelp ? `; ${keyHelp}` : ""}.`;
  const note = document.createElement("p");
  note.className = "map-note";
  const credit = attribution();
  const stage = document.createElement("div");
  stage.className = "map-stage";
  stage.append(svg, credit);
  const wrap = document.createElement("div");
  wrap.className = "map-wrap";
  wrap.append(tools, stage, note, help);
  container.replaceChildren(wrap);
  // A circle or square centred on lon/lat, `r` screen px from its centre to its edge.
  const marker = (layer, shape, lon, lat, r, attrs, text) => {
    const cx = frame.x(lon), cy = frame.y(lat);
    const node = shape === "circle"
      ? svgEl("circle", { cx: cx.toFixed(1), cy: cy.toFixed(1), ...attrs }, text)
      : svgEl("rect", attrs, text);
    markers.push([node, cx, cy, r]);
    layer.append(node);
    drawnK = 0;
    return node;
  };
  // Show these lon/lat points (a chosen route), keeping the map's shape.
  const focus = (points) => {
    if (!points.length) return;
    const [x0, y0, w, h] = boxOf(frame, points);
    const scale = Math.max(w / full[2], h / full[3], 0.05);
    view = [x0 + w / 2 - (full[2] * scale) / 2, y0 + h / 2 - (full[3] * scale) / 2, full[2] * scale, full[3] * scale];
    apply();
  };
  // Empty a layer and forget its markers: a view redrawing it (the panel's school filter).
  const clear = (name) => {
    for (let i = markers.length - 1; i >= 0; i -= 1) if (layers[name].contains(markers[i][0])) markers.splice(i, 1);
    layers[name].replaceChildren();
  };
  const map = {
    svg, frame, layers, marker, focus, clear, refresh: resize, pxScale,
    attribution: credit,
    view: () => view.slice(),
    // Called after every pan, zoom or resize.
    onView: (viewer) => viewers.push(viewer),
    // The view's own keys on the focused map, e.g. onKey(["n"], next).
    onKey: (names, action) => keyHandlers.push({ keys: names, action }),
    // One line under the map: how routes are drawn, what the basemap is.
    note: (text) => { note.textContent = text; },
  };
  if (tiles) addTiles(map, tiles);
  return map;
}

export function drawBasemap(map, rings) {
  if (!rings.length) return;
  const d = rings.map((ring) => pathOf(map.frame, ring, true)).join("");
  map.layers.basemap.append(svgEl("path", { d, class: "basemap" }));
}

// Roads as one thin grey path (lines of lon/lat), under everything but the basemap.
export function drawRoads(map, lines) {
  if (!lines.length) return;
  map.layers.roads.append(svgEl("path", { d: lines.map((line) => pathOf(map.frame, line)).join(""), class: "roads" }));
}

// Schools as squares: in-area blue, out-of-area orange with a heavier edge; size by count.
export function drawSchools(map, schools, countOf = () => 0, unit = "children") {
  for (const s of schools) {
    const n = countOf(s.school_id);
    const r = 3.5 + Math.min(5, Math.sqrt(n) / 2.5);
    map.marker(map.layers.schools, "rect", s.lon, s.lat, r, {
      class: `school ${s.in_area ? "in" : "out"}`, "data-school": s.school_id,
    }, `${s.name} (${s.in_area ? "in the authority" : "out of area"})${n ? `: ${n} ${unit}` : ""}`);
  }
  map.refresh();
}

// Homes as counts per grid cell (never points): circle area by count, colour by the class
// most of its children have (out of area and unplaced win ties, so they stay visible).
export function drawHomeCells(map, cells) {
  for (const c of cells) {
    const cls = c.unplaced ? "unplaced" : c.out ? "out" : c.in ? "in" : "home";
    map.marker(map.layers.homes, "circle", c.lon, c.lat, 1.2 + 0.9 * Math.sqrt(c.n), { class: `home ${cls}` },
      `${c.n} ${c.n === 1 ? "child" : "children"} live in this square kilometre` +
      (c.out ? `; ${c.out} placed out of area` : "") + (c.unplaced ? `; ${c.unplaced} unplaced` : ""));
  }
  map.refresh();
}

// Out-of-area placements as lines from the home's grid cell to the school, width by count.
export function drawFlows(map, flows, schools) {
  const at = Object.fromEntries(schools.map((s) => [s.school_id, s]));
  for (const f of flows) {
    const s = at[f.school_id];
    if (!s) continue;
    map.layers.flows.append(svgEl("path", {
      d: pathOf(map.frame, [[f.lon, f.lat], [s.lon, s.lat]]), class: "flow", "data-school": f.school_id,
      "stroke-width": (0.6 + Math.sqrt(f.n) * 0.4).toFixed(1),
    }, `${f.n} placed out of area at ${s.name}`));
  }
}
