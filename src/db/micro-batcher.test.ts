import { describe, expect, it } from "vitest";
import { MicroBatcher } from "./micro-batcher.js";

describe("MicroBatcher", () => {
  it("runs what is submitted in one tick as one batch, and gives each submitter its own result", async () => {
    const batches: number[][] = [];
    const batcher = new MicroBatcher<number, string>(async (items) => {
      batches.push(items);
      return items.map((n) => `#${n}`);
    }, { maxItems: 100, maxInFlight: 1 });
    const results = await Promise.all([1, 2, 3].map((n) => batcher.submit(n)));
    expect(results).toEqual(["#1", "#2", "#3"]);
    expect(batches).toEqual([[1, 2, 3]]);
  });

  it("splits at maxItems and keeps at most maxInFlight batches running; what arrives meanwhile waits for the next", async () => {
    let running = 0;
    let most = 0;
    const batches: number[][] = [];
    const batcher = new MicroBatcher<number, number>(async (items) => {
      running++;
      most = Math.max(most, running);
      batches.push(items);
      await new Promise((resolve) => setTimeout(resolve, 10));
      running--;
      return items;
    }, { maxItems: 2, maxInFlight: 1 });
    const first = [1, 2, 3].map((n) => batcher.submit(n));
    await new Promise((resolve) => setImmediate(resolve));
    const later = [4, 5].map((n) => batcher.submit(n));
    expect(await Promise.all([...first, ...later])).toEqual([1, 2, 3, 4, 5]);
    expect(most).toBe(1);
    expect(batches).toEqual([[1, 2], [3, 4], [5]]);
  });

  it("fails every item of a batch whose run throws, and goes on with the next", async () => {
    let calls = 0;
    const batcher = new MicroBatcher<number, number>(async (items) => {
      calls++;
      if (calls === 1) throw new Error("database went away");
      return items.map((n) => n * 10);
    }, { maxItems: 10, maxInFlight: 1 });
    const failed = await Promise.allSettled([batcher.submit(1), batcher.submit(2)]);
    expect(failed.map((r) => r.status)).toEqual(["rejected", "rejected"]);
    expect(await batcher.submit(3)).toBe(30);
  });

  it("stops a batch before it outweighs maxWeight, but always takes one item however heavy", async () => {
    const batches: number[][] = [];
    const batcher = new MicroBatcher<number, number>(async (items) => {
      batches.push(items);
      return items;
    }, { maxItems: 100, maxInFlight: 1, weigh: (n) => n, maxWeight: 10 });
    await Promise.all([4, 5, 2, 30, 1].map((n) => batcher.submit(n)));
    expect(batches).toEqual([[4, 5], [2], [30], [1]]);
  });
});
