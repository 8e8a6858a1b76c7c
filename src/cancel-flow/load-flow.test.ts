import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { formatProblem } from "../campaigns/index.js";
import { loadCancelFlow } from "./load-flow.js";

describe("mistakes in the cancel flow's files", () => {
  let dir: string;
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "rekindle-flow-"));
  });
  // Each test edits its own copy of the starter flow.
  beforeEach(async (context) => {
    dir = join(root, String(context.task.id));
    await cp(new URL("../../templates/_cancel", import.meta.url).pathname, join(dir, "_cancel"), { recursive: true });
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
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

  it("refuses a language whose texts lack a reason's label or an offer's words", async () => {
    const texts = join(dir, "_cancel", "texts.sv.yaml");
    const original = await readFile(texts, "utf8");
    const withoutOther = original.replace(/^ {2}other: .*\n/m, "");
    const withoutOffer = withoutOther.replace(/^ {2}talk-to-us:\n( {4}.*\n)+/m, "");
    expect(withoutOffer).not.toBe(withoutOther);
    await writeFile(texts, withoutOffer);
    const loaded = await loadCancelFlow(dir, dir);
    expect(loaded.type === "invalid" ? loaded.problems.map(formatProblem) : []).toEqual([
      '_cancel/texts.sv.yaml:5:3: reasons: no label for reason "other"',
      '_cancel/texts.sv.yaml:17:3: offers: no texts for offer "talk-to-us"',
    ]);
  });

  it("refuses a default language with no texts file", async () => {
    const flow = join(dir, "_cancel", "flow.yaml");
    const original = await readFile(flow, "utf8");
    await writeFile(flow, original.replace("default_locale: en", "default_locale: de"));
    const loaded = await loadCancelFlow(dir, dir);
    expect(loaded.type === "invalid" ? loaded.problems.map(formatProblem) : []).toEqual([
      "_cancel/flow.yaml:1:1: default_locale: no texts.de.yaml beside it: the default language needs its texts",
    ]);
  });

  it("is absent, not invalid, when there is no flow file", async () => {
    expect(await loadCancelFlow(join(dir, "nowhere"), dir)).toEqual({ type: "absent" });
  });
});
