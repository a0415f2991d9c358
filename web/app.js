// The console shell: configuration, sign-in, and the views in the nav.
// A view is { id, title, mount(root, context) -> unmount }. The agent view is the only one today;
// an admin view registers itself here the same way (e.g. `import { adminView } from "./admin.js"`).
import { agentView } from "./agent.js";

const TOKEN_KEY = "leadflow.token";
const views = [agentView];

const $ = (id) => document.getElementById(id);
let unmount = null;
let config = null;

function announce(text) {
  const region = $("announcer");
  region.textContent = "";
  // a fresh text node, so that the same words twice are read twice
  window.setTimeout(() => { region.textContent = text; }, 50);
}

async function loadConfig() {
  const response = await fetch("config.json", { cache: "no-store" });
  if (!response.ok) throw new Error(`config.json: HTTP ${response.status}`);
  const data = await response.json();
  if (!data.websocketUrl) throw new Error("config.json names no websocketUrl");
  return data;
}

function currentView() {
  const id = window.location.hash.replace(/^#/, "");
  return views.find((v) => v.id === id) || views[0];
}

function renderNav(active) {
  const nav = $("nav");
  nav.replaceChildren(
    ...views.map((view) => {
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

function show() {
  if (unmount) {
    unmount();
    unmount = null;
  }
  const token = window.sessionStorage.getItem(TOKEN_KEY);
  const view = currentView();
  renderNav(view);
  $("sign-in").hidden = Boolean(token);
  $("sign-out").hidden = !token;
  const root = $("view");
  root.replaceChildren();
  if (!token) return;
  document.title = `${view.title} · Leadflow console`;
  unmount = view.mount(root, { config, token, announce, signOut });
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
