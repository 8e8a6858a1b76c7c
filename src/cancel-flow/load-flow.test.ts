import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatProblem } from "../campaigns/index.js";
import { loadCancelFlow } from "./load-flow.js";

describe("mistakes in the cancel flow's files", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "rekindle-flow-"));
    await cp(new URL("../../templates/_cancel", import.meta.url).pathname, join(dir, "_cancel"), { recursive: true });
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("suggest the setting and the placeholder meant", async () => {
    const flow = join(dir, "_cancel", "flow.yaml");
    await writeFile(flow, (await readFile(flow, "utf8")).replace("cancel_at: period_end", "cancel_on: period_end"));
    const texts = join(dir, "_cancel", "texts.en.yaml");
    await writeFile(texts, (await readFile(texts, "utf8")).replace("helps {{company}} get", "helps {{compnay}} get"));
    const loaded = await loadCancelFlow(dir, dir);
    expect(loaded.type === "invalid" ? loaded.problems.map(formatProblem) : []).toEqual([
      '_cancel/flow.yaml:7:1: cancel_on: unknown setting "cancel_on" (did you mean "cancel_at"?)',
      "_cancel/texts.en.yaml:2:8: intro: unknown placeholder {{compnay}} (did you mean {{company}}?)",
    ]);
  });
});
