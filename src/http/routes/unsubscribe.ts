import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { sql } from "drizzle-orm";
import { z } from "zod";
import { queryRows } from "../../db/index.js";
import { verifyUnsubscribeToken } from "../../delivery/index.js";
import type { Deps } from "../../deps/index.js";
import { suppress } from "../../suppressions/index.js";
import { escapeHtml as escape, htmlPage as page } from "../html-page.js";
import { multipartFields } from "../multipart-form.js";

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
  campaign: string;
  unsubscribable: boolean;
}

/**
 * The link in every email's footer and List-Unsubscribe header. GET never changes anything: it
 * shows a page where the customer chooses this category or all mail (mail scanners follow links).
 * POST unsubscribes at once, with no login and no cookies; a mail client's one-click POST
 * (`List-Unsubscribe=One-Click`, RFC 8058) unsubscribes from the email's category.
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
    const [row] = await queryRows<{ email: string | null; category: string; campaign: string; unsubscribable: boolean | null }>(
      deps.db,
      sql`select coalesce(m.to_address, c.email) as email, cv.definition ->> 'category' as category, cv.definition ->> 'name' as campaign,
                 (cv.definition -> 'delivery' ->> 'unsubscribable')::boolean as unsubscribable
          from messages m join customers c on c.id = m.customer_id join campaign_versions cv on cv.id = m.campaign_version_id
          where m.id = ${messageId}`,
    );
    return row?.email ? { email: row.email, category: row.category, campaign: row.campaign, unsubscribable: row.unsubscribable !== false } : undefined;
  };
  const invalid = (reply: FastifyReply) =>
    page(reply, 400, "This link is not valid", "<p>The unsubscribe link is incomplete or was changed. Use the link from the email itself.</p>");
  const company = escape(deps.config.delivery.companyName);

  app.get("/unsubscribe/:token", async (request, reply) => {
    const who = await recipient(request);
    if (!who) return invalid(reply);
    const categoryChoice = who.unsubscribable
      ? `<label><input type="radio" name="scope" value="category" checked> Only ${escape(who.category)} emails like “${escape(who.campaign)}”</label>`
      : `<p>“${escape(who.campaign)}” is a notice about your account's billing; it is sent whatever your email preferences.</p>`;
    return page(
      reply,
      200,
      "Unsubscribe",
      `<p>Which emails should ${company} stop sending to <strong>${escape(who.email)}</strong>?</p>
<form method="post"><fieldset><legend class="visually-hidden">Unsubscribe from</legend>${categoryChoice}
<label><input type="radio" name="scope" value="all"${who.unsubscribable ? "" : " checked"}> All emails from ${company} (notices about your account's billing excepted)</label></fieldset>
<button type="submit">Unsubscribe</button></form>`,
    );
  });

  app.post("/unsubscribe/:token", { bodyLimit: 4 * 1024 }, async (request, reply) => {
    const who = await recipient(request);
    if (!who) return invalid(reply);
    const parsed = UnsubscribeForm.safeParse(request.body ?? {});
    const body = parsed.success ? parsed.data : {};
    const all = body.scope === "all" || !who.unsubscribable;
    await suppress(
      deps.db,
      { email: who.email.toLowerCase(), reason: "unsubscribe", detail: body["List-Unsubscribe"] === "One-Click" ? "one-click" : "unsubscribe page", ...(!all && { category: who.category }) },
      "recipient",
      deps.clock.now(),
    );
    return page(
      reply,
      200,
      "You are unsubscribed",
      `<p>${escape(who.email)} will get no more ${all ? "" : `${escape(who.category)} `}emails from ${company}${all ? " (except notices about your account's billing)" : ""}.</p>`,
    );
  });
}
