// The agent view: one WebSocket connection, a status switch, the current email with its lead,
// three dispositions and the countdown to expiry. Everything shown comes from server messages:
// `status`, `assigned`, `dispositioned`, `expired`, `error`, `pong`.
//
// API Gateway closes a connection after 10 minutes without a message and every connection after
// 2 hours; browsers cannot send ping frames, and API Gateway would not count them anyway (it counts
// messages). So the view sends a `ping` message well inside the idle limit, and when the connection
// closes it says "Reconnecting" and reconnects with exponential backoff and full jitter, then sends
// `resume`: within the stage's grace the agent keeps their status and the email they hold.

const STATUS_TEXT = {
  online: "Online: waiting for the next email.",
  busy: "Online: this email is yours until the time runs out.",
  away: "Away: you get no emails.",
  offline: "Offline: you get no emails.",
};
const LEAD_FIELDS = [
  ["Name", (l) => [l.first_name, l.last_name].filter(Boolean).join(" ")],
  ["Email", (l) => l.email],
  ["Phone", (l) => l.phone],
  ["Company", (l) => l.company],
  ["Title", (l) => l.title],
  ["Country", (l) => l.country],
  ["Source", (l) => l.source],
];
const ANNOUNCE_AT_S = [60, 30, 10];
// under half of API Gateway's 10-minute idle limit
const HEARTBEAT_MS = 240_000;
// waits stay well inside the default 30 s grace; after this many failed tries the user decides
const RECONNECT_BASE_MS = 500;
const RECONNECT_CAP_MS = 8_000;
const RECONNECT_TRIES = 12;

function backoffMs(attempt, baseMs, capMs) {
  return Math.random() * Math.min(capMs, baseMs * 2 ** Math.min(attempt, 30));
}

