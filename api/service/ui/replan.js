// Start a job on a scenario and watch it: POST /scenarios/{id}/jobs, then GET /jobs/{id}
// every second with its stage, best cost so far and elapsed time, until it has finished.
// ``extra``: more parameters, or a function giving them when the form is sent (a file read).
import { getJson, postJson } from "./api.js";
import { el, num, shortId } from "./dom.js";

const FINISHED = ["succeeded", "failed", "cancelled"];
const POLL_MS = 1000;

export function replanForm(scenarioId, { kind, label, extra = {}, onDone, noIterations = false, iterations: start = 50 }) {
  const iterations = el("input", { id: `${kind}-iterations`, type: "number", min: "1", max: "100000", value: String(start || 50) });
  const progress = el("p", { class: "progress", role: "status", "aria-live": "polite" });
  const button = el("button", { type: "submit", class: "primary" }, label);
  const form = el("form", { class: "replan" },
    noIterations ? null : el("div", { class: "field" }, el("label", { for: iterations.id }, "Search iterations"), iterations),
    button, progress);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    button.disabled = true;
    progress.classList.remove("error");
    let job = null;
    try {
      const more = typeof extra === "function" ? await extra() : extra;
      const body = noIterations ? { kind, ...more } : { kind, iterations: Number(iterations.value), ...more };
      job = await postJson(`/scenarios/${scenarioId}/jobs`, body, { "Idempotency-Key": crypto.randomUUID() });
      const done = await watch(job.id, progress);
      if (done.status === "succeeded" && onDone) await onDone(done);
    } catch (error) {
      // Once started, the job runs on whatever happens to this page: say so.
      progress.textContent = job ? `Job ${shortId(job.id)} started, but this page stopped following it: ${error.message}`
        : `Could not start: ${error.message}`;
      progress.classList.add("error");
    } finally {
      button.disabled = false;
    }
  });
  return form;
}

export async function watch(jobId, progress) {
  for (;;) {
    const job = await getJson(`/jobs/${jobId}`);
    const p = job.progress || {};
    // The stage and the reason often repeat the status ("succeeded"): each said once.
    const stage = p.stage && p.stage !== job.status ? p.stage : "";
    const reason = job.reason && ![job.status, stage].includes(job.reason) ? job.reason : "";
    progress.textContent = `Job ${shortId(job.id)}: ${job.status}` +
      (stage ? ` · ${stage}` : "") +
      (p.elapsed_s !== null && p.elapsed_s !== undefined ? ` · ${num(p.elapsed_s)} s` : "") +
      (reason ? ` · ${reason}` : "");
    if (FINISHED.includes(job.status)) return job;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}
