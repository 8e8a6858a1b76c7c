import { api } from "../api.js";
import { errorText } from "../dialog.js";
import { field, h, replace, uid } from "../dom.js";
import { when } from "../format.js";
import { href } from "../router.js";
import type { ConditionResult, EntryExplanation } from "../../../api/index.js";
import { type Context, loading } from "../ui.js";

/** ✓/✗ with the word: the result never rests on colour alone. */
const marker = (passed: boolean) => h("span", { class: `mark ${passed ? "ok" : "bad"}` }, passed ? "✓ passes" : "✗ fails");

function tree(result: ConditionResult): HTMLLIElement {
  return h("li", null, marker(result.passed), " ", result.text, result.children ? h("ul", { class: "tree" }, result.children.map(tree)) : null);
}

function checkList(label: string, checks: EntryExplanation["checks"]): HTMLElement {
  const id = uid("checks");
  return h(
    "div",
    null,
    h("h3", { id }, label),
    h(
      "ol",
      { class: "checks", "aria-labelledby": id },
      checks.map((check) =>
        h(
          "li",
          { class: `check ${check.passed ? "passed" : "failed"}` },
          marker(check.passed),
          " ",
          h("strong", null, check.title),
          h("span", { class: "detail" }, check.detail),
          check.conditions?.children ? h("ul", { class: "tree" }, tree(check.conditions)) : null,
          !check.passed && check.next ? h("span", { class: "detail next" }, `Next: ${check.next.text}.`) : null,
        ),
      ),
    ),
  );
}

function explanationView(ctx: Context, why: EntryExplanation): HTMLElement[] {
  const { conclusion, checks } = why;
  const first = checks.find((check) => check.test === conclusion.firstFailure);
  const verdict = conclusion.wouldEnter
    ? first
      ? `Would enter now, but no email would go out: ${first.title}.`
      : "Would enter now."
    : `Would not enter${first ? `: ${first.title}` : " now, although each test passes on its own"}.`;
  const who = ctx.me.may.timeline ? h("a", { href: href("customers", why.customerId) }, why.customerId) : why.customerId;
  const basis = why.basis === "scan" ? "as the scan would run now" : "over the events received in the last hour";
  return [
    h(
      "div",
      { class: `verdict why-verdict ${conclusion.wouldEnter && conclusion.wouldBeEmailed ? "enters" : "kept-out"}` },
      h("p", { class: "headline" }, h("strong", null, verdict)),
      first ? h("p", null, `${first.detail}.`) : null,
      conclusion.next ? h("p", null, `Next: ${conclusion.next.text}.`) : null,
      h("p", { class: "meta" }, who, ` in ${why.campaignId}, at ${when(why.at)} (${basis}).`),
    ),
    checkList("Entering", checks.filter((check) => check.stops === "entry")),
    checkList("Once entered, their emails", checks.filter((check) => check.stops === "email")),
  ];
}

/**
 * "Why not?": one customer against the campaign, test by test — the trigger with their values, each
 * audience test, re-entry, holds and suppressions — and what would let them in. Enrolls no one.
 */
export function whyNotSection(ctx: Context, campaignId: string): HTMLElement {
  const customer = h("input", { type: "text", name: "customer", required: true, autocomplete: "off", spellcheck: "false", value: ctx.query.get("customer") ?? "" });
  const ask = h("button", { type: "submit", class: "primary" }, "Explain");
  const result = h("div", { class: "why-not-result", "aria-live": "polite" });
  const form = h("form", { class: "inline-form", novalidate: true }, field("Customer id", customer, "Their id in your application, as the timeline shows it."), ask);
  const heading = uid("why-not");

  const go = async () => {
    ask.disabled = true;
    replace(result, loading("Checking"));
    try {
      // With `customer` the route answers why that customer would or would not enter.
      const why = (await api("GET /api/campaigns/:id/dry-run", { params: { id: campaignId }, query: { customer: customer.value.trim() } })) as EntryExplanation;
      if (!ctx.current()) return;
      replace(result, ...explanationView(ctx, why));
    } catch (error) {
      replace(result, h("div", { class: "notice error", role: "alert" }, errorText(error)));
    } finally {
      ask.disabled = false;
    }
  };
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!customer.value.trim()) {
      replace(result, h("p", { class: "notice error", role: "alert" }, "Enter a customer id."));
      customer.focus();
      return;
    }
    const params = new URLSearchParams(location.search);
    params.set("customer", customer.value.trim());
    history.replaceState(null, "", `${location.pathname}?${params.toString()}`);
    void go();
  });
  if (customer.value) void go();
  return h(
    "section",
    { class: "why-not", "aria-labelledby": heading },
    h("h2", { id: heading }, "Why not?"),
    h("p", null, "Whether one customer would enter now, each test with their values, and what would let them in."),
    form,
    result,
  );
}
