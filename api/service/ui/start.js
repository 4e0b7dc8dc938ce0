// Getting started, shown where a view has no finished jobs: upload a scenario (its CSV files,
// or one .xlsx workbook, as POST /scenarios takes them) and start a first job of the view's
// kind on a scenario, watched to the end; then the view shows it.
import { getJson, postForm } from "./api.js";
import { el, setStatus } from "./dom.js";
import { replanForm } from "./replan.js";

// The card: `kind` the job to start (placement, transport or forecast), `what` its results in
// words, `extra` its parameters besides kind, `onDone(job)` redraws the view with the job.
export async function gettingStarted(me, { kind, what, extra = {}, noIterations = false, onDone }) {
  const scenarios = (await getJson("/scenarios?limit=200").catch(() => ({ items: [] }))).items || [];
  const mayStart = me.actions.includes(`job.${kind}`);
  const next = !mayStart ? `This key's role may not start ${kind} jobs: ask a colleague who may.`
    : scenarios.length ? `Pick a scenario and start a ${kind} job: ${what} appear here when it has finished.`
      : `Upload a scenario first, then start a ${kind} job on it.`;
  const card = el("section", { class: "card getting-started", "aria-label": "Getting started" },
    el("h3", {}, "Getting started"), el("p", { class: "next-step" }, next));
  if (mayStart && scenarios.length) {
    const area = el("div");
    const picker = el("select", { id: `start-${kind}-scenario`, onchange: () => form() },
      scenarios.map((s) => el("option", { value: s.id }, `${s.name} (${s.children.toLocaleString("en-GB")} children)`)));
    const form = () => area.replaceChildren(replanForm(picker.value,
      { kind, label: `Start a ${kind} job`, extra, noIterations, onDone }));
    form();
    card.append(el("div", { class: "field" }, el("label", { for: picker.id }, "Scenario"), picker), area);
  }
  if (me.actions.includes("scenario.create")) card.append(uploadForm(kind, () => onDone(null)));
  return card;
}

function uploadForm(kind, uploaded) {
  const files = el("input", { type: "file", id: `upload-${kind}-files`, multiple: true, accept: ".csv,.toml,.xlsx" });
  const name = el("input", { type: "text", id: `upload-${kind}-name`, maxlength: "200", spellcheck: "false" });
  const progress = el("p", { class: "progress", role: "status", "aria-live": "polite" });
  const button = el("button", { type: "submit", class: "primary" }, "Upload scenario");
  const form = el("form", { class: "upload" },
    el("p", { class: "hint" }, "Send schools.csv and children.csv (optionally fleet.csv, policy.toml, "
      + "scenario.toml, and options.csv for expansion jobs), or one .xlsx workbook. Files are checked before they are kept."),
    el("div", { class: "field" }, el("label", { for: files.id }, "Scenario files"), files),
    el("div", { class: "field" }, el("label", { for: name.id }, "Name (optional)"), name),
    button, progress);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    progress.classList.remove("error");
    if (!files.files.length) {
      progress.textContent = "Choose the scenario's files first.";
      progress.classList.add("error");
      return;
    }
    const body = new FormData();
    for (const file of files.files) body.append("files", file, file.name);
    if (name.value.trim()) body.append("name", name.value.trim());
    button.disabled = true;
    progress.textContent = "Uploading and checking…";
    try {
      const made = await postForm("/scenarios", body);
      progress.textContent = `Scenario ${made.name} kept (${made.children} children, ${made.schools} schools).`;
      setStatus(progress.textContent);
      await uploaded();
    } catch (error) {
      progress.textContent = `Not uploaded: ${error.message}`;
      progress.classList.add("error");
    } finally {
      button.disabled = false;
    }
  });
  return el("details", { class: "upload-box" }, el("summary", {}, "Upload a scenario"), form);
}
