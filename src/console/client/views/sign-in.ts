import { api, ApiError } from "../api.js";
import { field, h, replace } from "../dom.js";
import { BASE, navigate } from "../router.js";
import { session } from "../session.js";

/** Sign-in: an API key of a role, checked with `GET /api/me`, kept in this tab only. */
export function signInView(root: HTMLElement, next: string | null): void {
  document.title = "Sign in · Rekindle";
  const reason = new URLSearchParams(location.search).get("reason");
  const key = h("input", { type: "password", name: "key", required: true, autocomplete: "off", spellcheck: "false" });
  const error = h("div", { class: "error", role: "alert" }, reason ? `You were signed out: ${reason}` : null);
  const submit = h("button", { type: "submit", class: "primary" }, "Sign in");
  const form = h(
    "form",
    { class: "sign-in", novalidate: true },
    field("API key", key, "It is kept in this browser tab only, and forgotten when you sign out or close the tab."),
    error,
    submit,
  );
  const code = (text: string) => h("code", null, text);
  const whereFrom = h(
    "section",
    { class: "key-help", "aria-labelledby": "key-help-heading" },
    h("h2", { id: "key-help-heading" }, "Where a key comes from"),
    h(
      "ul",
      null,
      h("li", null, "Ask ops for a key with your role: ", h("strong", null, "support"), " (customers and their timelines), ", h("strong", null, "marketer"), " (campaigns) or ", h("strong", null, "ops"), " (everything)."),
      h("li", null, "Ops make one with ", code("rekindle keys create --role support --name you"), ", which prints the key once, or with ", code("POST /api/keys"), "."),
      h("li", null, "The keys listed in the server's ", code("API_KEYS"), " setting are ops keys."),
      h("li", null, "In development, with ", code("API_KEYS"), " unset, the development key is used: ", code("rekindle studio"), " prints it when it starts."),
    ),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const value = key.value.trim();
    if (!value) {
      replace(error, "Paste your API key.");
      key.focus();
      return;
    }
    submit.disabled = true;
    api("GET /api/me", { key: value })
      .then((me) => {
        session.signIn(value, me);
        navigate(next && next.startsWith(BASE) && !next.startsWith(`${BASE}/sign-in`) ? next : `${BASE}/`, { replace: true });
      })
      .catch((failure: unknown) => {
        replace(error, failure instanceof ApiError && failure.status === 401 ? "That key is unknown or revoked." : `Could not sign in: ${(failure as Error).message}`);
        submit.disabled = false;
        key.select();
        key.focus();
      });
  });
  const heading = h("h1", { tabindex: -1 }, "Sign in to Rekindle");
  replace(
    root,
    h(
      "main",
      { id: "main", class: "sign-in-page" },
      h("div", { class: "card" }, h("p", { class: "brand" }, h("span", { "aria-hidden": "true", class: "flame" }), "Rekindle"), heading, h("p", null, "The console for marketers, support and ops."), form, whereFrom),
    ),
  );
  key.focus();
}
