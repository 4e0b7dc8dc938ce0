// Small DOM helpers: elements built with textContent (never innerHTML: ids and names from
// uploads are text, not markup), number formats and sortable, filterable tables.
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === false || value === null || value === undefined) continue;
    if (name === "class") node.className = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

const GBP = new Intl.NumberFormat("en-GB", { style: "currency", currency: "GBP", maximumFractionDigits: 0 });
const NUM = new Intl.NumberFormat("en-GB", { maximumFractionDigits: 2 });

export function gbp(value) {
  return value === null || value === undefined || value === "" ? "–" : GBP.format(Number(value));
}

export function num(value) {
  return value === null || value === undefined || value === "" ? "–" : NUM.format(Number(value));
}

export function shortId(id) {
  return id.slice(0, 8);
}

// "Scenario name · placement what-if 1a2b3c4d · 29/11/2026, 21:58": a what-if job says so (its
// results differ from its scenario's by the what-if), and pickers name the scenario.
export function jobLabel(job, scenarioName = "") {
  const when = new Date(job.finished_at || job.created_at).toLocaleString("en-GB", {
    dateStyle: "short", timeStyle: "short",
  });
  const whatIf = job.params && job.params.what_if ? " what-if" : "";
  return `${scenarioName ? `${scenarioName} · ` : ""}${job.kind}${whatIf} ${shortId(job.id)} · ${when}`;
}

// A <select> with a label; options are [value, text] pairs.
export function select(id, label, options, onchange) {
  const node = el("select", { id, onchange: (e) => onchange(e.target.value) },
    options.map(([value, text]) => el("option", { value }, text)));
  return el("div", { class: "field" }, el("label", { for: id }, label), node);
}

export function table(columns, rows, { caption, rowClass, onRowClick, limit = 400 } = {}) {
  const head = el("tr", {}, columns.map((c) => el("th", { scope: "col", class: c.num ? "num" : "" }, c.label)));
  const body = el("tbody");
  for (const row of rows.slice(0, limit)) {
    const tr = el("tr", { class: rowClass ? rowClass(row) : "" },
      columns.map((c) => el("td", { class: c.num ? "num" : "" }, c.cell(row))));
    if (onRowClick) {
      tr.tabIndex = 0;
      tr.addEventListener("click", () => onRowClick(row, tr));
      tr.addEventListener("keydown", (e) => {
        if (e.key === "Enter" || e.key === " ") { e.preventDefault(); onRowClick(row, tr); }
      });
    }
    body.append(tr);
  }
  const note = rows.length > limit ? el("p", { class: "muted" }, `Showing ${limit} of ${rows.length} rows: filter to narrow.`) : null;
  return el("div", { class: "table-wrap" },
    el("table", {}, caption ? el("caption", {}, caption) : null, el("thead", {}, head), body), note);
}

export function setStatus(text) {
  document.getElementById("status").textContent = text;
}

export function showError(where, error) {
  where.replaceChildren(el("p", { class: "error", role: "alert" }, error.message || String(error)));
}
