import { describe, expect, it } from "vitest";
import { CancelFlow } from "../../cancel-flow/definition.js";
import { formatProblem, parseCampaignFile, parseYamlFile } from "./parse-campaign-file.js";

const VALID = `id: card-expiring
name: Card expiring
category: dunning
trigger:
  type: card_expiring
  within: P30D
delivery:
  quiet_hours: true
steps:
  - id: notice
    type: email
    template: notice
  - id: wait
    type: wait
    duration: P7D
`;

const problems = (text: string) => {
  const parsed = parseCampaignFile("templates/card-expiring/campaign.yaml", text);
  return parsed.type === "invalid" ? parsed.problems.map(formatProblem) : [];
};

describe("unknown settings in a campaign file", () => {
  it("suggest the setting meant at the top level, with line and column", () => {
    expect(problems(VALID.replace("trigger:", "trigerr:"))).toEqual([
      'templates/card-expiring/campaign.yaml:1:1: trigger: "trigger" is required',
      'templates/card-expiring/campaign.yaml:4:1: trigerr: unknown setting "trigerr" (did you mean "trigger"?)',
    ]);
  });

  it("suggest from the settings of the nested object the key stands in", () => {
    expect(problems(VALID.replace("  within:", "  withn:"))).toContainEqual('templates/card-expiring/campaign.yaml:6:3: trigger.withn: unknown setting "withn" (did you mean "within"?)');
    expect(problems(VALID.replace("quiet_hours", "quietHours"))).toEqual([
      'templates/card-expiring/campaign.yaml:8:3: delivery.quietHours: unknown setting "quietHours" (did you mean "quiet_hours"?)',
    ]);
  });

  it("suggest from the settings of the step's own type", () => {
    expect(problems(VALID.replace("template: notice", "templat: notice"))).toContainEqual(
      'templates/card-expiring/campaign.yaml:12:5: steps[0].templat: unknown setting "templat" (did you mean "template"?)',
    );
    expect(problems(VALID.replace("duration: P7D", "duraton: P7D"))).toContainEqual(
      'templates/card-expiring/campaign.yaml:15:5: steps[1].duraton: unknown setting "duraton" (did you mean "duration"?)',
    );
    // A wait has no template: nothing close among its own settings, so no guess from another kind's.
    expect(problems(VALID.replace("duration: P7D", "duration: P7D\n    templat: x"))).toEqual([
      'templates/card-expiring/campaign.yaml:16:5: steps[1].templat: unknown setting "templat" (check its spelling and indentation)',
    ]);
  });
});

describe("unknown settings in the cancel flow file", () => {
  it("suggest the setting meant", () => {
    const text = "holdout: 0.1\ndefault_locle: en\nreasons:\n  - id: other\n    ofers: []\n";
    const parsed = parseYamlFile("templates/_cancel/flow.yaml", text, CancelFlow);
    expect(parsed.type === "invalid" ? parsed.problems.map(formatProblem) : []).toEqual([
      'templates/_cancel/flow.yaml:2:1: default_locle: unknown setting "default_locle" (did you mean "default_locale"?)',
      'templates/_cancel/flow.yaml:5:5: reasons[0].ofers: unknown setting "ofers" (did you mean "offers"?)',
    ]);
  });
});
