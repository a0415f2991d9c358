// Jobs: the newest uploads with their status and counts (GET /jobs), refreshed while shown.
import { every, formatTime, h, table } from "../api.js";

const REFRESH_MS = 2000;

export const jobsView = {
  id: "jobs",
  title: "Jobs",
  admin: true,
  mount(root, { api }) {
    const list = h("div", { id: "jobs-list" }, h("p", { class: "empty", text: "Loading…" }));
    const error = h("p", { class: "error", role: "alert", hidden: true });
    const updated = h("p", { class: "hint", id: "jobs-updated" });
    root.append(
      h("h1", { text: "Recent jobs" }),
      h("section", { class: "card", "aria-labelledby": "jobs-title" }, h("h2", { id: "jobs-title", class: "visually-hidden", text: "The newest 20 jobs" }), updated, list, error),
    );

    let last = null;

    async function refresh() {
      try {
        const { jobs } = await api.get("/jobs", { limit: 20 });
        error.hidden = true;
        updated.textContent = `The newest ${jobs.length} jobs, newest first; updated ${new Date().toLocaleTimeString()}.`;
        // the table is rebuilt only when something changed, so that keyboard focus stays put
        const seen = JSON.stringify(jobs);
        if (seen === last) return;
        last = seen;
        if (!jobs.length) {
          list.replaceChildren(h("p", { class: "empty", text: "No jobs yet: upload a file first." }));
          return;
        }
        list.replaceChildren(
          table(
            "Recent jobs",
            [
              ["File", (j) => j.filename],
              ["Status", (j) => h("span", { class: `badge ${j.status}`, text: j.status })],
              ["Rows", (j) => String(j.rows_total)],
              ["Stored", (j) => String(j.leads_stored)],
              ["Rejected", (j) => String(j.rows_rejected)],
              ["Duplicates", (j) => String(j.leads_duplicate)],
              ["Created", (j) => formatTime(j.created_at)],
              ["Leads", (j) => h("a", { href: `#leads?job_id=${encodeURIComponent(j.job_id)}`, text: "Show leads", "aria-label": `Show the leads of ${j.filename}` })],
            ],
            jobs,
            { captionHidden: true },
          ),
        );
      } catch (e) {
        error.textContent = `The jobs could not be read: ${e.message}`;
        error.hidden = false;
      }
    }

    return every(REFRESH_MS, refresh);
  },
};
