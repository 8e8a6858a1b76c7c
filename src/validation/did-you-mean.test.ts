import { describe, expect, it } from "vitest";
import { z } from "zod";
import { closestName, editDistance } from "./did-you-mean.js";
import { keysAt } from "./schema-keys.js";

describe("did you mean", () => {
  it("counts a swap of neighbours as one edit", () => {
    expect(editDistance("frist", "first")).toBe(1);
    expect(editDistance("emial", "email")).toBe(1);
    expect(editDistance("trigerr", "trigger")).toBe(2);
    expect(editDistance("", "abc")).toBe(3);
  });

  it("finds the setting meant, across case and snake_case against camelCase", () => {
    expect(closestName("trigerr", ["id", "name", "trigger", "steps"])).toBe("trigger");
    expect(closestName("frist_name", ["name", "firstName", "email"])).toBe("firstName");
    expect(closestName("fistName", ["name", "firstName", "email"])).toBe("firstName");
    expect(closestName("FirstName", ["name", "firstName"])).toBe("firstName");
    expect(closestName("quiet-hours", ["quiet_hours", "frequency_cap"])).toBe("quiet_hours");
  });

  it("suggests nothing when nothing is close, rather than a wild guess", () => {
    expect(closestName("lastName", ["name", "firstName", "email"])).toBeUndefined();
    expect(closestName("colour", ["id", "type", "template", "next"])).toBeUndefined();
  });
});

describe("the settings a schema allows at a path", () => {
  const Step = z.discriminatedUnion("type", [
    z.strictObject({ type: z.literal("email"), template: z.string() }),
    z.strictObject({ type: z.literal("wait"), duration: z.string(), until: z.string().optional() }),
  ]);
  const File = z.strictObject({ name: z.string(), steps: z.array(Step).default([]), delivery: z.strictObject({ quiet_hours: z.boolean() }).optional() });

  it("walks objects, arrays and wrappers", () => {
    expect(keysAt(File, [], {})).toEqual(["name", "steps", "delivery"]);
    expect(keysAt(File, ["delivery"], { delivery: {} })).toEqual(["quiet_hours"]);
  });

  it("takes a union's option by the value's own type, all of them when it has none", () => {
    const data = { steps: [{ type: "wait" }, { type: "email" }, {}] };
    expect(keysAt(File, ["steps", 0], data)).toEqual(["type", "duration", "until"]);
    expect(keysAt(File, ["steps", 1], data)).toEqual(["type", "template"]);
    expect(keysAt(File, ["steps", 2], data)).toEqual(["type", "template", "duration", "until"]);
  });

  it("says undefined where there is no object", () => {
    expect(keysAt(File, ["name"], { name: "x" })).toBeUndefined();
  });
});
