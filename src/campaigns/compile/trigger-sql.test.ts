import { describe, expect, it } from "vitest";
import { type EventTrigger, Trigger } from "../definition/index.js";
import { type SelectedEvent, setAsideBeforeMatching } from "./trigger-sql.js";

const NOW = new Date("2026-06-01T12:00:00.000Z");
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

const trigger = (input: unknown) => Trigger.parse(input) as EventTrigger;
const login = (lastSeenAgo: number | null | undefined, changes: Partial<SelectedEvent> = {}): SelectedEvent => ({
  id: 1,
  name: "Logged In",
  type: "track",
  source: "segment",
  customerId: 7,
  occurredAt: NOW,
  properties: {},
  ...(lastSeenAgo !== undefined && { customerLastSeenBefore: lastSeenAgo === null ? null : new Date(NOW.getTime() - lastSeenAgo) }),
  ...changes,
});

describe("events set aside before a trigger's statement", () => {
  const welcomeBack = setAsideBeforeMatching(trigger({ type: "returned_after_pause", min_pause: "P30D" }), NOW);

  it("returned_after_pause: an activity of a customer last active inside the pause, margins kept from both ends", () => {
    if (!welcomeBack) throw new Error("expected a test for returned_after_pause");
    expect(welcomeBack(login(1))).toBe(true);
    expect(welcomeBack(login(HOUR))).toBe(true);
    expect(welcomeBack(login(26 * DAY))).toBe(true);
    // The last four days of the pause, and the same instant, are the statement's to decide.
    expect(welcomeBack(login(26 * DAY + 1))).toBe(false);
    expect(welcomeBack(login(30 * DAY))).toBe(false);
    expect(welcomeBack(login(0))).toBe(false);
    // Silent long enough, never seen, not known (the sweep), or seen after the event (history arriving late).
    expect(welcomeBack(login(31 * DAY))).toBe(false);
    expect(welcomeBack(login(null))).toBe(false);
    expect(welcomeBack(login(undefined))).toBe(false);
    expect(welcomeBack(login(-HOUR))).toBe(false);
  });

  it("returned_after_pause: never a resumed subscription, nor what the silence does not read", () => {
    if (!welcomeBack) throw new Error("expected a test for returned_after_pause");
    expect(welcomeBack(login(HOUR, { name: "subscription_resumed" }))).toBe(false);
    expect(welcomeBack(login(HOUR, { source: "stripe" }))).toBe(false);
    expect(welcomeBack(login(HOUR, { type: "identify" }))).toBe(false);
    expect(welcomeBack(login(HOUR, { type: "page" }))).toBe(true);
  });

  it("a pause no longer than the margin, and the other triggers, set nothing aside", () => {
    expect(setAsideBeforeMatching(trigger({ type: "returned_after_pause", min_pause: "P3D" }), NOW)).toBeUndefined();
    expect(setAsideBeforeMatching(trigger({ type: "payment_failed" }), NOW)).toBeUndefined();
    expect(setAsideBeforeMatching(trigger({ type: "event", name: "Logged In" }), NOW)).toBeUndefined();
  });
});
