import { describe, expect, it } from "vitest";
import { inputProblems, MAX_DEPTH } from "./input-rules.js";

const nest = (levels: number): unknown => (levels === 0 ? "bottom" : levels % 2 ? { a: nest(levels - 1) } : [nest(levels - 1)]);

describe("inputProblems", () => {
  it("takes 32 levels of nesting and refuses the 33rd, naming where", () => {
    expect(inputProblems(nest(MAX_DEPTH))).toEqual([]);
    const problems = inputProblems(nest(MAX_DEPTH + 1), ["query"]);
    expect(problems).toHaveLength(1);
    expect(problems[0]?.path).toMatch(/^query\.a\[0\]\.a/);
    expect(problems[0]?.message).toBe("nested deeper than 32 levels");
  });

  it("finds NUL characters and unpaired surrogates in values and keys, and lets well-formed text pass", () => {
    expect(inputProblems({ fine: "😀 Ember & Ash", list: ["ok", 1, null, true] })).toEqual([]);
    expect(inputProblems({ a: "x\u0000", b: ["\ud800"], "c\udc00": 1 }).map((p) => p.path)).toEqual(["a", "b[0]", '"c\\udc00"']);
  });

  it("stops at a hundred problems, whatever the size of the input", () => {
    expect(inputProblems(Array.from({ length: 10_000 }, () => "\u0000"))).toHaveLength(100);
  });
});
