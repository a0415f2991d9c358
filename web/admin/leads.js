// Leads: the reader's filters (GET /leads), cursor paging, one lead's detail (GET /leads/{id} with
// its sources and deliveries, GET /leads/{id}/messages, vanity numbers from GET /callers for phone
// leads) and the CSV export with the same filters (GET /leads/export).
import { ApiError, formatTime, h, leadName, table } from "../api.js";

const STATUSES = ["new", "contacted", "qualified", "disqualified"];
const SOURCES = ["upload", "s3-drop", "phone", "form"];
const TEXT_FILTERS = [
  ["email", "Email starts with", "email"],
  ["name", "Name starts with", "text"],
  ["company", "Company starts with", "text"],
  ["country", "Country (2 letters)", "text"],
  ["job_id", "Job id", "text"],
];
/** GET /callers lists at most this many calls: the vanity numbers of older calls are not shown */
const CALLERS_SEARCHED = 50;

function field(name, label, control) {
  control.id = `filter-${name}`;
  control.name = name;
  return h("div", { class: "field" }, h("label", { for: control.id, text: label }), control);
}

function options(values, anyLabel) {
  return [h("option", { value: "", text: anyLabel }), ...values.map((v) => h("option", { value: v, text: v }))];
}

export const leadsView = {
  id: "leads",
  title: "Leads",
  admin: true,
  mount(root, { api, params, announce }) {
    const form = h(
      "form",
      { class: "filters", id: "lead-filters", "aria-label": "Filter leads" },
      field("status", "Status", h("select", {}, options(STATUSES, "Any status"))),
      field("source", "Source", h("select", {}, options(SOURCES, "Any source"))),
      ...TEXT_FILTERS.map(([name, label, type]) =>
        field(name, label, h("input", { type, autocomplete: "off", spellcheck: "false", inputmode: type === "email" ? "email" : null })),
      ),
      field("created_from", "Created from", h("input", { type: "date" })),
      field("created_to", "Created to", h("input", { type: "date" })),
      field("limit", "Per page", h("select", {}, ["25", "50", "100"].map((v) => h("option", { value: v, text: v, selected: v === "25" })))),
      h(
        "div",
        { class: "actions filter-actions" },
        h("button", { type: "submit", class: "primary", text: "Apply filters" }),
        h("button", { type: "reset", text: "Clear" }),
        h("button", { type: "button", id: "export", text: "Export CSV" }),
      ),
    );
    for (const [key, value] of Object.entries(params || {})) {
      if (form.elements[key]) form.elements[key].value = value;
    }
    const summary = h("p", { id: "leads-summary", class: "hint", "aria-live": "polite" });
    const exportNote = h("p", { id: "export-note", class: "hint", "aria-live": "polite" });
    const results = h("div", { id: "leads-results" });
    const prev = h("button", { type: "button", text: "Previous page", disabled: true });
    const next = h("button", { type: "button", text: "Next page", disabled: true });
    const error = h("p", { class: "error", role: "alert", hidden: true });
    const listCard = h(
      "section",
      { class: "card", "aria-labelledby": "leads-title" },
      h("h2", { id: "leads-title", tabindex: "-1", text: "Results" }),
      summary,
      results,
      h("div", { class: "actions pager", role: "group", "aria-label": "Pages" }, prev, next),
    );
    const detail = h("section", { class: "card detail", id: "lead-detail", "aria-labelledby": "detail-title", hidden: true });
    root.append(
      h("h1", { text: "Leads" }),
      h("section", { class: "card" }, form, exportNote, error),
      detail,
      listCard,
    );

    // the cursors of the pages seen so far: [null (the first page), cursor of page 2, ...]
    const state = { filters: {}, cursors: [null], page: 0, next: null, opener: null, alive: true, loads: 0 };

    function showError(text) {
      error.textContent = text || "";
      error.hidden = !text;
    }

    function readFilters() {
      const out = {};
      for (const el of form.elements) {
        if (el.name && el.value.trim()) out[el.name] = el.value.trim();
      }
      return out;
    }

    async function load(page) {
      const turn = ++state.loads;
      showError("");
      summary.textContent = "Loading…";
      try {
        const data = await api.get("/leads", { ...state.filters, cursor: state.cursors[page] || undefined });
        // only the answer to the latest request is shown (an earlier one may arrive later)
        if (!state.alive || turn !== state.loads) return;
        state.page = page;
        state.next = data.next_cursor;
        state.cursors[page + 1] = data.next_cursor;
        render(data.leads);
      } catch (e) {
        if (turn !== state.loads) return;
        summary.textContent = "";
        showError(`The leads could not be read: ${e.message}`);
      }
    }

    function render(leads) {
      prev.disabled = state.page === 0;
      next.disabled = !state.next;
      const more = state.next ? "; more on the next page" : "";
      summary.textContent = leads.length
        ? `Page ${state.page + 1}: ${leads.length} lead${leads.length === 1 ? "" : "s"}, newest first${more}.`
        : "No lead matches these filters.";
      if (!leads.length) {
        results.replaceChildren();
        return;
      }
      results.replaceChildren(
        table(
          `Leads, page ${state.page + 1}`,
          [
            ["Name", (l) => h("button", { type: "button", class: "link", "data-lead": l.lead_id, text: leadName(l) || l.email || l.phone || l.lead_id, "aria-label": `Details of ${leadName(l) || l.email || l.phone || "this lead"}` })],
            ["Email", (l) => l.email],
            ["Phone", (l) => l.phone],
            ["Company", (l) => l.company],
            ["Country", (l) => l.country],
            ["Source", (l) => l.source],
            ["Status", (l) => l.status],
            ["Created", (l) => formatTime(l.created_at)],
          ],
          leads,
          { captionHidden: true },
        ),
      );
    }

    function definitionList(pairs) {
      return h("dl", { class: "meta" }, pairs.filter(([, v]) => v !== undefined && v !== null && v !== "").flatMap(([k, v]) => [h("dt", { text: k }), h("dd", {}, v)]));
    }

    async function vanityOf(lead) {
      const { callers } = await api.get("/callers", { limit: CALLERS_SEARCHED });
      const call = callers.find((c) => c.caller === lead.phone);
      return call ? call.vanity || [] : null;
    }

    async function messagesOf(lead) {
      try {
        return (await api.get(`/leads/${encodeURIComponent(lead.lead_id)}/messages`)).form_leads || [];
      } catch (e) {
        if (e instanceof ApiError && e.status === 404) return [];
        throw e;
      }
    }

    async function openLead(leadId, opener) {
      state.opener = opener;
      showError("");
      detail.replaceChildren(h("p", { text: "Loading the lead…" }));
      detail.hidden = false;
      listCard.hidden = true;
      let lead;
      try {
        lead = await api.get(`/leads/${encodeURIComponent(leadId)}`);
      } catch (e) {
        detail.replaceChildren(h("p", { class: "error", role: "alert", text: `The lead could not be read: ${e.message}` }), backButton());
        return;
      }
      const isPhone = lead.source === "phone" || (lead.sources || []).some((s) => s.startsWith("phone"));
      const [messages, vanity] = await Promise.all([
        messagesOf(lead).catch((e) => e),
        isPhone && lead.phone ? vanityOf(lead).catch((e) => e) : Promise.resolve(undefined),
      ]);
      if (!state.alive) return;
      const title = leadName(lead) || lead.email || lead.phone || lead.lead_id;
      const parts = [
        h("h2", { id: "detail-title", tabindex: "-1", text: `Lead: ${title}` }),
        backButton(),
        definitionList([
          ["Email", lead.email],
          ["Phone", lead.phone],
          ["Company", lead.company],
          ["Title", lead.title],
          ["Country", lead.country],
          ["Status", lead.status],
          ["Source", lead.source],
          ["Job", lead.job_id],
          ["File", lead.file],
          ["Worksheet and row", lead._worksheet || lead.row ? `${lead._worksheet || "(the file)"}, row ${lead.row}` : ""],
          ["Created", formatTime(lead.created_at)],
          ["Updated", formatTime(lead.updated_at)],
          ["Lead id", lead.lead_id],
        ]),
        h("h3", { text: "Sources" }),
        (lead.sources || []).length
          ? h("ul", { id: "lead-sources" }, lead.sources.map((s) => h("li", { text: s })))
          : h("p", { class: "empty", text: "Only where it was first seen." }),
      ];
      if ((lead.problems || []).length) {
        parts.push(h("h3", { text: "Problems" }), h("ul", {}, lead.problems.map((p) => h("li", { text: p }))));
      }
      const attributes = Object.entries(lead.attributes || {});
      if (attributes.length) {
        parts.push(h("h3", { text: "Other columns" }), table("Other columns", [["Column", (a) => a[0]], ["Value", (a) => a[1]]], attributes, { captionHidden: true }));
      }
      if (vanity !== undefined) {
        parts.push(h("h3", { text: "Vanity numbers" }));
        if (vanity instanceof Error) parts.push(h("p", { class: "error", text: `The calls could not be read: ${vanity.message}` }));
        else if (!vanity) parts.push(h("p", { class: "empty", text: `No call from ${lead.phone} among the last ${CALLERS_SEARCHED} calls.` }));
        else parts.push(h("ol", { id: "lead-vanity", class: "vanity" }, vanity.map((v) => h("li", { text: v }))));
      }
      parts.push(h("h3", { text: "Deliveries" }));
      parts.push(
        (lead.deliveries || []).length
          ? table("Deliveries", [
              ["Notice", (d) => d.notice],
              ["Channel", (d) => d.channel],
              ["State", (d) => d.state],
              ["Attempts", (d) => String(d.attempts)],
              ["First attempt", (d) => formatTime(d.first_at)],
            ], lead.deliveries, { captionHidden: true })
          : h("p", { class: "empty", text: "No notices sent for this lead." }),
      );
      parts.push(h("h3", { text: "Messages" }));
      if (messages instanceof Error) {
        parts.push(h("p", { class: "error", text: `The messages could not be read: ${messages.message}` }));
      } else {
        const all = messages.flatMap((f) => f.messages || []);
        parts.push(
          all.length
            ? h("ol", { class: "messages" }, all.map((m) => h("li", {}, h("span", { class: "hint", text: `${formatTime(m.at)} · ${m.direction || ""} ${m.from || ""} → ${m.to || ""}` }), h("p", { text: m.body || "" }))))
            : h("p", { class: "empty", text: "No SMS messages for this lead." }),
        );
      }
      detail.replaceChildren(...parts);
      detail.querySelector("#detail-title").focus();
      announce(`Showing ${title}.`);
    }

    function backButton() {
      return h("button", { type: "button", class: "back", text: "Back to the list", onclick: closeLead });
    }

    function closeLead() {
      detail.hidden = true;
      detail.replaceChildren();
      listCard.hidden = false;
      const opener = state.opener && results.querySelector(`[data-lead="${CSS.escape(state.opener)}"]`);
      (opener || listCard.querySelector("h2")).focus();
    }

    async function exportCsv() {
      showError("");
      exportNote.textContent = "Exporting…";
      try {
        const filters = { ...readFilters() };
        delete filters.limit;
        const response = await api.request("GET", "/leads/export", { query: filters });
        const kind = response.headers.get("Content-Type") || "";
        if (kind.includes("application/json")) {
          // a large export: a presigned link to the file in S3
          const { url, count } = await response.json();
          exportNote.replaceChildren(`${count} leads exported. `, h("a", { href: url, id: "export-link", text: "Download the CSV", rel: "noopener" }));
          return;
        }
        const blob = await response.blob();
        const count = response.headers.get("X-Lead-Count");
        const link = h("a", { href: URL.createObjectURL(blob), download: "leads.csv", hidden: true });
        document.body.append(link);
        link.click();
        link.remove();
        window.setTimeout(() => URL.revokeObjectURL(link.href), 10000);
        exportNote.textContent = count !== null ? `${count} leads exported to leads.csv.` : "Exported to leads.csv.";
      } catch (e) {
        exportNote.textContent = "";
        showError(`The export failed: ${e.message}`);
      }
    }

    form.addEventListener("submit", (event) => {
      event.preventDefault();
      state.filters = readFilters();
      state.cursors = [null];
      closeLeadIfOpen();
      load(0);
    });
    form.addEventListener("reset", () => {
      window.setTimeout(() => {
        state.filters = readFilters();
        state.cursors = [null];
        load(0);
      }, 0);
    });
    form.querySelector("#export").addEventListener("click", exportCsv);
    prev.addEventListener("click", () => load(Math.max(0, state.page - 1)).then(() => listCard.querySelector("h2").focus()));
    next.addEventListener("click", () => load(state.page + 1).then(() => listCard.querySelector("h2").focus()));
    results.addEventListener("click", (event) => {
      const button = event.target.closest("[data-lead]");
      if (button) openLead(button.dataset.lead, button.dataset.lead);
    });

    function closeLeadIfOpen() {
      if (!detail.hidden) {
        detail.hidden = true;
        listCard.hidden = false;
      }
    }

    state.filters = readFilters();
    load(0);
    return () => {
      state.alive = false;
    };
  },
};
