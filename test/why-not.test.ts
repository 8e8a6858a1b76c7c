import { spawn } from "node:child_process";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { dryRun, type EntryExplanation, explainEntry } from "../src/campaigns/index.js";
import { formatExplanation } from "../src/cli/explanation-text.js";
import { queryRows } from "../src/db/index.js";
import { FixedClock } from "../src/time/index.js";
import { createKey } from "./helpers/browser.js";
import { enrolled, scan } from "./helpers/campaigns.js";
import { API_KEY, type ErrorBody, type Harness, post, startHarness } from "./helpers/harness.js";
import { campaignYaml } from "./helpers/yaml.js";
import { present } from "./helpers/present.js";

const ROOT = new URL("..", import.meta.url).pathname;
const NOW = new Date("2026-11-28T12:00:00Z");

/** The README's card-expiring campaign: cards expiring within 30 days, paying customers, again after 60 days, until a new card. */
const CARD = `id: card
name: Card expiring soon
category: dunning
trigger:
  type: card_expiring
  within: P30D
audience:
  all:
    - attribute: subscription.status
      in: [active, trialing, past_due]
    - attribute: subscription.mrr
      gte: 1000
reentry:
  after: P60D
exit:
  - event: payment_method_updated
steps:
  - id: first
    type: email
    template: first
`;

const QUIET = `id: quiet
name: Went quiet
category: winback
trigger:
  type: event
  name: Went Quiet
  where:
    - property: plan
      equals: pro
reentry: always
steps:
  - id: first
    type: email
    template: first
`;

/** Inactive for 14 days, for admins or big teams, never the free plan. */
const GONE = campaignYaml(
  "gone",
  { type: "inactive", for: "P14D" },
  `audience:
  all:
    - any:
        - attribute: traits.role
          equals: admin
        - attribute: traits.seats
          gte: 10
    - not:
        attribute: plan
        equals: free`,
);

