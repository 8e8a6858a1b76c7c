import { api, query } from "../api.js";
import { errorText } from "../dialog.js";
import { field, h, replace } from "../dom.js";
import { count, timeZone, value } from "../format.js";
import { href } from "../router.js";
import type { DryRun } from "../../../api/index.js";
import { campaignTabs, type Context, facts, loading, page, routeParam, table } from "../ui.js";
import { invalidCampaign } from "./campaign.js";
import { whyNotSection } from "./why-not.js";

/** The dry run: how many customers would enter now, and a sample with the facts that matched; and why one customer would not. Enrolls no one. */
export async function audienceView(ctx: Context): Promise<void> {
  const id = routeParam(ctx, "id");
  const body = page(ctx, `Audience: ${id}`, loading("Loading the campaign"));
  const list = await api("GET /api/campaigns");
  if (!ctx.current()) return;
  const invalid = list.invalid.find((c) => c.id === id);
  const summary = list.campaigns.find((c) => c.id === id);
  if (invalid || !summary) {
    replace(body, campaignTabs(ctx, id, "audience"), invalid ? invalidCampaign(invalid.problems) : h("p", { class: "notice error", role: "alert" }, `There is no campaign ${id}.`));
    return;
  }
  const heading = ctx.main.querySelector("h1");
  if (heading) heading.textContent = `Audience: ${summary.name}`;

  const sample = h("input", { type: "number", name: "sample", min: 0, max: 500, value: ctx.query.get("sample") ?? "10", inputmode: "numeric" });
  const run = h("button", { type: "submit", class: "primary" }, "Run the dry run");
  const result = h("div", { class: "dry-run", "aria-live": "polite" });
  const form = h("form", { class: "inline-form", novalidate: true }, field("Customers to list", sample, "Up to 500. Nobody is enrolled by a dry run."), run);

  const go = async () => {
    run.disabled = true;
    replace(result, loading("Counting"));
    try {
      // Without `customer` the route answers the count (DryRun); with it, the explanation.
      const dry = (await api("GET /api/campaigns/:id/dry-run", { params: { id }, query: { sample: sample.value, timeZone: timeZone() } })) as DryRun;
      if (!ctx.current()) return;
      const basis = dry.basis === "scan" ? "if the scan ran now" : "from the events received in the last hour";
      replace(
        result,
        h("p", { class: "headline" }, h("strong", null, count(dry.wouldEnter)), ` customer(s) would enter ${basis}.`),
        dry.sample.length > 0
          ? table(
              `A sample of ${dry.sample.length}, with the facts that matched`,
              ["Customer", "Email", "Why", "Facts"],
              dry.sample.map((entry) => [
                ctx.me.may.timeline ? h("a", { href: href("customers", entry.customerId) }, entry.customerId) : entry.customerId,
                entry.email ?? "—",
                entry.because,
                facts(Object.entries(entry.facts).map(([k, v]) => [k, value(v)])),
              ]),
            )
          : null,
      );
    } catch (error) {
      replace(result, h("div", { class: "notice error", role: "alert" }, errorText(error)));
    } finally {
      run.disabled = false;
    }
  };
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!form.reportValidity()) return;
    history.replaceState(null, "", location.pathname + query({ sample: sample.value, customer: new URLSearchParams(location.search).get("customer") }));
    void go();
  });
  replace(
    body,
    campaignTabs(ctx, id, "audience"),
    h("p", null, `Who ${summary.name} would reach right now, before you switch it on or change it.`),
    form,
    result,
    whyNotSection(ctx, id),
  );
  await go();
}
