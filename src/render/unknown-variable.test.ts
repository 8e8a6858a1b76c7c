import { describe, expect, it } from "vitest";
import { compileTemplate } from "./compile-template.js";
import { KNOWN_PATHS, suggestPath, unknownVariable } from "./render-context.js";

describe("a variable the render context does not have", () => {
  it("is matched with the path meant: typos, snake_case, a part missing its s", () => {
    expect(suggestPath("customer.frist_name")).toBe("customer.firstName");
    expect(suggestPath("customer.fistName")).toBe("customer.firstName");
    expect(suggestPath("customer.FirstName")).toBe("customer.firstName");
    expect(suggestPath("customer.emial")).toBe("customer.email");
    expect(suggestPath("link.billing")).toBe("links.billing");
    expect(suggestPath("links.update_card")).toBe("links.updateCard");
    expect(suggestPath("subscription.current_period_end")).toBe("subscription.currentPeriodEnd");
    // Written at the top, or inside {{#with customer}}: the path whose last part is nearest.
    expect(suggestPath("frist_name")).toBe("customer.firstName");
    expect(suggestPath("card.lastFour")).toBeUndefined();
  });

  it("is explained with what there is when nothing is close", () => {
    expect(unknownVariable("customer.frist_name")).toBe('unknown variable "customer.frist_name" (did you mean "customer.firstName"?)');
    expect(unknownVariable("customer.lastName")).toBe('unknown variable "customer.lastName" (customer has id, email, name, firstName, locale, timezone, plan, traits)');
    expect(unknownVariable("basket")).toBe('unknown variable "basket" (the render context has customer, subscription, card, campaign, facts, company, links; see the README)');
    expect(unknownVariable("customer.email.domain")).toBe('unknown variable "customer.email.domain" (customer.email is a value, not an object)');
  });

  it("knows every path of the render context, and none below traits and facts", () => {
    expect(KNOWN_PATHS).toContain("links.updateCard");
    expect(KNOWN_PATHS).toContain("subscription.currentPeriodEnd");
    expect(KNOWN_PATHS.filter((path) => path.startsWith("facts.") || path.startsWith("customer.traits."))).toEqual([]);
  });
});

describe("where an unknown variable is reported", () => {
  const files = new Map([
    ["_layouts/default.mjml", "<mjml>\n  <mj-body>\n    <mj-yield />\n    <mj-include path=\"_partials/footer.mjml\" />\n  </mj-body>\n</mjml>"],
    ["_partials/footer.mjml", "<mj-section>\n  <mj-column>\n    <mj-text><a href=\"{{link.unsubscribe}}\">Unsubscribe</a></mj-text>\n  </mj-column>\n</mj-section>"],
  ]);
  const problems = async (source: string, shared = new Map<string, string>()) => {
    const result = await compileTemplate("nudge/hello.mjml", source, shared);
    return result.type === "invalid" ? result.problems.map((p) => `${p.file}:${p.line}:${p.column}: ${p.message}`) : [];
  };
  const body = (text: string) => `<mjml>\n  <mj-body>\n    <mj-section><mj-column>\n      <mj-text>${text}</mj-text>\n    </mj-column></mj-section>\n  </mj-body>\n</mjml>\n`;

  it("at the line and column of the path in the body", async () => {
    expect(await problems(`---\nsubject: Hi\n---\n${body("Hello {{customer.frist_name}}, {{ customer.email }}")}`)).toEqual([
      'nudge/hello.mjml:7:24: unknown variable "customer.frist_name" (did you mean "customer.firstName"?)',
    ]);
  });

  it("inside a block, and with the whitespace Handlebars allows", async () => {
    expect(await problems(`---\nsubject: Hi\n---\n${body("{{#if card}}Card {{~ card.lst4 ~}}{{/if}}")}`)).toEqual([
      'nudge/hello.mjml:7:37: unknown variable "card.lst4" (did you mean "card.last4"?)',
    ]);
  });

  it("in the subject and preheader, quoted or not, at their place in the front matter", async () => {
    const source = `---\npreheader: Your {{company.nmae}} account\nsubject: "Hi {{customer.name}}, {{customer.emial}}"\n---\n${body("x")}`;
    expect(await problems(source)).toEqual([
      'nudge/hello.mjml:3:35: unknown variable "customer.emial" (did you mean "customer.email"?)',
      'nudge/hello.mjml:2:19: unknown variable "company.nmae" (did you mean "company.name"?)',
    ]);
  });

  it("in the shared partial, at its own line and column", async () => {
    expect(await problems("---\nsubject: Hi\nlayout: default\n---\n<mj-section><mj-column><mj-text>x</mj-text></mj-column></mj-section>\n", files)).toEqual([
      '_partials/footer.mjml:3:25: unknown variable "link.unsubscribe" (did you mean "links.unsubscribe"?)',
    ]);
  });

  it("and a mistyped front matter setting is suggested its name", async () => {
    expect(await problems(`---\nsubject: Hi\nlayuot: default\n---\n${body("x")}`)).toEqual(['nudge/hello.mjml:3:1: front matter: unknown setting "layuot" (did you mean "layout"?)']);
  });
});

describe("every variable a template names", () => {
  const problems = async (text: string) => {
    const result = await compileTemplate("nudge/hello.mjml", `---\nsubject: Hi\n---\n<mjml><mj-body><mj-section><mj-column>\n${text}\n</mj-column></mj-section></mj-body></mjml>\n`, new Map());
    return result.type === "invalid" ? result.problems.map((p) => `${p.line}:${p.column}: ${p.message}`) : [];
  };

  it("is checked when given to a helper too, where strict mode would let it through as false", async () => {
    expect(await problems('<mj-raw>{{#if customer.frist_name}}</mj-raw><mj-text>Hi</mj-text><mj-raw>{{/if}}</mj-raw>')).toEqual([
      '5:15: unknown variable "customer.frist_name" (did you mean "customer.firstName"?)',
    ]);
    expect(await problems("<mj-text>{{#unless subscripton}}No plan{{/unless}} {{#each card.brnd}}x{{/each}}</mj-text>")).toEqual([
      '5:20: unknown variable "subscripton" (did you mean "subscription"?)',
      '5:60: unknown variable "card.brnd" (did you mean "card.brand"?)',
    ]);
  });

  it("is left alone inside each and with, and below traits and facts", async () => {
    expect(await problems("<mj-text>{{#with customer}}{{#if firstName}}{{firstName}}{{/if}}{{/with}} {{#if customer.traits.vip}}VIP{{/if}} {{#if facts.properties.amount}}{{facts.properties.amount}}{{/if}}</mj-text>")).toEqual([]);
  });

  it("is reported wherever it stands, even where the sample never reaches it", async () => {
    expect(await problems("<mj-text>{{#if customer.nme}}{{customer.nme}}{{/if}}</mj-text>")).toEqual([
      '5:16: unknown variable "customer.nme" (did you mean "customer.name"?)',
      '5:32: unknown variable "customer.nme" (did you mean "customer.name"?)',
    ]);
  });
});
