import { z } from "zod";
import { loadCancelFlow } from "../src/cancel-flow/index.js";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatProblem, parseCampaignFile, readCampaignFolders } from "../src/campaigns/index.js";
import { col, queryRows } from "../src/db/index.js";
import { type Harness, startHarness, writeCampaign } from "./helpers/harness.js";
import { present } from "./helpers/present.js";

const VALID = `id: card-expiring
name: Card expiring
category: dunning
trigger:
  type: card_expiring
  within: P30D
steps:
  - id: notice
    type: email
    template: notice
`;

const problemsOf = (text: string) => {
  const parsed = parseCampaignFile("templates/x/campaign.yaml", text);
  if (parsed.type === "ok") throw new Error("expected problems");
  return parsed.problems.map((p) => ({ line: p.line, path: p.path, message: p.message }));
};

describe("campaign file validation", () => {
  it("accepts a valid file", () => {
    expect(parseCampaignFile("f", VALID).type).toBe("ok");
  });

  it("refuses a typo'd key, naming it and its line", () => {
    const text = VALID.replace("  within: P30D", "  within: P30D\n  withn: P7D");
    expect(problemsOf(text)).toEqual([{ line: 7, path: "trigger.withn", message: 'unknown setting "withn" (did you mean "within"?)' }]);
  });

  it("refuses a wrong duration at its line", () => {
    expect(problemsOf(VALID.replace("within: P30D", "within: 30 days"))).toEqual([
      { line: 6, path: "trigger.within", message: "expected an ISO-8601 duration such as P30D, PT10M or P1DT12H" },
    ]);
  });

  it("refuses an unknown trigger, listing the known ones", () => {
    const [problem] = problemsOf(VALID.replace("type: card_expiring", "type: card_expired"));
    expect(problem).toMatchObject({ line: 5, path: "trigger.type" });
    expect(problem?.message).toMatch(/unknown trigger type; use one of card_expiring, payment_failed, inactive/);
  });

  it("refuses a branch to a step that does not exist, at the branch", () => {
    const text = `${VALID}  - id: check
    type: branch
    if:
      attribute: subscription.status
      equals: active
    then: final-notice
`;
    expect(problemsOf(text)).toEqual([{ line: 16, path: "steps[1].then", message: 'step "final-notice" does not exist; steps are notice, check (or end)' }]);
  });

  it("refuses a condition that does not fit its attribute, and a missing setting", () => {
    const text = VALID.replace("name: Card expiring\n", "").replace(
      "steps:",
      "audience:\n  attribute: subscription.mrr\n  older_than: P3D\nsteps:",
    );
    expect(problemsOf(text)).toEqual([
      { line: 1, path: "name", message: '"name" is required' },
      { line: 8, path: "audience.older_than", message: "older_than does not apply to subscription.mrr (a number)" },
    ]);
  });

  it("reports YAML syntax errors with their line", () => {
    const [problem] = problemsOf(VALID.replace("  within: P30D", "  within: [P30D"));
    expect(problem?.line).toBeGreaterThanOrEqual(6);
    expect(problem?.message).toMatch(/^YAML: /);
  });

  it("formats a problem the way editors and terminals link it", () => {
    const parsed = parseCampaignFile("templates/x/campaign.yaml", VALID.replace("within: P30D", "within: soon"));
    expect(parsed.type === "invalid" && formatProblem(present(parsed.problems[0], "parsed.problems[0]"))).toBe(
      "templates/x/campaign.yaml:6:11: trigger.within: expected an ISO-8601 duration such as P30D, PT10M or P1DT12H",
    );
  });
});

