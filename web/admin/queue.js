// Queue and agents: the pending emails with their age (GET /emails?status=Pending) and the agents
// with their status and current email (GET /agents), refreshed every 1.5 s while shown.
import { every, formatAge, formatTime, h, table } from "../api.js";

const REFRESH_MS = 1500;
const QUEUE_SHOWN = 100;

export const queueView = {
  id: "queue",
  title: "Queue",
  admin: true,
  mount(root, { api }) {
    const queueBody = h("div", { id: "queue-list" }, h("p", { class: "empty", text: "Loading…" }));
    const agentsBody = h("div", { id: "agents-list" }, h("p", { class: "empty", text: "Loading…" }));
    const queueCount = h("p", { id: "queue-count", class: "hint", "aria-live": "polite", "aria-atomic": "true" });
    const error = h("p", { class: "error", role: "alert", hidden: true });
    root.append(
      h("h1", { text: "Queue and agents" }),
      error,
      h("div", { class: "columns" },
        h("section", { class: "card", "aria-labelledby": "queue-title" }, h("h2", { id: "queue-title", text: "Pending emails" }), queueCount, queueBody),
        h("section", { class: "card", "aria-labelledby": "agents-title" }, h("h2", { id: "agents-title", text: "Agents" }), agentsBody),
      ),
    );
    let last = { emails: null, agents: null };

    async function refresh() {
      try {
        const [queue, team] = await Promise.all([
          api.get("/emails", { status: "Pending", limit: QUEUE_SHOWN }),
          api.get("/agents"),
        ]);
        error.hidden = true;
        const now = Date.now();
        const pending = queue.emails;
        const waiting = pending.filter((e) => !e.assigned_to).length;
        const more = queue.next ? ` (the oldest ${QUEUE_SHOWN} shown)` : "";
        const countText = `${pending.length} email${pending.length === 1 ? "" : "s"} open${more}: ${waiting} waiting, ${pending.length - waiting} with an agent.`;
        if (queueCount.textContent !== countText) queueCount.textContent = countText;
        // rebuilt only when something changed (ages tick on in their own cells), so focus stays put
        const emailsKey = JSON.stringify(pending.map((e) => [e.email_id, e.assigned_to]));
        if (emailsKey !== last.emails) {
          last.emails = emailsKey;
          queueBody.replaceChildren(
            pending.length
              ? table("Pending emails, oldest first", [
                  ["Subject", (e) => e.subject || "(no subject)"],
                  ["From", (e) => e.sender],
                  ["Received", (e) => formatTime(e.received_at)],
                  ["Age", (e) => h("span", { "data-age": e.received_at, text: formatAge(e.received_at, now) })],
                  ["With", (e) => e.assigned_to || "waiting"],
                ], pending, { captionHidden: true })
              : h("p", { class: "empty", text: "The queue is empty." }),
          );
        }
        for (const cell of queueBody.querySelectorAll("[data-age]")) cell.textContent = formatAge(cell.dataset.age, now);
        const agents = [...team.agents].sort((a, b) => a.user_id.localeCompare(b.user_id));
        const agentsKey = JSON.stringify(agents);
        if (agentsKey !== last.agents) {
          last.agents = agentsKey;
          const subjects = Object.fromEntries(pending.map((e) => [e.email_id, e.subject]));
          agentsBody.replaceChildren(
            agents.length
              ? table("Agents", [
                  ["Agent", (a) => a.user_id],
                  ["Status", (a) => h("span", { class: `badge ${a.status || "offline"}`, text: a.status || "offline" })],
                  ["Current email", (a) => (a.current_email_id ? subjects[a.current_email_id] || a.current_email_id : "none")],
                  ["Connections", (a) => String(a.connections)],
                  ["Last assigned", (a) => formatTime(a.last_assigned_at)],
                ], agents, { captionHidden: true })
              : h("p", { class: "empty", text: "No agent has signed in yet." }),
          );
        }
      } catch (e) {
        error.textContent = `The queue could not be read: ${e.message}`;
        error.hidden = false;
      }
    }

    return every(REFRESH_MS, refresh);
  },
};
