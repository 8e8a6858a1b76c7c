import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { sql } from "drizzle-orm";
import { z } from "zod";
import { queryRows } from "../../db/index.js";
import { verifyUnsubscribeToken } from "../../delivery/index.js";
import type { Deps } from "../../deps/index.js";
import { suppress } from "../../suppressions/index.js";
import { escapeHtml as escape, htmlPage as page } from "../html-page.js";
import { multipartFields } from "../multipart-form.js";
import { textsForBrowser, unsubscribeTexts } from "./unsubscribe-texts.js";

/**
 * What an unsubscribe POST may say: the page's choice (`scope`), or a mail client's one-click
 * `List-Unsubscribe=One-Click`. The POST itself is the recipient's request, so a body that says
 * neither (or cannot be read) unsubscribes from the email's category.
 */
const UnsubscribeForm = z.object({
  scope: z.enum(["all", "category"]).optional(),
  "List-Unsubscribe": z.string().optional(),
});

interface Recipient {
  email: string;
  category: string;
  /** What the customer knows the email by: its subject, or the campaign's name when none was recorded. */
  example: string;
  unsubscribable: boolean;
  /** The language of the email (recorded when it was sent; the customer's for older ones). */
  locale: string | null;
}

/**
 * The link in every email's footer and List-Unsubscribe header. GET never changes anything: it
 * shows a page where the customer chooses this category or all mail (mail scanners follow links).
 * POST unsubscribes at once, with no login and no cookies; a mail client's one-click POST
 * (`List-Unsubscribe=One-Click`, RFC 8058) unsubscribes from the email's category. Both pages
 * speak the email's language where it is shipped (en, sv).
 */
export function unsubscribeRoutes(app: FastifyInstance, deps: Deps): void {
  // Mail clients POST one-click unsubscribes as multipart/form-data (RFC 8058's recommendation) or
  // form-urlencoded, some with no body or another type: none is refused. Only this scope takes them.
  app.addContentTypeParser("application/x-www-form-urlencoded", { parseAs: "string" }, (_request, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(String(body))));
  });
  app.addContentTypeParser("multipart/form-data", { parseAs: "buffer" }, (request, body, done) => {
    done(null, multipartFields(body as Buffer, request.headers["content-type"] ?? ""));
  });
  app.addContentTypeParser("*", { parseAs: "buffer" }, (_request, _body, done) => done(null, {}));
  const recipient = async (request: FastifyRequest): Promise<Recipient | undefined> => {
    const { token } = request.params as { token: string };
    const messageId = verifyUnsubscribeToken(deps.secretKey, token);
    if (messageId === undefined) return undefined;
    const [row] = await queryRows(
      deps.db,
      z.object({ email: z.string().nullable(), category: z.string(), campaign: z.string(), subject: z.string().nullable(), unsubscribable: z.boolean().nullable(), locale: z.string().nullable() }),
      sql`select coalesce(m.to_address, c.email) as email, cv.definition ->> 'category' as category, cv.definition ->> 'name' as campaign, m.subject,
                 (cv.definition -> 'delivery' ->> 'unsubscribable')::boolean as unsubscribable, coalesce(m.locale, c.locale) as locale
          from messages m join customers c on c.id = m.customer_id join campaign_versions cv on cv.id = m.campaign_version_id
          where m.id = ${messageId}`,
    );
    return row?.email
      ? { email: row.email, category: row.category, example: row.subject ?? row.campaign, unsubscribable: row.unsubscribable !== false, locale: row.locale }
      : undefined;
  };
  const invalid = (request: FastifyRequest, reply: FastifyReply) => {
    const { lang, texts } = textsForBrowser(request.headers["accept-language"], deps.config.delivery.defaultLocale);
    return page(reply, 400, texts.invalidTitle, `<p>${texts.invalidBody}</p>`, lang);
  };
  const company = escape(deps.config.delivery.companyName);

  app.get("/unsubscribe/:token", async (request, reply) => {
    const who = await recipient(request);
    if (!who) return invalid(request, reply);
    const { lang, texts } = unsubscribeTexts(who.locale);
    const kind = texts.kind(escape(who.category));
    const categoryChoice = who.unsubscribable
      ? `<label><input type="radio" name="scope" value="category" checked> ${texts.onlyKind(kind, escape(who.example))}</label>`
      : `<p>${texts.billingNotice(escape(who.example))}</p>`;
    return page(
      reply,
      200,
      texts.title,
      `<p>${texts.question(company, escape(who.email))}</p>
<form method="post"><fieldset><legend class="visually-hidden">${texts.legend}</legend>${categoryChoice}
<label><input type="radio" name="scope" value="all"${who.unsubscribable ? "" : " checked"}> ${texts.all(company)}</label></fieldset>
<button type="submit">${texts.button}</button></form>`,
      lang,
    );
  });

  app.post("/unsubscribe/:token", { bodyLimit: 4 * 1024 }, async (request, reply) => {
    const who = await recipient(request);
    if (!who) return invalid(request, reply);
    const parsed = UnsubscribeForm.safeParse(request.body ?? {});
    const body = parsed.success ? parsed.data : {};
    const all = body.scope === "all" || !who.unsubscribable;
    await suppress(
      deps.db,
      { email: who.email.toLowerCase(), reason: "unsubscribe", detail: body["List-Unsubscribe"] === "One-Click" ? "one-click" : "unsubscribe page", ...(!all && { category: who.category }) },
      "recipient",
      deps.clock.now(),
    );
    const { lang, texts } = unsubscribeTexts(who.locale);
    const email = escape(who.email);
    return page(reply, 200, texts.doneTitle, `<p>${all ? texts.doneAll(email, company) : texts.doneKind(email, texts.kind(escape(who.category)), company)}</p>`, lang);
  });
}
