import { describe, expect, it } from "vitest";
import { timeWords } from "../words/index.js";
import { auditActionWords, auditChangeWords } from "./audit-words.js";
import { becauseWords, endedSummary, eventSummary, messageSummary } from "./timeline-words.js";

const utc = timeWords("UTC");

describe("the timeline in words", () => {
  it("says what an event was and where it came from, without internal names", () => {
    const event = (type: string, name: string, source: string, properties: Record<string, unknown> = {}) => eventSummary({ type, name, source, properties });
    expect([
      event("identify", "identify", "segment", { plan: "pro" }),
      event("page", "Pricing", "segment", { path: "/pricing" }),
      event("page", "page", "segment"),
      event("screen", "Settings", "segment"),
      event("track", "Went Quiet", "api"),
      event("track", "payment_failed", "stripe"),
      event("track", "cancel_reason_given", "rekindle", { reason: "too_expensive", comment: "Budget cuts" }),
      event("group", "group", "segment", { groupId: "acme" }),
      event("track", "Imported", "csv"),
    ]).toEqual([
      "profile updated (Segment)",
      "viewed page /pricing (Segment)",
      "viewed a page (Segment)",
      "viewed screen Settings (Segment)",
      "Went Quiet (the API)",
      "payment_failed (Stripe)",
      "cancel_reason_given: too_expensive “Budget cuts” (Rekindle)",
      "joined group acme (Segment)",
      "Imported (csv)",
    ]);
  });

  it("says why a customer entered, from the trigger type and the facts that matched", () => {
    expect(becauseWords("card_expiring", { cardExpiresOn: "2026-11-30", brand: "visa", last4: "4242", daysUntilExpiry: 29 }, utc)).toBe("because the card ending 4242 expires on 30 Nov 2026");
    expect(becauseWords("event", { event: "Went Quiet", eventId: 19, occurredAt: "2026-11-28T12:00:00+00:00", properties: {} }, utc)).toBe("because of the event “Went Quiet” on 28 Nov 2026, 12:00");
    expect(becauseWords("event", { event: "Went Quiet", eventId: 19, occurredAt: "2026-11-28T12:00:00+00:00", properties: {} }, timeWords("Asia/Tokyo"))).toBe(
      "because of the event “Went Quiet” on 28 Nov 2026, 21:00",
    );
    expect(becauseWords("inactive", { lastActivityAt: "2026-11-01T08:00:00Z", inactiveDays: 30 }, utc)).toBe("because they have not been active for 30 days (last on 1 Nov 2026)");
    expect(becauseWords("inactive", { lastActivityAt: null, inactiveDays: 14, activity: ["Logged In"] }, utc)).toBe("because they have not done “Logged In” since signing up, 14 days ago");
    expect(becauseWords("usage_drop", { event: "Report Run", window: "P14D", countBefore: 20, countAfter: 3, drop: 0.85 }, utc)).toBe(
      "because “Report Run” fell from 20 to 3 times (−85%) over 14 days, against the 14 days before",
    );
    expect(becauseWords("cancel_page_visited", { visitedAt: "2026-11-28T12:00:00Z", path: "/account/cancel", grace: "P1D" }, utc)).toBe(
      "because they visited /account/cancel on 28 Nov 2026, 12:00 and had not cancelled 1 day later",
    );
    expect(becauseWords("not_activated", { signedUpAt: "2026-11-20T09:00:00Z", activationEvent: "Project Created" }, utc)).toBe("because they signed up on 20 Nov 2026 and never did “Project Created”");
    expect(becauseWords("tenure", { customerSince: "2025-12-01T00:00:00Z", tenure: "P1Y" }, utc)).toBe("because they have been a customer for 1 year (since 1 Dec 2025)");
    expect(becauseWords("low_engagement", { activityCount: 2, window: "P30D", percentRank: 0.05, percentile: 0.1 }, utc)).toBe(
      "because their activity, 2 events over 30 days, puts them in the bottom 10% of paying customers",
    );
    expect(becauseWords("returned_after_pause", { event: "Logged In", occurredAt: "2026-11-28T12:00:00Z", minPause: "P30D" }, utc)).toBe(
      "because they came back after at least 30 days away (the event “Logged In” on 28 Nov 2026, 12:00)",
    );
    // Facts a trigger does not explain are still words, never JSON or a trigger key.
    expect(becauseWords("something_new", { plan: "pro", since: "2026-11-28T12:00:00Z", tags: ["a", "b"] }, utc)).toBe("because these facts matched: plan: pro, since: 28 Nov 2026, 12:00, tags: a, b");
    expect(becauseWords("card_expiring", {}, utc)).toBe("when its trigger matched");
  });

  it("says the kind and the status of a message once, and why it was not sent", () => {
    const message = (status: string, outcome: Record<string, unknown> | null, subject: string | null = "Your card expires soon", kind = "email") =>
      messageSummary({ kind, status, campaign: "card-expiring", step: "first-notice", subject, outcome }, utc);
    expect(message("sent", { type: "sent" })).toBe("email “Your card expires soon” sent (card-expiring / first-notice)");
    expect(message("failed", { type: "rejected", code: 550, detail: "550 5.1.1 no such mailbox", bounce: true }, null)).toBe(
      "email not sent (card-expiring / first-notice): the mail server refused the address, which is now suppressed: 550 5.1.1 no such mailbox",
    );
    expect(message("failed", { type: "failed", reason: "smtp_transient", detail: "421 try later", attempts: 5 }, null)).toBe(
      "email not sent (card-expiring / first-notice): gave up after 5 attempts: the mail server kept answering with a temporary error: 421 try later",
    );
    expect(message("skipped", { type: "suppressed", detail: "unsubscribe (winback)" }, null)).toBe("email skipped (card-expiring / first-notice): the address is suppressed for winback emails: they unsubscribed");
    expect(message("skipped", { type: "stopped", by: "key:3:sam", reason: "asked by phone" }, null)).toBe("email skipped (card-expiring / first-notice): stopped by key:3:sam: asked by phone");
    expect(message("uncertain", { type: "uncertain", reason: "…" })).toMatch(/^email “Your card expires soon” may or may not have been sent \(card-expiring \/ first-notice\): a worker stopped/);
    expect(message("sent", { type: "sent" }, null, "webhook")).toBe("webhook called (card-expiring / first-notice)");
    expect(message("done", { type: "branched", to: "second-notice" }, null, "branch")).toBe("branch decided (card-expiring / first-notice): went on to “second-notice”");
  });

  it("says how an enrollment ended", () => {
    expect(endedSummary("nudge", "completed", "completed")).toBe("finished nudge: every step done");
    expect(endedSummary("nudge", "exited", "goal: Upgraded")).toBe("left nudge: reached its goal, the event “Upgraded”");
    expect(endedSummary("nudge", "exited", "goal: condition")).toBe("left nudge: reached its goal (the exit condition matched)");
    expect(endedSummary("nudge", "stopped", "stopped by key:3:sam: asked by phone")).toBe("nudge stopped by key:3:sam: asked by phone");
  });

  it("says what people did, with the changes as field: value pairs", () => {
    expect(auditActionWords("customer.pause")).toBe("paused the customer's emails");
    expect(auditActionWords("something.new_thing")).toBe("something new thing");
    expect(auditChangeWords({ before: null, after: { until: "2026-12-24T00:00:00.000Z", reason: "holiday" } }, utc)).toBe("until: 24 Dec 2026, 00:00, reason: holiday");
    expect(auditChangeWords({ before: [{ category: "all", reason: "manual" }], after: null }, utc)).toBe("category: all, reason: manual");
    expect(auditChangeWords({ before: null, after: {} }, utc)).toBeUndefined();
  });
});
