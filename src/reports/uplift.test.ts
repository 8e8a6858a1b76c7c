import { describe, expect, it } from "vitest";
import { upliftOf } from "./uplift.js";

const g = (entered: number, converted: number) => ({ entered, converted, rate: converted / entered });

describe("uplift", () => {
  it("computes the difference and its 95% interval by hand", () => {
    // 30% vs 20%: SE = √(.3·.7/400 + .2·.8/200) = √0.001325 = 0.036401; half-width 1.96·SE = 0.071346.
    const { uplift, verdict } = upliftOf(g(400, 120), g(200, 40));
    expect(uplift?.absolute).toBeCloseTo(0.1, 10);
    expect(uplift?.relative).toBeCloseTo(0.5, 10);
    expect(uplift?.ci95[0]).toBeCloseTo(0.028654, 5);
    expect(uplift?.ci95[1]).toBeCloseTo(0.171346, 5);
    expect(verdict).toBe("The campaign works: 30.0% of emailed customers reached the goal vs 20.0% of those held out (+10.0 points, 95% CI +2.9 points to +17.1 points).");
  });

  it("says when the interval includes zero, when groups are too small, and when there is no holdout", () => {
    // Same rates, half the customers: SE = √(.00105 + .0016) = 0.051478; half-width 0.100897.
    const unsure = upliftOf(g(200, 60), g(100, 20));
    expect(unsure.uplift?.ci95[0]).toBeCloseTo(-0.000897, 5);
    expect(unsure.verdict).toMatch(/^No measurable difference yet: .* includes zero\.$/);
    expect(upliftOf(g(100, 30), g(20, 4)).verdict).toMatch(/^Too early to say: .* \(now 100 and 20\)\.$/);
    expect(upliftOf(g(100, 30), { entered: 0, converted: 0, rate: null }).verdict).toMatch(/^No holdout group/);
    expect(upliftOf(g(400, 40), g(200, 60)).verdict).toMatch(/^The campaign does worse than sending nothing/);
  });
});
