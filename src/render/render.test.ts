import { beforeAll, describe, expect, it } from "vitest";
import { compileTemplate, RenderError, renderTemplate } from "./compile-template.js";
import { sampleContext } from "./render-context.js";
import { chooseLocale, templateFileName } from "./template-files.js";

const LAYOUT = `<mjml>
  <mj-head>
    <mj-title>{{company.name}}</mj-title>
  </mj-head>
  <mj-body>
    <mj-yield />
    <mj-include path="_partials/footer.mjml" />
  </mj-body>
</mjml>`;
const FOOTER = `<mj-section>
  <mj-column>
    <mj-text>Sent by {{company.name}}. <a href="{{links.unsubscribe}}">Unsubscribe</a></mj-text>
  </mj-column>
</mj-section>`;
const files = new Map([
  ["_layouts/default.mjml", LAYOUT],
  ["_partials/footer.mjml", FOOTER],
]);

const NOTICE = `---
subject: "{{customer.firstName}}, your card ending {{card.last4}} expires soon"
preheader: Update it in a minute
layout: default
---
<mj-section>
  <mj-column>
    <mj-text><h1>Hi {{customer.firstName}}</h1></mj-text>
    <mj-raw>{{#if subscription}}</mj-raw>
    <mj-text>Your {{subscription.plan}} plan renews on {{subscription.currentPeriodEnd}}.</mj-text>
    <mj-raw>{{/if}}</mj-raw>
    <mj-button href="{{links.billing}}">Update card</mj-button>
  </mj-column>
</mj-section>`;

async function compiled(source: string, file = "card-expiring/first-notice.mjml") {
  const result = await compileTemplate(file, source, files);
  if (result.type === "invalid") throw new Error(JSON.stringify(result.problems));
  return result.template;
}

async function problems(source: string, extra: [string, string][] = []) {
  const result = await compileTemplate("card-expiring/first-notice.mjml", source, new Map([...files, ...extra]));
  if (result.type === "ok") throw new Error("expected problems");
  return result.problems;
}