describe("why not? one customer against one campaign", () => {
  let harness: Harness;
  const clock = new FixedClock(NOW);
  let marketer = "";
  const auth = { authorization: `Bearer ${API_KEY}`, "content-type": "application/json" };
  const put = async (id: string, body: Record<string, unknown>) => {
    const response = await fetch(`${harness.url}/api/customers/${id}`, { method: "PUT", headers: auth, body: JSON.stringify(body) });
    if (!response.ok) throw new Error(`${id}: ${response.status} ${await response.text()}`);
  };
  /**
   * A paying customer with a default card expiring in `month`/`year`, set up a day before the clock's now (a card
   * added at the very moment of the scan would count as the exit goal `payment_method_updated` already reached).
   */
  const cardholder = async (id: string, month: number, year: number, subscription: Record<string, unknown> = {}) => {
    const now = clock.now();
    clock.set(new Date(now.getTime() - 86_400_000));
    try {
      await put(id, {
        email: `${id}@example.com`,
        subscription: { id: "sub", status: "active", plan: "pro", mrrMinor: 4900, currency: "EUR", ...subscription },
        paymentMethod: { id: `pm_${id}`, brand: "visa", last4: "4242", expMonth: month, expYear: year },
      });
    } finally {
      clock.set(now);
    }
  };
  const explain = async (campaign: string, customer: string) => {
    const result = await explainEntry(harness.deps.db, present(harness.deps.campaigns.get(campaign), "harness.deps.campaigns.get(campaign)"), customer, clock.now());
    if (!result) throw new Error(`no customer ${customer}`);
    return result;
  };
  const check = (explanation: EntryExplanation, test: string) => present(explanation.checks.find((c) => c.test === test), "explanation.checks.find((c) => c.test === test)");

  beforeAll(async () => {
    harness = await startHarness({ clock, campaigns: { card: CARD, quiet: QUIET, gone: GONE, off: campaignYaml("off", { type: "card_expiring", within: "P30D" }, "enabled: false") } });
    marketer = await createKey(harness.url, API_KEY, "marketer", "maria");

    // Entered on 1 November with a card expiring that month; a new card (also expiring in November) ended it the next day.
    clock.set(new Date("2026-11-01T12:00:00Z"));
    await cardholder("returning", 11, 2026);
    expect(await scan(harness, "card")).toEqual(["returning"]);
    clock.set(new Date("2026-11-02T12:00:00Z"));
    await put("returning", { paymentMethod: { id: "pm_returning_2", brand: "visa", last4: "1111", expMonth: 11, expYear: 2026 } });

    clock.set(NOW);
    await cardholder("already", 11, 2026);
    expect(await scan(harness, "card")).toEqual(["already"]);

    await cardholder("enters", 11, 2026);
    await cardholder("later", 1, 2027);
    await cardholder("expired", 10, 2026);
    await put("nocard", { email: "nocard@example.com", subscription: { id: "sub", status: "active", plan: "pro", mrrMinor: 4900, currency: "EUR" } });
    await cardholder("canceled", 11, 2026, { status: "canceled" });
    await cardholder("small", 11, 2026, { mrrMinor: 500 });
    await cardholder("paused", 11, 2026);
    await fetch(`${harness.url}/api/customers/paused/pause`, { method: "POST", headers: auth, body: JSON.stringify({ reason: "On holiday", until: "2026-12-24T00:00:00Z" }) });
    await cardholder("suppressed", 11, 2026);
    await fetch(`${harness.url}/api/suppressions`, { method: "POST", headers: auth, body: JSON.stringify({ email: "suppressed@example.com", category: "dunning", reason: "unsubscribe" }) });
    await cardholder("blocked", 11, 2026);
    await fetch(`${harness.url}/api/customers/blocked/stop`, { method: "POST", headers: auth, body: JSON.stringify({ reason: "Asked for no email", block: "P30D" }) });

    // Event trigger: a free plan's event (fails the filter), none at all, and one received ten minutes ago that the matcher
    // has not seen (stored directly), which the dry run counts.
    await post(harness, "/v1/batch", {
      batch: [
        { type: "identify", userId: "quiet-free", traits: { email: "free@example.com" } },
        { type: "track", userId: "quiet-free", event: "Went Quiet", properties: { plan: "free" }, timestamp: "2026-11-27T09:00:00Z" },
        { type: "identify", userId: "quiet-none", traits: { email: "none@example.com" } },
        { type: "identify", userId: "quiet-pro", traits: { email: "pro@example.com" } },
        // Active three days ago, and a user on the free plan active 20 days ago (quiet in the window).
        { type: "identify", userId: "recent", traits: { email: "recent@example.com", role: "admin" } },
        { type: "track", userId: "recent", event: "Logged In", timestamp: "2026-11-25T08:00:00Z" },
        { type: "identify", userId: "free-user", traits: { email: "free-user@example.com", role: "user", seats: 3, plan: "free" } },
        { type: "track", userId: "free-user", event: "Logged In", timestamp: "2026-11-10T08:00:00Z" },
      ],
    });
    await put("free-user", { plan: "free" });
    // A matching event two days ago: matched (and entered) when it arrived.
    clock.set(new Date("2026-11-26T12:00:00Z"));
    await post(harness, "/v1/track", { userId: "quiet-pro-old", event: "Went Quiet", properties: { plan: "pro" }, timestamp: "2026-11-26T11:59:00Z" });
    clock.set(NOW);
    await harness.deps.db.execute(sql`insert into events (message_id, type, name, customer_id, properties, occurred_at, received_at)
      select 'why-not-quiet-pro', 'track', 'Went Quiet', id, '{"plan":"pro"}'::jsonb, '2026-11-28T11:50:00Z', '2026-11-28T11:50:00Z' from customers where external_id = 'quiet-pro'`);
  });
  afterAll(async () => {
    await harness?.stop();
  });

  it("a customer who would enter: every test passes, in enrollment's order", async () => {
    const why = await explain("card", "enters");
    expect(why.checks.map((c) => [c.test, c.passed])).toEqual([
      ["campaign", true],
      ["trigger", true],
      ["reentry", true],
      ["audience", true],
      ["goal", true],
      ["block", true],
      ["address", true],
      ["pause", true],
      ["suppression", true],
    ]);
    expect(check(why, "trigger").detail).toBe("visa ending 4242 expires 2026-11-30; the trigger looks for a default card expiring between 2026-11-28 and 2026-12-28 (within 30 days): it does");
    expect(why.conclusion).toEqual({ wouldEnter: true, wouldBeEmailed: true, summary: "would enter now", firstFailure: null, next: null });
  });

  it("the trigger's window with the customer's value, and the day they would enter", async () => {
    const later = await explain("card", "later");
    expect(check(later, "trigger")).toMatchObject({
      passed: false,
      detail: "visa ending 4242 expires 2027-01-31; the trigger looks for a default card expiring between 2026-11-28 and 2026-12-28 (within 30 days): not yet",
      next: { text: "enters on 2027-01-01, when the card is within 30 days of expiring", at: "2027-01-01T00:00:00.000Z" },
    });
    expect(later.conclusion).toMatchObject({ wouldEnter: false, firstFailure: "trigger", next: { at: "2027-01-01T00:00:00.000Z" } });
    expect(later.conclusion.summary).toBe(`would not enter: Trigger: card expiring within 30 days: ${check(later, "trigger").detail}`);
    // The other tests are still answered: the audience passes, so the card's date is all that is missing.
    expect(check(later, "audience").passed).toBe(true);

    // On that day, the scan takes them.
    clock.set(new Date("2027-01-01T00:00:00Z"));
    try {
      expect((await explain("card", "later")).conclusion.wouldEnter).toBe(true);
      clock.set(new Date("2026-12-31T23:59:00Z"));
      expect((await explain("card", "later")).conclusion.wouldEnter).toBe(false);
    } finally {
      clock.set(NOW);
    }

    expect(check(await explain("card", "expired"), "trigger").detail).toMatch(/expires 2026-10-31; .*: it has already expired$/);
    expect(check(await explain("card", "nocard"), "trigger").detail).toBe("no default card on file; the trigger looks for a default card expiring between 2026-11-28 and 2026-12-28 (within 30 days)");
  });

  it("the audience: which test failed, with the customer's value", async () => {
    const canceled = await explain("card", "canceled");
    expect(canceled.conclusion).toMatchObject({ wouldEnter: false, firstFailure: "audience" });
    expect(check(canceled, "audience").detail).toBe("fails: subscription.status should be one of active, trialing, past_due (it is canceled)");
    expect(check(canceled, "audience").conditions).toEqual({
      kind: "all",
      passed: false,
      text: "all of these",
      children: [
        { kind: "attribute", passed: false, text: "subscription.status should be one of active, trialing, past_due (it is canceled)" },
        { kind: "attribute", passed: true, text: "subscription.mrr should be at least 1000 (it is 4900)" },
      ],
    });
    expect(check(await explain("card", "small"), "audience").detail).toBe("fails: subscription.mrr should be at least 1000 (it is 500)");
  });

  it("an any/not tree: each leaf's result, and the leaves that kept the customer out", async () => {
    const why = await explain("gone", "free-user");
    expect(check(why, "trigger")).toMatchObject({ passed: true });
    expect(check(why, "audience").conditions).toEqual({
      kind: "all",
      passed: false,
      text: "all of these",
      children: [
        {
          kind: "any",
          passed: false,
          text: "any of these",
          children: [
            { kind: "attribute", passed: false, text: "traits.role should be equal to admin (it is user)" },
            { kind: "attribute", passed: false, text: "traits.seats should be at least 10 (it is 3)" },
          ],
        },
        { kind: "not", passed: false, text: "not this", children: [{ kind: "attribute", passed: true, text: "plan should be equal to free (it is free)" }] },
      ],
    });
    expect(check(why, "audience").detail).toBe(
      "fails: traits.role should be equal to admin (it is user); traits.seats should be at least 10 (it is 3); plan should not be equal to free (it is free)",
    );

    const recent = await explain("gone", "recent");
    expect(check(recent, "trigger")).toMatchObject({
      passed: false,
      detail: "last active 2026-11-25 08:00 UTC; the trigger looks for 14 days without activity, the last activity between 2026-11-07 12:00 UTC and 2026-11-14 12:00 UTC: active too recently",
      next: { text: "enters on 2026-12-09 if there is no activity before then", at: "2026-12-09T08:00:00.000Z" },
    });
  });

  it("re-entry: in an active enrollment, or entered too recently for the policy", async () => {
    const already = await explain("card", "already");
    expect(check(already, "trigger").passed).toBe(true);
    expect(check(already, "reentry")).toMatchObject({ passed: false, detail: "in an active enrollment since 2026-11-28 12:00 UTC (at step first): a customer walks a campaign once at a time" });
    expect(already.conclusion).toMatchObject({ wouldEnter: false, firstFailure: "reentry" });

    const returning = await explain("card", "returning");
    expect(check(returning, "trigger").detail).toMatch(/^visa ending 1111 expires 2026-11-30; .*: it does$/);
    expect(check(returning, "reentry")).toMatchObject({
      passed: false,
      detail: "last entered 2026-11-01 12:00 UTC (exited 2026-11-02 12:00 UTC: goal: payment_method_updated); re-entry after 60 days: not before 2026-12-31 12:00 UTC",
      next: { text: "may enter again from 2026-12-31 12:00 UTC", at: "2026-12-31T12:00:00.000Z" },
    });
  });

  it("holds: a block keeps them out; a pause or a suppression lets them enter but holds or skips the emails", async () => {
    const blocked = await explain("card", "blocked");
    expect(blocked.conclusion).toMatchObject({ wouldEnter: false, firstFailure: "block" });
    expect(check(blocked, "block").detail).toMatch(/^support stopped them and blocked new sequences until 2026-12-28 12:00 UTC \(api-key:[0-9a-f]+: Asked for no email\)$/);

    const paused = await explain("card", "paused");
    expect(check(paused, "pause")).toMatchObject({
      passed: false,
      stops: "email",
      detail: expect.stringMatching(/^the customer is paused by api-key:[0-9a-f]+ until 2026-12-24 00:00 UTC: On holiday; they still enter, and the emails wait$/),
    });
    expect(paused.conclusion).toMatchObject({ wouldEnter: true, wouldBeEmailed: false, firstFailure: "pause", next: { at: "2026-12-24T00:00:00.000Z" } });
    expect(paused.conclusion.summary).toMatch(/^would enter now, but no email would go out: Pauses: the customer is paused/);

    const suppressed = await explain("card", "suppressed");
    expect(check(suppressed, "suppression")).toMatchObject({ passed: false, detail: expect.stringMatching(/^suppressed@example\.com is suppressed for dunning \(unsubscribe, by .+, since 2026-11-28 12:00 UTC\): they still enter, and its emails are skipped$/) });
    expect(suppressed.conclusion).toMatchObject({ wouldEnter: true, wouldBeEmailed: false, firstFailure: "suppression" });
    // Another campaign's category does not stop this one.
    expect(check(await explain("quiet", "suppressed"), "suppression")).toMatchObject({
      passed: true,
      detail: expect.stringMatching(/^suppressed@example\.com is suppressed for dunning \(unsubscribe, by .+, since 2026-11-28 12:00 UTC\): not this campaign's category \(winback\)$/),
    });

    const off = await explain("off", "enters");
    expect(off.conclusion).toMatchObject({ wouldEnter: false, firstFailure: "campaign" });
    expect(check(off, "campaign").detail).toBe("off has enabled: false in its campaign.yaml: it is loaded and checked, and enrolls no one");
  });

  it("an event trigger: the latest event against the filters, the window the dry run looks at, and the next event", async () => {
    const free = await explain("quiet", "quiet-free");
    expect(check(free, "trigger")).toMatchObject({
      passed: false,
      detail: 'their latest “Went Quiet” (2026-11-27 09:00 UTC) with properties {"plan":"free"} fails: plan should be equal to pro (it is free); it is their only one',
      next: { text: "enters on their next “Went Quiet” event with plan equal to pro" },
    });
    expect(check(await explain("quiet", "quiet-none"), "trigger").detail).toBe("no “Went Quiet” event from this customer on record");
    const old = await explain("quiet", "quiet-pro-old");
    expect(check(old, "trigger")).toMatchObject({
      passed: false,
      detail:
        'their last “Went Quiet” event with plan equal to pro happened 2026-11-26 11:59 UTC and was received 2026-11-26 12:00 UTC with properties {"plan":"pro"}; an event trigger enrolls as each event arrives, and the dry run looks at the events received in the last hour: none since',
    });
    expect(check(old, "reentry")).toMatchObject({ passed: false, detail: "in an active enrollment since 2026-11-26 12:00 UTC (at step first): a customer walks a campaign once at a time" });
    const pro = await explain("quiet", "quiet-pro");
    expect(pro.basis).toBe("recent-events");
    expect(check(pro, "trigger")).toMatchObject({ passed: true, detail: 'Went Quiet” happened 2026-11-28 11:50 UTC with properties {"plan":"pro"}; the dry run looks at the events received in the last hour: it matches'.replace(/^/, "“") });
    expect(pro.conclusion.wouldEnter).toBe(true);
  });

  it("every other kind of trigger: the customer's values against its window, and what the engine decides", async () => {
    await harness.setCampaign("activation", campaignYaml("activation", { type: "not_activated", after: "P3D", activation_event: "Activated" }));
    await harness.setCampaign("anniversary", campaignYaml("anniversary", { type: "tenure", at: "P365D" }));
    await harness.setCampaign("drop", campaignYaml("drop", { type: "usage_drop", event: "Exported Report", window: "P7D", drop: 0.7 }));
    await harness.setCampaign("cancel-page", campaignYaml("cancel-page", { type: "cancel_page_visited", path: "/account/cancel*", grace: "P1D" }));
    await harness.setCampaign("engagement", campaignYaml("engagement", { type: "low_engagement" }));
    await harness.setCampaign("back", campaignYaml("back", { type: "returned_after_pause", min_pause: "P30D" }));
    await harness.setCampaign("failed", campaignYaml("failed", { type: "payment_failed" }));
    const day = (n: number) => new Date(NOW.getTime() - n * 86_400_000).toISOString();
    await put("newbie", { email: "newbie@example.com", signedUpAt: "2026-11-27T12:00:00Z" });
    await post(harness, "/v1/batch", {
      batch: [
        ...[8, 9, 10, 11, 12, 13].map((n) => ({ type: "track", userId: "dropper", event: "Exported Report", timestamp: day(n) })),
        { type: "track", userId: "dropper", event: "Exported Report", timestamp: day(2) },
        ...[8, 9, 10, 11, 12, 13, 1, 2, 3, 4, 5].map((n) => ({ type: "track", userId: "steady", event: "Exported Report", timestamp: day(n) })),
        { type: "page", userId: "leaver", name: "Cancel", properties: { path: "/account/cancel/confirm" }, timestamp: "2026-11-28T10:00:00Z" },
      ],
    });

    const trigger = async (campaign: string, customer: string) => check(await explain(campaign, customer), "trigger");
    expect(await trigger("activation", "newbie")).toMatchObject({
      passed: false,
      detail: "signed up 2026-11-27 12:00 UTC, never did “Activated”; the trigger looks for sign-ups between 2026-10-26 12:00 UTC and 2026-11-25 12:00 UTC (3 days ago) that never did “Activated”: signed up too recently",
      next: { text: "enters on 2026-11-30 if they have not done “Activated” by then", at: "2026-11-30T12:00:00.000Z" },
    });
    expect(await trigger("anniversary", "newbie")).toMatchObject({
      passed: false,
      detail: "a customer since 2026-11-27 12:00 UTC (sign-up); the trigger looks for customers since between 2025-11-21 12:00 UTC and 2025-11-28 12:00 UTC (365 days ago): not yet",
      next: { at: "2027-11-27T12:00:00.000Z" },
    });
    expect(await trigger("drop", "dropper")).toMatchObject({
      passed: true,
      detail: "“Exported Report” 6 times between 2026-11-14 12:00 UTC and 2026-11-21 12:00 UTC, 1 time since; the trigger looks for at least 5 times before and a drop of 70% (at most 1 time since): it does",
    });
    expect((await trigger("drop", "steady")).detail).toMatch(/^“Exported Report” 6 times between .*, 5 times since; .*: their use did not fall enough$/);
    expect(await trigger("cancel-page", "leaver")).toMatchObject({
      passed: false,
      detail: "last visited /account/cancel/confirm on 2026-11-28 10:00 UTC; the trigger looks for a visit to /account/cancel* between 2026-11-20 12:00 UTC and 2026-11-27 12:00 UTC (1 day ago) with no cancellation since: too recent, the grace has not passed",
      next: { text: "enters on 2026-11-29 10:00 UTC unless they cancel first" },
    });
    expect((await trigger("engagement", "enters")).detail).toMatch(/^\d+ times? activity \(track, page, screen\) over the last 30 days, percent rank [\d.]+ among paying customers; the trigger looks for the bottom 25%: (it does|engaged enough)$/);
    expect((await trigger("engagement", "newbie")).detail).toBe("no active, trialing or past-due subscription; the trigger looks at paying customers only");
    expect((await trigger("back", "recent")).detail).toBe("no return after at least 30 days away (a resumed subscription, or activity after that long a silence) among the events received in the last hour");
    expect((await trigger("failed", "enters")).detail).toBe("no “payment_failed” event from this customer on record");
  });

  it("agrees with the dry run on every customer", async () => {
    const customers = (await queryRows(harness.deps.db, z.object({ external_id: z.string() }), sql`select external_id from customers order by external_id`)).map((r) => r.external_id);
    for (const campaign of harness.deps.campaigns.all()) {
      const { id } = campaign;
      // A disabled campaign enrolls no one (its dry run still says who would enter once it is switched on).
      const entering = campaign.definition.enabled ? (await dryRun(harness.deps.db, campaign, clock.now(), { sample: 500 })).sample.map((s) => s.customerId).sort() : [];
      const said: string[] = [];
      for (const customer of customers) if ((await explain(id, customer)).conclusion.wouldEnter) said.push(customer);
      expect(said.sort(), id).toEqual(entering);
    }
    expect(await enrolled(harness, "card")).toEqual(["already", "returning"]);
  });

  it("through the API: the dry-run route with ?customer=, for marketers, 404 for an unknown customer or campaign", async () => {
    const get = (path: string, key = marketer) => fetch(`${harness.url}${path}`, { headers: { authorization: `Bearer ${key}` } });
    const ok = await get("/api/campaigns/card/dry-run?customer=later");
    expect(ok.status).toBe(200);
    const body = (await ok.json()) as EntryExplanation;
    expect(body).toMatchObject({ campaignId: "card", customerId: "later", at: NOW.toISOString(), basis: "scan", conclusion: { wouldEnter: false, firstFailure: "trigger" } });
    expect(body.checks[1]).toMatchObject({ test: "trigger", passed: false, detail: expect.stringContaining("expires 2027-01-31") });

    const unknown = await get("/api/campaigns/card/dry-run?customer=nobody");
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as ErrorBody).error).toMatchObject({ code: "not_found", message: 'No customer "nobody".', problems: [{ path: "query.customer" }] });
    expect((await get("/api/campaigns/nope/dry-run?customer=later")).status).toBe(404);
    const empty = await get("/api/campaigns/card/dry-run?customer=");
    expect(empty.status).toBe(400);
    expect(((await empty.json()) as ErrorBody).error.problems[0]?.path).toBe("query.customer");
    const support = await createKey(harness.url, API_KEY, "support", "sam");
    expect((await get("/api/campaigns/card/dry-run?customer=later", support)).status).toBe(403);
  });

  it("in words for the command line, and from the command line itself", async () => {
    const text = formatExplanation(await explain("card", "later"));
    expect(text).toBe(
      [
        "later in card at 2026-11-28 12:00 UTC (as the scan would run now)",
        "Entering:",
        "  ✓ Campaign: card is valid and enabled (version " + present(harness.deps.campaigns.get("card"), "harness.deps.campaigns.get('card')").contentHash.slice(0, 12) + ")",
        "  ✗ Trigger: card expiring within 30 days: visa ending 4242 expires 2027-01-31; the trigger looks for a default card expiring between 2026-11-28 and 2026-12-28 (within 30 days): not yet",
        "  ✓ Re-entry: never entered this campaign; re-entry after 60 days",
        "  ✓ Audience: every test passes",
        "      ✓ all of these",
        "        ✓ subscription.status should be one of active, trialing, past_due (it is active)",
        "        ✓ subscription.mrr should be at least 1000 (it is 4900)",
        "  ✓ Exit goal: no moment yet to compare “payment_method_updated” with",
        "  ✓ Support block: no block on new sequences",
        "Once entered, their emails:",
        "  ✓ Email address: emails go to later@example.com",
        "  ✓ Pauses: none holds the customer, the campaign or all sending",
        "  ✓ Suppressions (dunning): the address is not suppressed",
        "Would not enter: Trigger: card expiring within 30 days.",
        "Next: enters on 2027-01-01, when the card is within 30 days of expiring.",
        "",
      ].join("\n"),
    );

    // The command runs on the real clock: a customer without a card reads the same on any day.
    const run = async (args: string[]) => {
      const child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], {
        cwd: ROOT,
        env: { PATH: process.env.PATH ?? "", DATABASE_URL: present(harness.config.database.url, "harness.config.database.url"), TEMPLATES_DIR: join(harness.config.dataDir, "templates"), DATA_DIR: harness.config.dataDir },
      });
      let output = "";
      child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
      child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
      return { code: await new Promise<number | null>((resolve) => child.once("exit", resolve)), output };
    };
    // Three processes at once: each spends seconds starting up (tsx), not working.
    const [printed, json, missing] = await Promise.all([
      run(["dry-run", "card", "--customer", "nocard"]),
      run(["dry-run", "card", "--customer", "nocard", "--json"]),
      run(["dry-run", "card", "--customer", "nobody"]),
    ]);
    expect(printed.code, printed.output).toBe(0);
    expect(printed.output).toMatch(/^nocard in card at .+ \(as the scan would run now\)\nEntering:\n/);
    expect(printed.output).toContain("  ✗ Trigger: card expiring within 30 days: no default card on file; the trigger looks for a default card expiring between");
    expect(printed.output).toContain("\nWould not enter: Trigger: card expiring within 30 days.\n");
    expect(json.code, json.output).toBe(0);
    expect(JSON.parse(json.output)).toMatchObject({ customerId: "nocard", conclusion: { wouldEnter: false, firstFailure: "trigger" } });
    expect(missing).toEqual({ code: 2, output: "rekindle: no customer nobody\n" });
  }, 90_000);
});
