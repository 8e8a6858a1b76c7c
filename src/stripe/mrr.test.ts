import { describe, expect, it } from "vitest";
import { monthlyRecurringMinor } from "./mrr.js";

describe("monthlyRecurringMinor", () => {
  it("normalises prices and quantities to a month", () => {
    expect(monthlyRecurringMinor([{ quantity: 3, price: { unit_amount: 1500, recurring: { interval: "month" } } }])).toBe(4500);
    expect(monthlyRecurringMinor([{ quantity: 1, price: { unit_amount: 12000, recurring: { interval: "year" } } }])).toBe(1000);
    expect(monthlyRecurringMinor([{ quantity: 1, price: { unit_amount: 3000, recurring: { interval: "month", interval_count: 3 } } }])).toBe(1000);
    expect(monthlyRecurringMinor([{ quantity: 1, price: { unit_amount: 1000, recurring: { interval: "week" } } }])).toBe(4333);
  });
  it("adds items and ignores one-off prices", () => {
    expect(
      monthlyRecurringMinor([
        { quantity: 1, price: { unit_amount: 4900, recurring: { interval: "month" } } },
        { quantity: 10, price: { unit_amount_decimal: "99.5", recurring: { interval: "month" } } },
        { quantity: 1, price: { unit_amount: 5000, recurring: null } },
      ]),
    ).toBe(5895);
  });
});
