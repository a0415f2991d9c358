// Recent callers: the last phone callers with their vanity numbers (GET /callers), refreshed while shown.
import { every, formatTime, h } from "../api.js";

const REFRESH_MS = 5000;
const SHOWN = 10;

export const callersView = {
  id: "callers",
  title: "Callers",
  admin: true,
  mount(root, { api }) {
    const list = h("div", { id: "callers-list" }, h("p", { class: "empty", text: "Loading…" }));
    const error = h("p", { class: "error", role: "alert", hidden: true });
    root.append(
      h("h1", { text: "Recent callers" }),
      h("section", { class: "card", "aria-label": `The last ${SHOWN} callers` }, h("p", { class: "hint", text: `The last ${SHOWN} callers, newest first, with the vanity numbers they were offered.` }), list, error),
    );
    let last = null;

    async function refresh() {
      try {
        const { callers } = await api.get("/callers", { limit: SHOWN });
        error.hidden = true;
        const key = JSON.stringify(callers);
        if (key === last) return;
        last = key;
        list.replaceChildren(
          callers.length
            ? h(
                "ol",
                { class: "callers" },
                callers.map((c) =>
                  h(
                    "li",
                    { class: "caller" },
                    h("p", {}, h("strong", { text: c.caller }), " ", h("span", { class: "hint", text: `called ${formatTime(c.called_at)}` })),
                    h("ul", { class: "vanity", "aria-label": `Vanity numbers for ${c.caller}` }, (c.vanity || []).map((v) => h("li", { text: v }))),
                  ),
                ),
              )
            : h("p", { class: "empty", text: "No calls yet." }),
        );
      } catch (e) {
        error.textContent = `The callers could not be read: ${e.message}`;
        error.hidden = false;
      }
    }

    return every(REFRESH_MS, refresh);
  },
};
