// Raster basemap tiles ({z}/{x}/{y}, as OpenStreetMap cuts them) under a Web Mercator map, only
// when the service names a tile server (SENDPLAN_UI_TILES_URL) and it answers. One probe tile
// goes first, so an offline page makes a single failed request and keeps its plain basemap;
// then the tiles the view needs, at the zoom where a tile is about 256 px on screen. A tile that
// fails is dropped; the attribution shows while any tile is drawn.
const NS = "http://www.w3.org/2000/svg";
const TILE_PX = 256;
const MAX_ZOOM = 19;
const MAX_TILES = 80;

export function tileUrl(template, z, x, y) {
  return template.replaceAll("{z}", String(z)).replaceAll("{x}", String(x)).replaceAll("{y}", String(y));
}

const clamp = (v, lo, hi) => Math.min(hi, Math.max(lo, v));

export function addTiles(map, template) {
  const { ox, oy, x0, y0, scale } = map.frame.world;
  const shown = new Map();  // "z/x/y" -> <image>
  let loaded = 0;
  const update = () => {
    map.attribution.hidden = loaded === 0;
    map.svg.classList.toggle("tiled", loaded > 0);
  };
  // The zoom level and the world box (0..1 units) the view shows, with a margin for the
  // letterboxing of preserveAspectRatio.
  const wanted = () => {
    const [vx, vy, vw, vh] = map.view();
    const z = clamp(Math.round(Math.log2(scale / (map.pxScale() * TILE_PX))), 0, MAX_ZOOM);
    const n = 2 ** z;
    const tile = (px, py) => [Math.floor((x0 + (px - ox) / scale) * n), Math.floor((y0 + (py - oy) / scale) * n)];
    const [xa, ya] = tile(vx - vw * 0.25, vy - vh * 0.25);
    const [xb, yb] = tile(vx + vw * 1.25, vy + vh * 1.25);
    const keys = [];
    for (let ty = clamp(ya, 0, n - 1); ty <= clamp(yb, 0, n - 1); ty++) {
      for (let tx = clamp(xa, 0, n - 1); tx <= clamp(xb, 0, n - 1); tx++) keys.push([z, tx, ty]);
    }
    return keys.slice(0, MAX_TILES);
  };
  const drop = (key) => {
    const image = shown.get(key);
    if (image.dataset.loaded) loaded -= 1;
    image.remove();
    shown.delete(key);
  };
  const draw = () => {
    const want = new Set();
    for (const [z, tx, ty] of wanted()) {
      const key = `${z}/${tx}/${ty}`;
      want.add(key);
      if (shown.has(key)) continue;
      const n = 2 ** z;
      const size = scale / n;
      const image = document.createElementNS(NS, "image");
      // A hair over a tile's size, so no seam shows between neighbours.
      for (const [name, value] of Object.entries({
        x: (ox + (tx / n - x0) * scale).toFixed(2), y: (oy + (ty / n - y0) * scale).toFixed(2),
        width: (size + 0.02 * size).toFixed(2), height: (size + 0.02 * size).toFixed(2),
        preserveAspectRatio: "none", class: "tile", href: tileUrl(template, z, tx, ty),
      })) image.setAttribute(name, value);
      image.addEventListener("load", () => {
        if (!image.isConnected) return;
        image.dataset.loaded = "1";
        loaded += 1;
        update();
      });
      image.addEventListener("error", () => { if (shown.get(key) === image) drop(key); update(); });
      map.layers.tiles.append(image);
      shown.set(key, image);
    }
    for (const key of [...shown.keys()]) if (!want.has(key)) drop(key);
    update();
  };
  let pending = false;
  const schedule = () => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => { pending = false; draw(); });
  };
  const [first] = wanted();
  if (!first) return;
  // data-tiles says what became of them: probing, on, or off (the plain basemap stays).
  map.svg.dataset.tiles = "probing";
  const probe = new Image();
  probe.addEventListener("load", () => { map.svg.dataset.tiles = "on"; map.onView(schedule); draw(); });
  probe.addEventListener("error", () => { map.svg.dataset.tiles = "off"; });
  probe.src = tileUrl(template, ...first);
}