function formatSeconds(total) {
  const s = Math.max(0, Math.ceil(total));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

function formatTime(text) {
  const date = new Date(text);
  return Number.isNaN(date.getTime()) ? String(text || "") : date.toLocaleString();
}

export const agentView = {
  id: "agent",
  title: "Agent",
  mount(root, { config, token, announce, signOut }) {
    root.append(document.getElementById("agent-view").content.cloneNode(true));
    const $ = (id) => root.querySelector(`#${id}`);
    const buttons = [...root.querySelectorAll("[data-disposition]")];
    const state = {
      socket: null,
      opened: false,
      everOpened: false,
      attempt: 0,
      reconnects: 0,
      email: null,
      deadline: 0,
      total: 0,
      announced: new Set(),
      closing: false,
    };
    // the page's config may shorten these (tests run the gateway with a 1-2 s idle limit)
    const heartbeatMs = config.heartbeatMs || HEARTBEAT_MS;
    const reconnectBaseMs = config.reconnectBaseMs || RECONNECT_BASE_MS;
    const reconnectCapMs = config.reconnectCapMs || RECONNECT_CAP_MS;
    let tick = null;
    let heartbeat = null;
    let retryTimer = null;

    function setConnection(kind, text, withRetry = false) {
      const p = $("connection");
      p.dataset.state = kind;
      p.dataset.reconnects = String(state.reconnects);
      p.textContent = text;
      if (withRetry) {
        const retry = document.createElement("button");
        retry.type = "button";
        retry.className = "link";
        retry.textContent = "Reconnect";
        retry.addEventListener("click", () => {
          state.attempt = 0;
          connect();
        });
        const out = document.createElement("button");
        out.type = "button";
        out.className = "link";
        out.textContent = "Sign in with another token";
        out.addEventListener("click", signOut);
        p.append(" ", retry, " ", out);
      }
    }

    function showNotice(title, text) {
      $("notice-title").textContent = title;
      $("notice-text").textContent = text;
      $("notice").hidden = false;
      $("notice").focus();
    }

    function showError(text) {
      const error = $("error");
      error.textContent = text;
      error.hidden = !text;
    }

    function setStatus(status, note) {
      const value = status === "busy" ? "online" : status;
      for (const radio of root.querySelectorAll('input[name="status"]')) radio.checked = radio.value === value;
      $("status-text").textContent = note || STATUS_TEXT[status] || "";
      $("empty").textContent =
        status === "online" ? "No email right now: the next one comes here as soon as it arrives." : "No email right now. Go online to receive the next one.";
    }

    function stopTimer() {
      if (tick) window.clearInterval(tick);
      tick = null;
    }

    function renderTimer() {
      const left = (state.deadline - performance.now()) / 1000;
      const timer = $("timer");
      $("countdown").textContent = left > 0 ? formatSeconds(left) : "0:00, time is up";
      $("meter-fill").style.width = `${state.total > 0 ? Math.max(0, Math.min(1, left / state.total)) * 100 : 0}%`;
      timer.dataset.urgent = String(left <= 10);
      for (const mark of ANNOUNCE_AT_S) {
        if (left <= mark && left > mark - 2 && !state.announced.has(mark) && state.total > mark) {
          state.announced.add(mark);
          announce(`${mark} seconds left to act on this email.`);
        }
      }
    }

    function showEmail(email, { assignedAt, expiresAt, timeoutS }) {
      state.email = email;
      // an `assigned` message names both times: its length needs no clock agreement with the server
      const total = timeoutS || 0;
      let leftMs = Date.parse(expiresAt) - Date.now();
      if (assignedAt && expiresAt) leftMs = Date.parse(expiresAt) - Date.parse(assignedAt);
      if (Number.isNaN(leftMs)) leftMs = total * 1000;
      state.deadline = performance.now() + leftMs;
      state.total = total || leftMs / 1000;
      state.announced = new Set();
      $("email-subject").textContent = email.subject || "(no subject)";
      $("email-sender").textContent = email.sender || "";
      $("email-received").textContent = formatTime(email.received_at);
      $("email-body").textContent = email.body || "(no message body)";
      const lead = email.lead || {};
      const rows = [];
      for (const [label, pick] of LEAD_FIELDS) {
        const value = pick(lead);
        if (!value) continue;
        const dt = document.createElement("dt");
        dt.textContent = label;
        const dd = document.createElement("dd");
        dd.textContent = value;
        rows.push(dt, dd);
      }
      $("lead").replaceChildren(...rows);
      for (const button of buttons) button.disabled = false;
      $("email").hidden = false;
      $("empty").hidden = true;
      showError("");
      stopTimer();
      renderTimer();
      tick = window.setInterval(renderTimer, 250);
    }

    function clearEmail() {
      state.email = null;
      stopTimer();
      $("email").hidden = true;
      $("empty").hidden = false;
      for (const button of buttons) button.disabled = true;
    }

    function send(message) {
      if (!state.socket || state.socket.readyState !== WebSocket.OPEN) {
        showError("Not connected: reconnect first.");
        return false;
      }
      state.socket.send(JSON.stringify(message));
      return true;
    }

    function assigned(message) {
      setStatus("busy");
      showEmail(message.email, { assignedAt: message.assigned_at, expiresAt: message.expires_at, timeoutS: message.timeout_s });
      announce(`New email from ${message.email.sender || "a sender"}: ${message.email.subject || "no subject"}.`);
    }

    const handlers = {
      status(message) {
        setStatus(message.status, message.message);
        if (message.email) {
          // a status message names only the expiry: the time left is read off this browser's clock
          showEmail(message.email, {
            assignedAt: null,
            expiresAt: message.expires_at || message.email.expires_at,
            timeoutS: message.timeout_s,
          });
        } else {
          clearEmail();
        }
        if (message.status === "online" || message.status === "busy") $("notice").hidden = true;
      },
      assigned,
      dispositioned(message) {
        announce(`Recorded: ${message.disposition}.`);
        if (message.assigned) {
          assigned(message.assigned);
        } else if (state.email && state.email.email_id === message.email_id) {
          clearEmail();
          setStatus("online");
        }
      },
      expired(message) {
        clearEmail();
        setStatus("offline");
        showNotice(
          "You were set offline.",
          message.message || "The time to act ran out: the email went back to the queue and you are now offline.",
        );
      },
      error(message) {
        showError(message.message || "The server refused the request.");
        if (message.action === "disposition" && state.email) for (const button of buttons) button.disabled = false;
      },
      pong() {},
    };

    function stopHeartbeat() {
      if (heartbeat) window.clearInterval(heartbeat);
      heartbeat = null;
    }

    function reconnectLater() {
      if (state.attempt >= RECONNECT_TRIES) {
        setConnection("closed", "Connection lost and it did not come back. Without a connection you are offline.", true);
        return;
      }
      const wait = backoffMs(state.attempt, reconnectBaseMs, reconnectCapMs);
      state.attempt += 1;
      setConnection("reconnecting", `Connection lost. Reconnecting… (try ${state.attempt})`);
      retryTimer = window.setTimeout(connect, wait);
    }

    function connect() {
      if (retryTimer) window.clearTimeout(retryTimer);
      retryTimer = null;
      state.closing = false;
      state.opened = false;
      const again = state.everOpened;
      if (!again) setConnection("connecting", "Connecting…");
      const socket = new WebSocket(`${config.websocketUrl}?token=${encodeURIComponent(token)}`);
      state.socket = socket;
      socket.addEventListener("open", () => {
        state.opened = true;
        state.attempt = 0;
        if (again) state.reconnects += 1;
        state.everOpened = true;
        setConnection("open", again ? "Connected again." : "Connected.");
        $("status").disabled = false;
        if (!again) $("status-text").textContent = "Choose a status to start.";
        // who we are now: the status and any email still held (kept through a grace, or a reload)
        socket.send(JSON.stringify({ action: "resume" }));
        stopHeartbeat();
        heartbeat = window.setInterval(() => {
          if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ action: "ping" }));
        }, heartbeatMs);
      });
      socket.addEventListener("message", (event) => {
        let message;
        try {
          message = JSON.parse(event.data);
        } catch {
          return;
        }
        if (message.type === undefined && message.message === "Too Many Requests") {
          // API Gateway's own frame: the stage throttled that message and no function saw it
          showError("Too many requests: the server dropped that message. Wait a moment and try again.");
          if (state.email) for (const button of buttons) button.disabled = false;
          return;
        }
        const handle = handlers[message.type];
        if (handle) handle(message);
      });
      socket.addEventListener("close", () => {
        if (state.socket !== socket || state.closing) return;
        stopHeartbeat();
        $("status").disabled = true;
        if (!state.everOpened) {
          // never in: a refused token looks the same as an unreachable server to a browser
          stopTimer();
          setConnection("closed", "Could not connect: the token was refused or the server cannot be reached.", true);
          return;
        }
        // the email and its countdown stay: the server keeps them for the grace
        reconnectLater();
      });
    }

    root.querySelector("#status").addEventListener("change", (event) => {
      if (event.target.name === "status") {
        showError("");
        send({ action: "setStatus", status: event.target.value });
      }
    });
    for (const button of buttons) {
      button.addEventListener("click", () => {
        if (!state.email) return;
        for (const b of buttons) b.disabled = true;
        if (!send({ action: "disposition", email_id: state.email.email_id, disposition: button.dataset.disposition })) {
          for (const b of buttons) b.disabled = false;
        }
      });
    }
    $("notice-dismiss").addEventListener("click", () => {
      $("notice").hidden = true;
      root.querySelector('input[name="status"]:checked, input[name="status"]')?.focus();
    });

    clearEmail();
    connect();
    return () => {
      state.closing = true;
      stopTimer();
      stopHeartbeat();
      if (retryTimer) window.clearTimeout(retryTimer);
      if (state.socket) state.socket.close();
    };
  },
};
