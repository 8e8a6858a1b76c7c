import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMailer, type Mailer } from "../src/mail/index.js";
import { present } from "./helpers/present.js";
import { startSmtp, type TestSmtp } from "./helpers/smtp.js";

/** The headers of the HTML part of a raw message, as they came over the wire. */
function htmlPartHeaders(raw: Buffer): string {
  const text = raw.toString("latin1");
  const at = text.search(/Content-Type: text\/html/i);
  expect(at).toBeGreaterThan(-1);
  return text.slice(at, text.indexOf("\r\n\r\n", at));
}

describe("the HTML part's transfer encoding", () => {
  let smtp: TestSmtp;
  let mailer: Mailer;
  beforeAll(async () => {
    smtp = await startSmtp();
    mailer = createMailer(smtp.url, pino({ level: "silent" }));
  });
  afterAll(async () => {
    await mailer.close();
    await smtp.close();
  });

  const send = async (html: string, n: number) => {
    await mailer.send({
      from: "Acme <hello@acme.example>",
      to: { name: "Åsa Öberg", address: `asa${n}@example.com` },
      subject: "Välkommen tillbaka",
      html,
      text: "plain",
      messageId: `<encoding-${n}@acme.example>`,
      headers: {},
    });
    const [mail] = await smtp.waitFor(n);
    return { mail: present(smtp.received[n - 1] ?? mail, "the received email"), raw: present(smtp.raw[n - 1], "the raw email") };
  };

  it("sends 7-bit HTML with short lines as it is, and anything else quoted-printable, read back unchanged", async () => {
    const plain = "<p>Hello again.</p>\n<p>We kept your projects.</p>";
    const swedish = "<p>Hej igen, Åsa! Vi har sparat dina projekt – välkommen tillbaka.</p>";
    const japanese = "<p>おかえりなさい。プロジェクトはそのまま残っています。また会えてうれしいです。</p>";
    const longLine = `<p style="${"color:#333;".repeat(20)}">A line longer than seventy-six characters.</p>`;

    const asItIs = await send(plain, 1);
    expect(htmlPartHeaders(asItIs.raw)).toMatch(/Content-Transfer-Encoding: 7bit/i);
    expect(asItIs.mail.html).toBe(plain);

    for (const [html, n] of [[swedish, 2], [japanese, 3], [longLine, 4]] as const) {
      const { mail, raw } = await send(html, n);
      expect(htmlPartHeaders(raw)).toMatch(/Content-Transfer-Encoding: quoted-printable/i);
      expect(mail.html).toBe(html);
      // Headers are still encoded as before: the name and subject read back as written.
      expect(mail.subject).toBe("Välkommen tillbaka");
      expect(mail.to && !Array.isArray(mail.to) ? mail.to.value[0]?.name : undefined).toBe("Åsa Öberg");
    }
  });
});
