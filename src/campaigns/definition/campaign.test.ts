import { describe, expect, it } from "vitest";
import { formatProblem, parseCampaignFile } from "../load/parse-campaign-file.js";
import { Campaign } from "./campaign.js";
import { findLoop, planFrom } from "./flow.js";

const HEAD = `id: winback
name: Win back
category: winback
trigger:
  type: inactive
  for: P30D
steps:
`;

/** The problems in a campaign file whose steps are `steps` (YAML, indented as list items). */
const problems = (steps: string) => {
  const parsed = parseCampaignFile("templates/winback/campaign.yaml", HEAD + steps);
  return parsed.type === "invalid" ? parsed.problems.map(formatProblem) : [];
};

const campaign = (steps: unknown[]): Campaign =>
  Campaign.parse({ id: "winback", name: "Win back", category: "winback", trigger: { type: "inactive", for: "P30D" }, steps });

describe("a campaign's steps are refused at the step, with its line", () => {
  it("when a step goes to a step that does not exist, listing those that do", () => {
    expect(problems("  - id: first\n    type: email\n    template: first\n    next: secnd\n  - id: second\n    type: email\n    template: second\n")).toEqual([
      'templates/winback/campaign.yaml:11:11: steps[0].next: step "secnd" does not exist; steps are first, second (or end)',
    ]);
  });

  it("when a branch's else names an unknown step", () => {
    const steps = "  - id: check\n    type: branch\n    if:\n      attribute: plan\n      equals: pro\n    then: end\n    else: nudge\n  - id: mail\n    type: email\n    template: mail\n";
    expect(problems(steps)).toEqual(['templates/winback/campaign.yaml:14:11: steps[0].else: step "nudge" does not exist; steps are check, mail (or end)']);
  });

  it("when two steps share an id, naming the first (and no loop is made up from the two)", () => {
    expect(problems("  - id: mail\n    type: email\n    template: a\n  - id: mail\n    type: email\n    template: b\n")).toEqual([
      'templates/winback/campaign.yaml:11:9: steps[1].id: step id "mail" is used twice (also step 1)',
    ]);
  });

  it("when a step is called end, which means the end of the campaign", () => {
    expect(problems("  - id: end\n    type: email\n    template: a\n")).toEqual([
      'templates/winback/campaign.yaml:8:9: steps[0].id: "end" is reserved: it means the end of the campaign',
    ]);
  });

  it("when a step goes to itself", () => {
    expect(problems("  - id: mail\n    type: email\n    template: a\n    next: mail\n")).toContain(
      "templates/winback/campaign.yaml:11:11: steps[0].next: a step cannot go to itself",
    );
  });

  it("when the steps form a loop, drawing it", () => {
    const steps = "  - id: mail\n    type: email\n    template: a\n  - id: pause\n    type: wait\n    duration: P3D\n    next: mail\n";
    expect(problems(steps)).toEqual([
      "templates/winback/campaign.yaml:8:5: steps[0]: the steps form a loop (mail → pause → mail); each step runs at most once per customer",
    ]);
  });

  it("when a wait has neither a duration nor a time of day, or a time of day that is not one", () => {
    expect(problems("  - id: mail\n    type: email\n    template: a\n  - id: pause\n    type: wait\n")).toEqual([
      "templates/winback/campaign.yaml:11:5: steps[1]: a wait needs a duration (e.g. P3D) or until (e.g. 09:00)",
    ]);
    expect(problems("  - id: mail\n    type: email\n    template: a\n  - id: pause\n    type: wait\n    until: 9am\n")).toEqual([
      "templates/winback/campaign.yaml:13:12: steps[1].until: expected a local time of day such as 09:00",
    ]);
  });

  it("when the campaign only waits, or has no steps at all", () => {
    expect(problems("  - id: pause\n    type: wait\n    duration: P1D\n")).toEqual([
      "templates/winback/campaign.yaml:8:3: steps: a campaign needs at least one email, webhook or branch step",
    ]);
    expect(problems("  []\n")).toEqual(["templates/winback/campaign.yaml:8:3: steps: a campaign needs at least one step"]);
  });

  it("when a step's type is unknown, or a webhook's URL is not http(s)", () => {
    expect(problems("  - id: mail\n    type: sms\n")).toEqual(["templates/winback/campaign.yaml:9:11: steps[0].type: unknown step type; use email, wait, webhook or branch"]);
    expect(problems("  - id: hook\n    type: webhook\n    url: ftp://example.com/x\n")).toEqual(["templates/winback/campaign.yaml:10:10: steps[0].url: expected an http(s) URL"]);
  });
});

describe("the path through a campaign's steps", () => {
  const steps = [
    { id: "first", type: "email", template: "first" },
    { id: "pause", type: "wait", duration: "P3D" },
    { id: "morning", type: "wait", until: "09:00" },
    { id: "check", type: "branch", if: { attribute: "plan", equals: "pro" }, then: "pro-offer" },
    { id: "basic-offer", type: "email", template: "basic", next: "end" },
    { id: "pro-offer", type: "email", template: "pro" },
  ];

  it("sits through the waits below a step, then runs the next step that does something", () => {
    const plan = planFrom(campaign(steps), "pause");
    expect(plan.waits.map((w) => w.id)).toEqual(["pause", "morning"]);
    expect(plan.target?.id).toBe("check");
  });

  it("ends at `end`, at the last step, and at a step id no longer in the campaign", () => {
    expect(planFrom(campaign(steps), "end")).toEqual({ waits: [], target: undefined });
    expect(planFrom(campaign(steps), "removed-in-an-edit")).toEqual({ waits: [], target: undefined });
    expect(planFrom(campaign([...steps, { id: "last-wait", type: "wait", duration: "P1D" }]), "last-wait").target).toBeUndefined();
  });

  it("accepts branches that join again and a next that skips ahead: a loop is only a way back", () => {
    expect(findLoop(campaign(steps))).toBeUndefined();
    const skipping = campaign([
      { id: "a", type: "email", template: "a", next: "c" },
      { id: "b", type: "email", template: "b", next: "end" },
      { id: "c", type: "branch", if: { event: "login" }, then: "b", else: "end" },
    ]);
    expect(findLoop(skipping)).toBeUndefined();
    expect(planFrom(skipping, "c").target?.id).toBe("c");
  });
});
