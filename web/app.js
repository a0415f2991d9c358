// The console shell: configuration, sign-in, and the views in the nav.
// A view is { id, title, admin?, mount(root, context) -> unmount }. The role of the token decides
// which views show: the server is asked (GET /agents answers only an admin), never the token itself.
import { agentView } from "./agent.js";
import { askView } from "./admin/ask.js";
import { callersView } from "./admin/callers.js";
import { jobsView } from "./admin/jobs.js";
import { leadsView } from "./admin/leads.js";
import { queueView } from "./admin/queue.js";
import { uploadView } from "./admin/upload.js";
import { restClient } from "./api.js";

const TOKEN_KEY = "leadflow.token";
const views = [uploadView, jobsView, leadsView, askView, queueView, callersView, agentView];

const $ = (id) => document.getElementById(id);
let unmount = null;
let config = null;
// the role found for the signed-in token: { token, admin: true | false } once known
let role = null;

function announce(text) {
  const region = $("announcer");
  region.textContent = "";
  // a fresh text node, so that the same words twice are read twice
  window.setTimeout(() => { region.textContent = text; }, 50);
}

/** The REST URL in `config.rest.json` (written by the stack of the REST API), or null if none. */
async function loadRestUrl() {
  try {
    const response = await fetch("config.rest.json", { cache: "no-store" });
    if (!response.ok) return null;
    const data = await response.json();
    return data && typeof data.restUrl === "string" && data.restUrl ? data.restUrl : null;
  } catch {
    // not there (yet) or not JSON: the admin views say the REST URL is missing
    return null;
  }
}

/** `config.json`, with the REST URL from `config.rest.json` when config.json names none. */
async function loadConfig() {
  const response = await fetch("config.json", { cache: "no-store" });
  if (!response.ok) throw new Error(`config.json: HTTP ${response.status}`);
  const data = await response.json();
  if (!data.websocketUrl) throw new Error("config.json names no websocketUrl");
  if (!data.restUrl) data.restUrl = await loadRestUrl();
  return data;
}

function allowedViews() {
  return role && role.admin ? views : views.filter((v) => !v.admin);
}

/** The view named by the hash (`#leads?job_id=...`) if this token may see it, and its parameters. */
function currentView() {
  const [id, search] = window.location.hash.replace(/^#/, "").split("?");
  const allowed = allowedViews();
  const view = allowed.find((v) => v.id === id) || allowed[0];
  return { view, params: view.id === id ? Object.fromEntries(new URLSearchParams(search || "")) : {} };
}

/** Admin or not: an admin-only route answers 200 for an admin, 403 for any other role. */
async function findRole(token) {
  const api = restClient(config, token);
  if (!api.hasUrl) return { token, admin: false };
  try {
    await api.get("/agents");
    return { token, admin: true };
  } catch {
    // 403 (another role), 401 (an unknown token: the agent view says so) or unreachable
    return { token, admin: false };
  }
}

function renderNav(active, token) {
  const nav = $("nav");
  nav.replaceChildren(
    ...(token ? allowedViews() : []).map((view) => {
      const item = document.createElement("li");
      const link = document.createElement("a");
      link.href = `#${view.id}`;
      link.textContent = view.title;
      if (view === active) link.setAttribute("aria-current", "page");
      item.append(link);
      return item;
    }),
  );
}

function signOut() {
  window.sessionStorage.removeItem(TOKEN_KEY);
  show();
  $("token").focus();
}

let showing = 0;

async function show() {
  const turn = ++showing;
  if (unmount) {
    unmount();
    unmount = null;
  }
  const token = window.sessionStorage.getItem(TOKEN_KEY);
  $("sign-in").hidden = Boolean(token);
  $("sign-out").hidden = !token;
  const root = $("view");
  root.replaceChildren();
  if (!token) {
    role = null;
    renderNav(null, null);
    document.body.dataset.view = "sign-in";
    return;
  }
  if (!role || role.token !== token) {
    renderNav(null, null);
    const wait = document.createElement("p");
    wait.className = "hint";
    wait.textContent = "Checking your token…";
    root.replaceChildren(wait);
    const found = await findRole(token);
    if (turn !== showing) return;
    role = found;
    root.replaceChildren();
  }
  const { view, params } = currentView();
  renderNav(view, token);
  document.body.dataset.view = view.id;
  document.body.dataset.role = role.admin ? "admin" : "agent";
  document.title = `${view.title} · Leadflow console`;
  const api = restClient(config, token);
  unmount = view.mount(root, { config, token, api, params, announce, signOut });
}

function fail(message) {
  const root = $("view");
  const p = document.createElement("p");
  p.className = "error";
  p.setAttribute("role", "alert");
  p.textContent = message;
  root.replaceChildren(p);
}

async function start() {
  $("sign-in-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const input = $("token");
    const token = input.value.trim();
    if (!token) {
      input.setAttribute("aria-invalid", "true");
      input.focus();
      return;
    }
    input.removeAttribute("aria-invalid");
    input.value = "";
    window.sessionStorage.setItem(TOKEN_KEY, token);
    show();
    $("main").focus();
  });
  $("sign-out").addEventListener("click", signOut);
  window.addEventListener("hashchange", show);
  try {
    config = await loadConfig();
  } catch (error) {
    fail(`The console cannot start: ${error.message}`);
    return;
  }
  show();
}

start();