describe("templates", () => {
  it("render subject, preheader, HTML and a text part from one source, with layout and partials", async () => {
    const email = renderTemplate(await compiled(NOTICE), sampleContext());
    expect(email.subject).toBe("Grace, your card ending 4242 expires soon");
    expect(email.preheader).toBe("Update it in a minute");
    expect(email.html).toContain("Hi Grace");
    expect(email.html).toContain("Your pro plan renews on December 22, 2026.");
    expect(email.html).toContain('href="https://acme.example/billing"');
    expect(email.html).toContain("Update it in a minute");
    expect(email.html).toContain("Sent by Acme.");
    expect(email.text).toContain("Hi Grace");
    expect(email.text).toContain("Update card [https://acme.example/billing]");
    expect(email.text).toContain("Unsubscribe [https://acme.example/unsubscribe/sample-token]");
    expect(email.text).not.toMatch(/<|\{\{/);
  });

  it("leaves out blocks for what the customer does not have", async () => {
    const email = renderTemplate(await compiled(NOTICE), { ...sampleContext(), subscription: null });
    expect(email.html).not.toContain("renews on");
    expect(email.text).not.toContain("renews on");
  });

  it("treats customer data as data: escaped in HTML, never compiled", async () => {
    const context = sampleContext();
    context.customer.firstName = "<b>{{links.unsubscribe}}</b>";
    const email = renderTemplate(await compiled(NOTICE), context);
    expect(email.html).toContain("&lt;b&gt;{{links.unsubscribe}}&lt;/b&gt;");
    expect(email.subject).toBe("<b>{{links.unsubscribe}}</b>, your card ending 4242 expires soon");
  });

  it("refuses to render a link that is not http(s)", async () => {
    const template = await compiled(NOTICE.replace("{{links.billing}}", "{{customer.traits.website}}"));
    const context = sampleContext();
    context.customer.traits.website = "javascript:alert(1)";
    expect(() => renderTemplate(template, context)).toThrow(RenderError);
  });

  it("refuses at load a variable the render context does not have, with file, line and column", async () => {
    expect(await problems(NOTICE.replace("Hi {{customer.firstName}}", "Hi {{customer.fistName}}"))).toEqual([
      { file: "card-expiring/first-notice.mjml", line: 8, column: 23, message: 'unknown variable "customer.fistName" (did you mean "customer.firstName"?)' },
    ]);
    expect(await problems(NOTICE.replace("expires soon", "expires {{card.when}}"))).toEqual([
      { file: "card-expiring/first-notice.mjml", line: 2, column: 77, message: 'unknown variable "card.when" (card has brand, last4, expMonth, expYear, expiry)' },
    ]);
  });

  it("refuses invalid MJML with the line in the file it comes from", async () => {
    const broken = await problems(NOTICE.replace("<mj-button", '<mj-button colour="red"'));
    expect(broken).toEqual([{ file: "card-expiring/first-notice.mjml", line: 12, column: 1, message: expect.stringMatching(/^MJML: Attribute colour is illegal/) }]);
    const badFooter = await problems(NOTICE, [["_partials/footer.mjml", FOOTER.replace("<mj-column>", "<mj-column>\n    <mj-texte>x</mj-texte>")]]);
    expect(badFooter[0]).toMatchObject({ file: "_partials/footer.mjml", line: 3 });
  });

  it("refuses a missing layout or partial, and front matter without a subject", async () => {
    expect((await problems(NOTICE.replace("layout: default", "layout: fancy")))[0]?.message).toMatch(/layout fancy does not exist/);
    expect((await problems(NOTICE, [["_layouts/default.mjml", LAYOUT.replace("footer.mjml", "footr.mjml")]]))[0]).toMatchObject({
      file: "_layouts/default.mjml",
      line: 7,
    });
    expect((await problems(NOTICE.replace(/subject: .*\n/, "")))[0]?.message).toMatch(/subject/);
  });
});

describe("template files and locales", () => {
  it("give a variant the layout and partials in its language, else the default ones", async () => {
    const shared = new Map([
      ...files,
      ["_partials/footer.sv.mjml", FOOTER.replace("Sent by {{company.name}}. <a href=\"{{links.unsubscribe}}\">Unsubscribe</a>", "Skickat av {{company.name}}. <a href=\"{{links.unsubscribe}}\">Avsluta prenumerationen</a>")],
      ["_partials/footer.pt.mjml", FOOTER.replace("Sent by", "Enviado por")],
      ["_layouts/default.pt-BR.mjml", LAYOUT.replace("<mj-title>", "<mj-title>BR ")],
    ]);
    const render = async (locale: string | null) => {
      const result = await compileTemplate(`card-expiring/first-notice${locale ? `.${locale}` : ""}.mjml`, NOTICE, shared, locale);
      if (result.type !== "ok") throw new Error(JSON.stringify(result.problems));
      expect(result.template.locale).toBe(locale);
      return renderTemplate(result.template, sampleContext());
    };
    const swedish = await render("sv");
    expect(swedish.text).toContain("Skickat av Acme. Avsluta prenumerationen [https://acme.example/unsubscribe/sample-token]");
    expect(swedish.text).not.toContain("Sent by");
    expect((await render("sv-SE")).text).toContain("Skickat av Acme.");
    expect((await render(null)).text).toContain("Sent by Acme.");
    expect((await render("de")).text).toContain("Sent by Acme.");
    const brazilian = await render("pt-BR");
    expect(brazilian.text).toContain("Enviado por Acme.");
    expect(brazilian.html).toContain("<title>BR Acme</title>");
    expect((await render("pt")).html).toContain("<title>Acme</title>");
  });

  it("report a mistake in a partial's variant at that file", async () => {
    const shared = new Map([...files, ["_partials/footer.sv.mjml", FOOTER.replace("{{links.unsubscribe}}", "{{links.unsubscrib}}")]]);
    const result = await compileTemplate("card-expiring/first-notice.sv.mjml", NOTICE, shared, "sv");
    expect(result.type === "invalid" && result.problems).toEqual([
      { file: "_partials/footer.sv.mjml", line: 3, column: 51, message: 'unknown variable "links.unsubscrib" (did you mean "links.unsubscribe"?)' },
    ]);
  });

  it("reads locale variants from file names", () => {
    expect(templateFileName("first-notice.mjml")).toEqual({ name: "first-notice", locale: null });
    expect(templateFileName("first-notice.sv.mjml")).toEqual({ name: "first-notice", locale: "sv" });
    expect(templateFileName("first-notice.pt-BR.mjml")).toEqual({ name: "first-notice", locale: "pt-BR" });
    expect(templateFileName("campaign.yaml")).toBeUndefined();
  });

  it("falls back from sv-SE to sv to the default", () => {
    const variants = new Map<string | null, string>([
      [null, "default"],
      ["sv", "swedish"],
      ["pt-BR", "brazilian"],
    ]);
    expect(chooseLocale(variants, "sv-SE")).toBe("swedish");
    expect(chooseLocale(variants, "pt-BR")).toBe("brazilian");
    expect(chooseLocale(variants, "pt-PT")).toBe("default");
    expect(chooseLocale(variants, null)).toBe("default");
  });
});

describe("rendering for one customer", () => {
  const compiledAlone = async (source: string) => {
    const result = await compileTemplate("c/e.mjml", source, new Map());
    if (result.type !== "ok") throw new Error(JSON.stringify(result.problems));
    return result.template;
  };
  const EMAIL = `---
subject: "Hello from {{company.name}}"
preheader: "{{company.name}} and {{customer.name}}"
---
<mjml><mj-body><mj-section><mj-column><mj-text>{{customer.traits.plan_name}}</mj-text></mj-column></mj-section></mj-body></mjml>
`;

  it("escapes the preheader once in the HTML, and not at all in the text and the preview", async () => {
    const context = sampleContext();
    context.company.name = "Ember & Ash";
    context.customer.name = "D'Arcy";
    context.customer.traits.plan_name = "Pro";
    const email = renderTemplate(await compiledAlone(EMAIL), context);
    expect(email.preheader).toBe("Ember & Ash and D'Arcy");
    expect(email.html).toContain("Ember &amp; Ash and D&#x27;Arcy");
    expect(email.html).not.toContain("&amp;amp;");
    expect(email.text).not.toContain("&amp;");
  });

  it("says which value a customer lacks, without Handlebars' internals", async () => {
    const context = sampleContext();
    delete context.customer.traits.plan_name;
    expect(() => renderTemplate(template, context)).toThrow(/no value for "plan_name"/);
    let message = "";
    try {
      renderTemplate(template, context);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).not.toMatch(/\[object Object\]|\d+:\d+/);
  });
  let template: Awaited<ReturnType<typeof compiledAlone>>;
  beforeAll(async () => {
    template = await compiledAlone(EMAIL);
  });
});
