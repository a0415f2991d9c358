// Ask: a question about the leads (POST /chat). The answer shows the structured query that ran and
// the leads it found; with no LLM provider configured the API answers 503 and this says so plainly.
import { ApiError, formatTime, h, leadName, table } from "../api.js";

export const askView = {
  id: "ask",
  title: "Ask",
  admin: true,
  mount(root, { api, announce }) {
    const question = h("textarea", {
      id: "question",
      name: "question",
      rows: "3",
      required: true,
      "aria-describedby": "question-help",
      maxlength: "500",
    });
    const submit = h("button", { type: "submit", class: "primary", text: "Ask" });
    const form = h(
      "form",
      { id: "ask-form" },
      h("label", { for: "question", text: "Your question about the leads" }),
      question,
      h("p", {
        id: "question-help",
        class: "hint",
        text: "For example: “qualified leads from the website this week”. The question becomes a read-only query on the leads; the query is shown with the answer.",
      }),
      h("div", { class: "actions" }, submit),
    );
    const answer = h("section", { class: "card", id: "answer", "aria-labelledby": "answer-title", hidden: true });
    root.append(h("h1", { text: "Ask about the leads" }), h("section", { class: "card" }, form), answer);

    function show(...children) {
      answer.replaceChildren(...children);
      answer.hidden = false;
    }

    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const text = question.value.trim();
      if (!text) {
        question.setAttribute("aria-invalid", "true");
        question.focus();
        return;
      }
      question.removeAttribute("aria-invalid");
      submit.disabled = true;
      show(h("h2", { id: "answer-title", text: "Answer" }), h("p", { "aria-live": "polite", text: "Asking…" }));
      try {
        const result = await api.post("/chat", { question: text });
        const leads = result.leads || [];
        show(
          h("h2", { id: "answer-title", tabindex: "-1", text: `Answer: ${result.count} lead${result.count === 1 ? "" : "s"}` }),
          h("h3", { text: "The query that ran" }),
          h("pre", { class: "query", id: "answer-query", tabindex: "0", "aria-label": "The query that ran" }, JSON.stringify(result.query, null, 2)),
          h("h3", { text: "Result" }),
          leads.length
            ? table(
                "Leads found",
                [
                  ["Name", (l) => leadName(l)],
                  ["Email", (l) => l.email],
                  ["Phone", (l) => l.phone],
                  ["Company", (l) => l.company],
                  ["Source", (l) => l.source],
                  ["Status", (l) => l.status],
                  ["Created", (l) => formatTime(l.created_at)],
                ],
                leads,
                { captionHidden: true },
              )
            : h("p", { class: "empty", text: "No lead matches this query." }),
        );
        announce(`${result.count} leads found.`);
      } catch (e) {
        const unavailable = e instanceof ApiError && e.status === 503;
        show(
          h("h2", { id: "answer-title", tabindex: "-1", text: unavailable ? "Asking is not available here" : "No answer" }),
          h(
            "div",
            { class: "notice", role: "alert" },
            h("p", {}, h("strong", { text: unavailable ? "No LLM is configured for this stage. " : "The question could not be answered. " }), e.message),
          ),
          unavailable
            ? h("p", { class: "hint", text: "Filters on the Leads page work without an LLM." })
            : null,
        );
      } finally {
        submit.disabled = false;
        const title = answer.querySelector("h2");
        if (title && title.tabIndex === -1) title.focus();
      }
    });

    return () => {};
  },
};
