import { describe, expect, it } from "vitest";
import { formatProblem, parseYamlFile } from "../campaigns/index.js";
import { CancelFlow } from "./definition.js";

const FILE = "templates/_cancel/flow.yaml";

const FLOW = `reasons:
  - id: too_expensive
    offers: [cheaper, pause]
  - id: other
offers:
  - id: cheaper
    type: discount
    percent_off: 20
    months: 3
  - id: pause
    type: pause
    duration: P2M
`;

const problems = (text: string) => {
  const parsed = parseYamlFile(FILE, text, CancelFlow);
  return parsed.type === "invalid" ? parsed.problems.map(formatProblem) : [];
};

describe("a cancel flow", () => {
  it("takes the defaults a minimal file leaves out", () => {
    const parsed = parseYamlFile(FILE, FLOW, CancelFlow);
    expect(parsed.type === "ok" && parsed.value).toMatchObject({
      holdout: 0.1,
      default_locale: "en",
      cancel_at: "period_end",
      reasons: [{ id: "too_expensive", comment: "optional" }, { id: "other", comment: "optional", offers: [] }],
    });
  });

  it("is refused when a reason lists an offer that is not defined, naming the offers that are", () => {
    expect(problems(FLOW.replace("[cheaper, pause]", "[cheaper, pasue]"))).toEqual([
      `${FILE}:3:23: reasons[0].offers[1]: no offer "pasue" in offers (cheaper, pause)`,
    ]);
    expect(problems(`reasons:\n  - id: other\n    offers: [pause]\n`)).toEqual([`${FILE}:3:14: reasons[0].offers[0]: no offer "pause" in offers (none defined)`]);
  });

  it("is refused when a reason or an offer id is used twice, at the second", () => {
    expect(problems(FLOW.replace("  - id: other", "  - id: too_expensive"))).toEqual([`${FILE}:4:9: reasons[1].id: reason "too_expensive" is listed twice`]);
    expect(problems(FLOW.replace("  - id: pause\n", "  - id: cheaper\n").replace("[cheaper, pause]", "[cheaper]"))).toEqual([
      `${FILE}:10:9: offers[1].id: offer "cheaper" is defined twice`,
    ]);
  });

  it("is refused when it has no reasons", () => {
    expect(problems("reasons: []\n")).toEqual([`${FILE}:1:10: reasons: Too small: expected array to have >=1 items`]);
  });

  it("refuses a discount with both or neither of percent_off and amount_off, or an amount without a currency", () => {
    expect(problems(FLOW.replace("percent_off: 20", "percent_off: 20\n    amount_off: 500\n    currency: EUR"))).toEqual([
      `${FILE}:6:5: offers[0]: a discount needs exactly one of percent_off and amount_off`,
    ]);
    expect(problems(FLOW.replace("percent_off: 20", "amount_off: 500"))).toEqual([`${FILE}:6:5: offers[0].currency: amount_off needs a currency`]);
  });

  it("refuses a pause that is not one to three months, a contact link that is not https or mailto, and an unknown offer type", () => {
    expect(problems(FLOW.replace("duration: P2M", "duration: P6M"))).toEqual([`${FILE}:12:15: offers[1].duration: expected P1M, P2M or P3M`]);
    const contact = FLOW.replace("type: pause\n    duration: P2M", "type: contact\n    link: javascript:alert(1)");
    expect(problems(contact)).toEqual([`${FILE}:12:11: offers[1].link: expected an https:// or mailto: link`]);
    expect(problems(FLOW.replace("type: pause", "type: refund"))).toEqual([`${FILE}:11:11: offers[1].type: expected an offer type: pause, discount, downgrade or contact`]);
  });

  it("checks an offer's audience with the campaigns' condition rules", () => {
    const withAudience = FLOW.replace("    months: 3\n", "    months: 3\n    audience:\n      attribute: subscription.mrr\n      within: P3D\n");
    expect(problems(withAudience)).toEqual([`${FILE}:12:15: offers[0].audience.within: within does not apply to subscription.mrr (a number)`]);
  });
});
