// WCAG contrast of each selector's first element's text against what is behind it (see
// ui_browser_support.contrast_ratios): run in the page by Playwright.
(selectors) => {
  const rgba = (text) => { const v = (text.match(/[\d.]+/g) || []).map(Number);
    return v.length === 3 ? [...v, 1] : v.length === 4 ? v : [0, 0, 0, 0]; };
  const over = (top, under) => [0, 1, 2].map((i) => top[i] * top[3] + under[i] * (1 - top[3])).concat(1);
  const lum = (c) => { const f = (x) => { x /= 255; return x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]); };
  const backdrop = (node) => { const layers = [];
    for (let n = node; n && n.nodeType === 1; n = n.parentElement) {
      const c = rgba(getComputedStyle(n).backgroundColor);
      if (c[3] > 0) { layers.push(c); if (c[3] >= 1) break; } }
    return layers.reverse().reduce((under, top) => over(top, under), [255, 255, 255, 1]); };
  const out = {};
  for (const sel of selectors) {
    const node = document.querySelector(sel);
    if (!node) { out[sel] = null; continue; }
    const style = getComputedStyle(node);
    const svgText = node instanceof SVGElement;
    const bg = backdrop(svgText ? node.ownerSVGElement : node);
    let opacity = 1;
    for (let n = node; n && n.nodeType === 1; n = n.parentElement) opacity *= Number(getComputedStyle(n).opacity);
    const fg = rgba(svgText ? style.fill : style.color);
    const seen = over([fg[0], fg[1], fg[2], fg[3] * opacity], bg);
    const [a, b] = [lum(seen), lum(bg)];
    out[sel] = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
  }
  return out; }
