// Every data call goes through here: the key from sessionStorage as X-API-Key, problem
// details (RFC 9457) turned into errors that carry the API's status and message.
const KEY = "sendplan.apiKey";
// The event a 401 answer raises on window (app.js signs out on it).
export const UNAUTHORIZED = "sendplan:unauthorized";

export function savedKey() {
  return sessionStorage.getItem(KEY);
}

export function saveKey(key) {
  sessionStorage.setItem(KEY, key);
}

export function forgetKey() {
  sessionStorage.removeItem(KEY);
}

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

async function request(path, options = {}) {
  const headers = { "X-API-Key": savedKey() || "", ...(options.headers || {}) };
  const response = await fetch(path, { ...options, headers, cache: "no-store" });
  if (!response.ok) {
    if (response.status === 401) window.dispatchEvent(new Event(UNAUTHORIZED));
    let message = `${response.status} ${response.statusText}`;
    try {
      const problem = await response.json();
      message = problem.detail || problem.title || message;
    } catch {
      /* not JSON: keep the status line */
    }
    throw new ApiError(response.status, message);
  }
  return response;
}

export async function getJson(path) {
  return (await request(path)).json();
}

export async function postJson(path, body, headers = {}) {
  const response = await request(path, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
  return response.json();
}

// Multipart form data (files): the browser sets the boundary in Content-Type.
export async function postForm(path, body) {
  return (await request(path, { method: "POST", body })).json();
}

// A file as a download: fetched with the key (a plain link could not send it).
export async function download(path, filename) {
  const blob = await (await request(path)).blob();
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

// Finished jobs of the given kinds, newest first (the API lists only kinds the role may see).
export async function finishedJobs(kinds) {
  const { items } = await getJson("/jobs?status=succeeded&limit=200");
  return items.filter((job) => kinds.includes(job.kind));
}

// Scenario id -> name, for the job pickers ({} when the list cannot be read).
export async function scenarioNames() {
  const page = await getJson("/scenarios?limit=200").catch(() => ({ items: [] }));
  return Object.fromEntries((page.items || []).map((s) => [s.id, s.name]));
}
