// The REST API as the CLI calls it: the same routes, the token as a bearer header, errors as
// sentences. The page has no endpoint of its own.

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

const STATUS_TEXT = {
  401: "The token was refused: sign in again with a valid token.",
  403: "Your token's role may not do this.",
  429: "Too many requests: wait a moment and try again.",
};

async function messageOf(response) {
  let text = "";
  try {
    text = await response.text();
    const data = JSON.parse(text);
    if (data && typeof data.message === "string") return data.message;
  } catch {
    // not JSON: the text itself, if short enough to be a sentence
  }
  if (STATUS_TEXT[response.status]) return STATUS_TEXT[response.status];
  return text && text.length < 300 ? text : `The server answered HTTP ${response.status}.`;
}

export function queryString(params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params || {})) {
    if (value !== undefined && value !== null && value !== "") search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}

/** The header of an answer whose JSON is a link to the real answer (a presigned S3 GET). */
export const LINK_HEADER = "X-Body-Link";

/** The answer a link points to: fetched without the token (the URL is signed), parsed as JSON. */
export async function followLink(link, signal) {
  let response;
  try {
    response = await fetch(link.body_url, { signal });
  } catch (error) {
    if (error.name === "AbortError") throw error;
    throw new ApiError(0, "The answer was too large to send directly, and its link could not be fetched.");
  }
  if (!response.ok) {
    throw new ApiError(response.status, `The answer was too large to send directly, and its link failed (HTTP ${response.status}).`);
  }
  return response.json();
}

/** A client for `config.restUrl` with `token`; `request` resolves to the Response (for files). */
export function restClient(config, token) {
  const base = (config.restUrl || "").replace(/\/+$/, "");

  async function request(method, path, { query, json, body, headers, signal } = {}) {
    if (!base) throw new ApiError(0, "This console has no REST API URL (config.json or config.rest.json).");
    const init = { method, headers: { Authorization: `Bearer ${token}`, ...(headers || {}) }, signal };
    if (json !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(json);
    } else if (body !== undefined) {
      init.body = body;
    }
    let response;
    try {
      response = await fetch(`${base}${path}${queryString(query)}`, init);
    } catch (error) {
      if (error.name === "AbortError") throw error;
      throw new ApiError(0, "The API cannot be reached: check the connection and try again.");
    }
    if (!response.ok) throw new ApiError(response.status, await messageOf(response));
    return response;
  }

  async function call(method, path, options) {
    const response = await request(method, path, options);
    const text = await response.text();
    const data = text ? JSON.parse(text) : null;
    // an answer larger than Lambda may return (6 MB) comes as a link to it in S3 (shared/core/responses.py)
    if (response.headers.get(LINK_HEADER) === "1" && data && typeof data.body_url === "string") {
      return followLink(data, options && options.signal);
    }
    return data;
  }

  return {
    hasUrl: Boolean(base),
    request,
    get: (path, query, options = {}) => call("GET", path, { ...options, query }),
    post: (path, json, options = {}) => call("POST", path, { ...options, json }),
    postBody: (path, body, options = {}) => call("POST", path, { ...options, body }),
    delete: (path) => call("DELETE", path),
  };
}

/** Repeat `task` every `ms` while the page is visible, never two at once; returns stop(). */
export function every(ms, task) {
  let timer = null;
  let running = false;
  let stopped = false;
  async function run() {
    if (stopped || running) return;
    if (document.visibilityState === "hidden") {
      schedule();
      return;
    }
    running = true;
    try {
      await task();
    } finally {
      running = false;
      schedule();
    }
  }
  function schedule() {
    if (!stopped) timer = window.setTimeout(run, ms);
  }
  run();
  return () => {
    stopped = true;
    if (timer) window.clearTimeout(timer);
  };
}

// ------------------------------------------------------------------ small DOM helpers

/** An element with attributes (`class`, `text`, data-*, aria-*, others) and children. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") el.className = value;
    else if (key === "text") el.textContent = value;
    else if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

export function formatTime(text) {
  if (!text) return "";
  const date = new Date(text);
  return Number.isNaN(date.getTime()) ? String(text) : date.toLocaleString();
}

export function formatAge(text, now = Date.now()) {
  const then = Date.parse(text);
  if (Number.isNaN(then)) return "";
  const s = Math.max(0, Math.round((now - then) / 1000));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  return `${Math.floor(s / 86400)} d ${Math.floor((s % 86400) / 3600)} h`;
}

export function formatBytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

export function leadName(lead) {
  return [lead.first_name, lead.last_name].filter(Boolean).join(" ");
}

/** A table of `rows` with `columns` [[heading, (row) => text or Node], ...] and a caption. */
export function table(caption, columns, rows, { captionHidden = false } = {}) {
  return h(
    "div",
    { class: "table-wrap", role: "region", "aria-label": caption, tabindex: "0" },
    h(
      "table",
      {},
      h("caption", { class: captionHidden ? "visually-hidden" : null, text: caption }),
      h("thead", {}, h("tr", {}, columns.map(([heading]) => h("th", { scope: "col", text: heading })))),
      h(
        "tbody",
        {},
        rows.map((row) => h("tr", {}, columns.map(([heading, pick]) => h("td", { "data-label": heading }, pick(row) ?? "")))),
      ),
    ),
  );
}