describe("loading campaign folders", () => {
  let harness: Harness;
  let dir: string;
  beforeAll(async () => {
    harness = await startHarness({
      campaigns: { "card-expiring": VALID, broken: VALID.replace("id: card-expiring", "id: broken").replace("within: P30D", "within: whenever") },
    });
    dir = await mkdtemp(join(tmpdir(), "rekindle-folders-"));
  });
  afterAll(async () => {
    await harness.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("runs the valid campaigns and refuses the invalid one, recording why", async () => {
    expect(harness.deps.campaigns.running().map((c) => c.id)).toEqual(["card-expiring"]);
    expect(harness.deps.campaigns.invalid().map((c) => c.id)).toEqual(["broken"]);
    const rows = await queryRows(
      harness.deps.db,
      z.object({ id: z.string(), current_version_id: col.int8.nullable(), load_error: z.array(z.object({ line: col.int, message: z.string() })).nullable() }),
      sql`select id, current_version_id, load_error from campaigns order by id`,
    );
    expect(rows.map((r) => [r.id, r.current_version_id !== null, r.load_error?.[0]?.line ?? null])).toEqual([
      ["broken", false, 6],
      ["card-expiring", true, null],
    ]);
  });

  it("requires the id to match the folder, and skips _layouts and _partials", async () => {
    await writeCampaign(dir, "renamed", VALID);
    await writeCampaign(dir, "_layouts", VALID);
    const folders = await readCampaignFolders(dir);
    expect(folders.map((f) => [f.id, f.type])).toEqual([["renamed", "invalid"]]);
    expect(folders[0]?.type === "invalid" && folders[0]?.problems[0]?.message).toBe('id "card-expiring" must match its folder name "renamed"');
  });

  it("lists campaigns and their problems through the API", async () => {
    const response = await fetch(`${harness.url}/api/campaigns`, { headers: { authorization: `Bearer ${harness.config.apiKeys[0]}` } });
    const body = (await response.json()) as { campaigns: { id: string; trigger: string }[]; invalid: { id: string; messages: string[] }[] };
    expect(body.campaigns).toMatchObject([{ id: "card-expiring", trigger: "card_expiring" }]);
    expect(body.invalid[0]?.messages[0]).toMatch(/broken\/campaign\.yaml:6:11: trigger\.within: expected an ISO-8601 duration/);
    const dry = await fetch(`${harness.url}/api/campaigns/broken/dry-run`, { headers: { authorization: `Bearer ${harness.config.apiKeys[0]}` } });
    expect(dry.status).toBe(409);
  });
});

describe("the starter campaigns in templates/", () => {
  it("are all valid", async () => {
    const folders = await readCampaignFolders(new URL("../templates", import.meta.url).pathname);
    const invalid = folders.flatMap((f) => (f.type === "invalid" ? f.problems.map(formatProblem) : []));
    expect(invalid).toEqual([]);
    expect(folders.map((f) => f.id)).toEqual(["cancel-save", "cancel-winback", "card-expiring", "dunning", "onboarding-nudge", "welcome-back", "winback-inactive"]);
  });

  it("include a valid cancel flow in English and Swedish", async () => {
    const flow = await loadCancelFlow(new URL("../templates", import.meta.url).pathname);
    expect(flow.type === "invalid" ? flow.problems.map(formatProblem) : []).toEqual([]);
    expect(flow.type).toBe("valid");
    if (flow.type !== "valid") return;
    expect([...flow.loaded.texts.keys()].sort()).toEqual(["en", "sv"]);
    expect(flow.loaded.flow.reasons.map((r) => r.id)).toEqual(["too_expensive", "not_using_enough", "missing_feature", "switching", "technical_problems", "temporary", "other"]);
  });
});

describe("a campaign's emails are checked when it loads", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "rekindle-emails-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("refuses a campaign whose email names a variable the render context lacks, at that file and line", async () => {
    await writeCampaign(dir, "card-expiring", VALID, {
      "notice.mjml": "---\nsubject: Hi {{customer.firstName}}\n---\n<mjml>\n  <mj-body>\n    <mj-section><mj-column><mj-text>{{card.lastFour}}</mj-text></mj-column></mj-section>\n  </mj-body>\n</mjml>\n",
    });
    const [folder] = await readCampaignFolders(dir, dir);
    expect(folder?.type === "invalid" && folder?.problems.map(formatProblem)).toEqual([
      "card-expiring/notice.mjml:6:39: unknown variable \"card.lastFour\" (card has brand, last4, expMonth, expYear, expiry)",
    ]);
  });

  it("suggests the variable meant, at its line and column in the email, its subject and a shared partial", async () => {
    const { mkdir, writeFile } = await import("node:fs/promises");
    const root = await mkdtemp(join(tmpdir(), "rekindle-typos-"));
    try {
      await writeCampaign(root, "card-expiring", VALID, {
        "notice.mjml": "---\nsubject: \"{{customer.firstName}}, about {{customer.emial}}\"\nlayout: default\n---\n<mj-section>\n  <mj-column>\n    <mj-text>Hi {{customer.frist_name}}</mj-text>\n  </mj-column>\n</mj-section>\n",
      });
      await mkdir(join(root, "_layouts"));
      await mkdir(join(root, "_partials"));
      await writeFile(join(root, "_layouts", "default.mjml"), '<mjml>\n  <mj-body>\n    <mj-yield />\n    <mj-include path="_partials/footer.mjml" />\n  </mj-body>\n</mjml>\n');
      await writeFile(join(root, "_partials", "footer.mjml"), '<mj-section><mj-column>\n  <mj-text><a href="{{link.unsubscribe}}">Unsubscribe</a></mj-text>\n</mj-column></mj-section>\n');
      const [folder] = await readCampaignFolders(root, root);
      expect(folder?.type === "invalid" && folder?.problems.map(formatProblem)).toEqual([
        'card-expiring/notice.mjml:2:43: unknown variable "customer.emial" (did you mean "customer.email"?)',
        'card-expiring/notice.mjml:7:19: unknown variable "customer.frist_name" (did you mean "customer.firstName"?)',
        `${join(root, "_partials", "footer.mjml")}:2:23: unknown variable "link.unsubscribe" (did you mean "links.unsubscribe"?)`,
      ]);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it("refuses a campaign whose step names an email that does not exist, at the step", async () => {
    await writeCampaign(dir, "card-expiring", VALID.replace("template: notice", "template: notise"), { "notise.mjml": "" });
    const { unlink } = await import("node:fs/promises");
    await unlink(join(dir, "card-expiring", "notise.mjml"));
    const [folder] = await readCampaignFolders(dir, dir);
    expect(folder?.type === "invalid" && folder?.problems.map(formatProblem)).toEqual([
      "card-expiring/campaign.yaml:10:15: steps[0].template: template notise has no notise.mjml beside campaign.yaml",
    ]);
  });

  it("gives every email a new version when a shared partial changes", async () => {
    await writeCampaign(dir, "card-expiring", VALID);
    const before = present((await readCampaignFolders(dir, dir))[0], "(await readCampaignFolders(dir, dir))[0]").contentHash;
    const { mkdir, writeFile } = await import("node:fs/promises");
    await mkdir(join(dir, "_partials"), { recursive: true });
    await writeFile(join(dir, "_partials", "footer.mjml"), "<mj-section><mj-column><mj-text>Bye</mj-text></mj-column></mj-section>");
    expect(present((await readCampaignFolders(dir, dir))[0], "the campaign folder").contentHash).not.toBe(before);
  });
});
