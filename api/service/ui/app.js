// Start-up: sign in with an API key (kept in sessionStorage only), ask /me what the key's role
// may do, offer only those views, and show the one named in the URL's #hash.
import { ApiError, UNAUTHORIZED, forgetKey, getJson, saveKey, savedKey } from "./api.js";
import { setStatus, showError } from "./dom.js";
import { showPanel } from "./panel.js";
import { showTransport } from "./transport.js";
import { showPlanner } from "./planner.js";

const VIEWS = { panel: showPanel, transport: showTransport, planner: showPlanner };
const $ = (id) => document.getElementById(id);
let me = null;

async function signIn(key) {
  saveKey(key);
  try {
    me = await getJson("/me");
  } catch (error) {
    forgetKey();
    me = null;
    throw error;
  }
}

function allowedViews() {
  return [...document.querySelectorAll("#nav .tab")]
    .filter((tab) => me.actions.includes(tab.dataset.needs)).map((tab) => tab.dataset.view);
}

async function show(view) {
  const views = allowedViews();
  if (!views.includes(view)) view = views[0];
  document.querySelectorAll("#nav .tab").forEach((tab) => {
    tab.hidden = !views.includes(tab.dataset.view);
    tab.setAttribute("aria-current", tab.dataset.view === view ? "page" : "false");
  });
  for (const name of Object.keys(VIEWS)) $(`view-${name}`).hidden = name !== view;
  if (!view) {
    setStatus("This key's role has no views here.");
    return;
  }
  const root = $(`view-${view}`);
  document.body.dataset.view = view;
  document.body.dataset.ready = "false";
  try {
    await VIEWS[view](root, me);
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return signOut("Your key is no longer valid: sign in again.");
    showError(root, error);
  } finally {
    document.body.dataset.ready = "true";
  }
}

function signedIn() {
  $("sign-in").hidden = true;
  $("nav").hidden = false;
  $("who").hidden = false;
  $("who-text").textContent = `Authority ${me.tenant} · ${me.role}`;
  return show(location.hash.slice(1));
}

// Signed out (by the user or on a 401): every view emptied, not only hidden: the next user of
// this tab must not find the last one's children or stops (their homes) in the page. Each view
// is swapped for an empty copy, so a view still loading draws into the detached one.
function signOut(message = "") {
  forgetKey();
  me = null;
  $("nav").hidden = true;
  $("who").hidden = true;
  $("who-text").textContent = "";
  for (const name of Object.keys(VIEWS)) {
    const old = $(`view-${name}`);
    const empty = old.cloneNode(false);
    empty.hidden = true;
    old.replaceWith(empty);
  }
  delete document.body.dataset.view;
  setStatus("");
  $("sign-in").hidden = false;
  $("sign-in-error").textContent = message;
  $("api-key").focus();
}

$("sign-in-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  $("sign-in-error").textContent = "";
  try {
    await signIn($("api-key").value.trim());
    $("api-key").value = "";
    await signedIn();
  } catch (error) {
    $("sign-in-error").textContent = error.status === 401 ? "That key was not accepted." : error.message;
  }
});
$("sign-out").addEventListener("click", () => signOut());
// Any call answered 401 (the key revoked or expired while the page is open) signs out.
window.addEventListener(UNAUTHORIZED, () => { if (me) signOut("Your key is no longer valid: sign in again."); });
document.querySelectorAll("#nav .tab").forEach((tab) => tab.addEventListener("click", () => {
  if (location.hash.slice(1) === tab.dataset.view) show(tab.dataset.view);
  else location.hash = tab.dataset.view;
}));
window.addEventListener("hashchange", () => { if (me) show(location.hash.slice(1)); });

if (savedKey()) {
  signIn(savedKey()).then(signedIn).catch(() => signOut());
}
