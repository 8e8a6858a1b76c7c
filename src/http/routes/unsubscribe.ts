import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { sql } from "drizzle-orm";
import { queryRows } from "../../db/index.js";
import { verifyUnsubscribeToken } from "../../delivery/index.js";
import type { Deps } from "../../deps/index.js";

const escape = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(reply: FastifyReply, status: number, title: string, body: string) {
  return reply
    .status(status)
    .type("text/html; charset=utf-8")
    .header("cache-control", "no-store")
    .header("referrer-policy", "no-referrer")
    .send(`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(title)}</title><style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#1f2933;line-height:1.5}
button{font-size:1rem;padding:.6rem 1.2rem;border-radius:6px;border:0;background:#c2410c;color:#fff;cursor:pointer}button:focus{outline:3px solid #1f2933}</style></head>
<body><h1>${escape(title)}</h1>${body}</body></html>`);
}

/**
 * The link in every email's footer and List-Unsubscribe header. GET never changes anything: it
 * shows a page with a button (mail scanners follow links). POST unsubscribes at once, with no
 * login and no cookies, as RFC 8058 one-click requires (`List-Unsubscribe=One-Click`).
 */
export function unsubscribeRoutes(app: FastifyInstance, deps: Deps): void {
  const recipient = async (request: FastifyRequest) => {
    const { token } = request.params as { token: string };
    const messageId = verifyUnsubscribeToken(deps.secretKey, token);
    if (messageId === undefined) return undefined;
    const [row] = await queryRows<{ email: string | null; category: string; campaign: string }>(
      deps.db,
      sql`select coalesce(m.to_address, c.email) as email, cv.definition ->> 'category' as category, cv.definition ->> 'name' as campaign
          from messages m join customers c on c.id = m.customer_id join campaign_versions cv on cv.id = m.campaign_version_id
          where m.id = ${messageId}`,
    );
    return row?.email ? { ...row, email: row.email } : undefined;
  };
  const invalid = (reply: FastifyReply) =>
    page(reply, 400, "This link is not valid", "<p>The unsubscribe link is incomplete or was changed. Use the link from the email itself.</p>");

  app.get("/unsubscribe/:token", async (request, reply) => {
    const who = await recipient(request);
    if (!who) return invalid(reply);
    return page(
      reply,
      200,
      "Unsubscribe",
      `<p>Stop <strong>${escape(who.category)}</strong> emails like “${escape(who.campaign)}” to <strong>${escape(who.email)}</strong>?</p>
<form method="post"><button type="submit">Unsubscribe</button></form>`,
    );
  });

  app.post("/unsubscribe/:token", { bodyLimit: 4 * 1024 }, async (request, reply) => {
    const who = await recipient(request);
    if (!who) return invalid(reply);
    const now = deps.clock.now();
    await deps.db.execute(sql`insert into suppressions (email, category, reason, detail, created_by, created_at)
                              values (${who.email.toLowerCase()}, ${who.category}, 'unsubscribe', 'unsubscribe link', 'recipient', ${now.toISOString()}::timestamptz)
                              on conflict do nothing`);
    return page(reply, 200, "You are unsubscribed", `<p>${escape(who.email)} will get no more ${escape(who.category)} emails from us.</p>`);
  });
}
