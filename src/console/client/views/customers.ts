import { api, query } from "../api.js";
import { errorText } from "../dialog.js";
import { field, h, replace } from "../dom.js";
import { when } from "../format.js";
import { href, navigate } from "../router.js";
import type { CustomerMatch } from "../../../api/index.js";
import { type Context, loading, page, table } from "../ui.js";

const MATCH: Record<CustomerMatch["match"], string> = { id: "id", id_prefix: "start of id", email: "start of email" };

/** Support's search: a customer id, the start of one, or the start of an email address. */
export async function customersView(ctx: Context): Promise<void> {
  const q = ctx.query.get("q") ?? "";
  const input = h("input", { type: "search", name: "q", value: q, required: true, autocomplete: "off", spellcheck: "false" });
  const form = h("form", { role: "search", class: "inline-form", novalidate: true }, field("Customer id or email", input, "The whole id, its start, or the start of the email address."), h("button", { type: "submit", class: "primary" }, "Search"));
  const results = h("div", { class: "results" });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) return void input.focus();
    navigate(href("customers") + query({ q: text }));
  });
  page(ctx, "Customers", form, results);
  if (!q) {
    input.focus();
    return;
  }
  replace(results, loading("Searching"));
  try {
    const { customers } = await api("GET /api/customers", { query: { q, limit: 20 } });
    if (!ctx.current()) return;
    replace(
      results,
      customers.length === 0
        ? h("p", { role: "status" }, `No customer matches “${q}”.`)
        : [
            h("p", { role: "status", class: "muted" }, `${customers.length} customer(s) match “${q}”${customers.length === 20 ? " (the first 20)" : ""}.`),
            table(
              `Customers matching “${q}”`,
              ["Customer", "Email", "Name", "Plan", "Last seen", "Matched by"],
              customers.map((c) => [h("a", { href: href("customers", c.id) }, c.id), c.email ?? "—", c.name ?? "—", c.plan ?? "—", when(c.lastSeenAt), MATCH[c.match]]),
              { captionHidden: true },
            ),
          ],
    );
  } catch (error) {
    replace(results, h("div", { class: "notice error", role: "alert" }, errorText(error)));
  }
}
