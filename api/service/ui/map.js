// An SVG map drawn from lon/lat: an equirectangular frame (north up) as in the report's map
// (api/report_map_data.py), layers of paths and markers, and pan/zoom by the viewBox with
// real buttons for the keyboard. Strokes keep their width at any zoom.
const NS = "http://www.w3.org/2000/svg";
const WIDTH = 1000;
const PAD = 16;

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

export function makeFrame(points, height = 640) {
  const lons = points.map((p) => p[0]);
  const lats = points.map((p) => p[1]);
  let [lon0, lon1, lat0, lat1] = [Math.min(...lons), Math.max(...lons), Math.min(...lats), Math.max(...lats)];
  if (lon1 - lon0 < 1e-6) { lon0 -= 0.008; lon1 += 0.008; }
  if (lat1 - lat0 < 1e-6) { lat0 -= 0.005; lat1 += 0.005; }
  const kx = Math.cos(((lat0 + lat1) / 2) * Math.PI / 180);
  const scale = Math.min((WIDTH - 2 * PAD) / ((lon1 - lon0) * kx), (height - 2 * PAD) / (lat1 - lat0));
  const ox = PAD + (WIDTH - 2 * PAD - (lon1 - lon0) * kx * scale) / 2;
  const oy = PAD + (height - 2 * PAD - (lat1 - lat0) * scale) / 2;
  return {
    width: WIDTH, height,
    x: (lon) => ox + (lon - lon0) * kx * scale,
    y: (lat) => oy + (lat1 - lat) * scale,
    kmPx: scale / 111.32,
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
  const xs = points.map((p) => frame.x(p[0]));
  const ys = points.map((p) => frame.y(p[1]));
  const x0 = Math.min(...xs) - PAD, y0 = Math.min(...ys) - PAD;
  return [x0, y0, Math.max(...xs) + PAD - x0, Math.max(...ys) + PAD - y0];
}

// A map in `container`: frame fitted on `allPoints`, first shown around `focusPoints`.
export function createMap(container, { allPoints, focusPoints, label }) {
  const frame = makeFrame(allPoints);
  const full = [0, 0, frame.width, frame.height];
  let view = focusPoints && focusPoints.length ? boxOf(frame, focusPoints) : full;
  const svg = svgEl("svg", {
    class: "map", role: "img", "aria-label": label, preserveAspectRatio: "xMidYMid meet",
  });
  const layers = {};
  for (const name of ["basemap", "flows", "homes", "routes", "stops", "schools"]) {
    layers[name] = svgEl("g", { class: `layer-${name}` });
    svg.append(layers[name]);
  }
  // Markers keep their size on screen at any zoom and any page width (r in screen px).
  const markers = [];
  let drawnK = 0;
  const resize = () => {
    const k = view[2] / (svg.clientWidth || frame.width);
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
  };
  const zoom = (factor, cx = view[0] + view[2] / 2, cy = view[1] + view[3] / 2) => {
    const w = Math.min(full[2] * 2, Math.max(20, view[2] * factor));
    const h = (view[3] * w) / view[2];
    view = [cx - ((cx - view[0]) * w) / view[2], cy - ((cy - view[1]) * h) / view[3], w, h];
    apply();
  };
  const home = view.slice();
  apply();
  new ResizeObserver(() => resize()).observe(svg);
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
  const button = (text, aria, action) => {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "map-button";
    b.textContent = text;
    b.setAttribute("aria-label", aria);
    b.addEventListener("click", action);
    return b;
  };
  const pan = (dx, dy) => () => { view[0] += dx * view[2]; view[1] += dy * view[3]; apply(); };
  const tools = document.createElement("div");
  tools.className = "map-tools";
  tools.append(
    button("+", "Zoom in", () => zoom(0.7)), button("−", "Zoom out", () => zoom(1.4)),
    button("←", "Pan west", pan(-0.2, 0)), button("→", "Pan east", pan(0.2, 0)),
    button("↑", "Pan north", pan(0, -0.2)), button("↓", "Pan south", pan(0, 0.2)),
    button("City", "Show the city", () => { view = home.slice(); apply(); }),
    button("All", "Show everything", () => { view = full.slice(); apply(); }),
  );
  const wrap = document.createElement("div");
  wrap.className = "map-wrap";
  wrap.append(tools, svg);
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
  return { svg, frame, layers, marker, focus, refresh: resize };
}

export function drawBasemap(map, rings) {
  if (!rings.length) return;
  const d = rings.map((ring) => pathOf(map.frame, ring, true)).join("");
  map.layers.basemap.append(svgEl("path", { d, class: "basemap" }));
}

// Schools as squares: in-area blue, out-of-area orange with a heavier edge; size by count.
export function drawSchools(map, schools, countOf = () => 0, unit = "children") {
  for (const s of schools) {
    const n = countOf(s.school_id);
    const r = 3.5 + Math.min(5, Math.sqrt(n) / 2.5);
    map.marker(map.layers.schools, "rect", s.lon, s.lat, r, {
      class: `school ${s.in_area ? "in" : "out"}`, "data-school": s.school_id,
    }, `${s.name} (${s.in_area ? "in the authority" : "out of area"})${n ? `: ${n} children` : ""}`);
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
