import { sql } from "drizzle-orm";
import { z } from "zod";
import { type Db, pauseScope, queryRows, suppressionReason } from "../../db/index.js";
import type { LoadedCampaign } from "../catalog.js";
import { holdoutSql } from "../compile/index.js";
import type { EntryCheck } from "./explanation.js";
import { isoSql } from "./sql-text.js";
import { moment } from "./words.js";

/**
 * What keeps the emails from going out although the customer enters: no address, a pause (the
 * customer's, the campaign's, everyone's), a suppression of the address, the holdout. Enrollment
 * ignores all of these (moments are recorded, emails wait or are skipped), so they stop `email`.
 */
export async function explainDelivery(db: Db, campaign: LoadedCampaign, customer: { id: number; email: string | null }, now: Date): Promise<EntryCheck[]> {
  const checks: EntryCheck[] = [];
  const at = sql`${now.toISOString()}::timestamptz`;
  checks.push(
    customer.email
      ? { test: "address", title: "Email address", passed: true, stops: "email", detail: `emails go to ${customer.email}` }
      : { test: "address", title: "Email address", passed: false, stops: "email", detail: "no email address on file: email steps are skipped (webhooks still run)", next: { text: "emails go out once an address is on file" } },
  );

  // The pauses the send path applies (src/delivery/outbox-row.ts): in force, at any of the three scopes.
  const pauses = await queryRows(
    db,
    z.object({ scope: z.enum(pauseScope.enumValues), until: z.string().nullable(), reason: z.string().nullable(), created_by: z.string() }),
    sql`select p.scope::text as scope, ${isoSql(sql`p.until`)} as until, p.reason, p.created_by from pauses p
        where p.lifted_at is null and (p.until is null or p.until > ${at})
          and (p.scope = 'global' or (p.scope = 'customer' and p.customer_id = ${customer.id}) or (p.scope = 'campaign' and p.campaign_id = ${campaign.id}))
        order by p.until desc nulls first`,
  );
  const scopeWords = (scope: string) => (scope === "customer" ? "the customer is paused" : scope === "campaign" ? "the campaign is paused" : "all sending is paused (the kill switch)");
  // Ordered by `until`, the open-ended first: the first is the one that holds longest.
  const [longest] = pauses;
  if (!longest) {
    checks.push({ test: "pause", title: "Pauses", passed: true, stops: "email", detail: "none holds the customer, the campaign or all sending" });
  } else {
    checks.push({
      test: "pause",
      title: "Pauses",
      passed: false,
      stops: "email",
      detail: `${pauses.map((p) => `${scopeWords(p.scope)} by ${p.created_by}${p.until ? ` until ${moment(p.until)}` : ""}${p.reason ? `: ${p.reason}` : ""}`).join("; ")}; they still enter, and the emails wait`,
      next: longest.until ? { text: `emails go out when the pause ends, ${moment(longest.until)}`, at: longest.until } : { text: "emails go out once the pause is lifted" },
    });
  }

  if (customer.email) {
    // The rule of the send path (src/delivery/outbox-row.ts): all mail, or this campaign's category;
    // a notice customers cannot opt out of ignores unsubscribes, never bounces or complaints.
    const found = await queryRows(
      db,
      z.object({ category: z.string().nullable(), reason: z.enum(suppressionReason.enumValues), created_by: z.string(), created_at: z.string(), applies: z.boolean() }),
      sql`select s.category, s.reason::text as reason, s.created_by, ${isoSql(sql`s.created_at`)} as created_at,
                 ((s.category is null or s.category = ${campaign.definition.category})
                  and not (s.reason = 'unsubscribe' and ${!campaign.definition.delivery.unsubscribable}::boolean)) as applies
          from suppressions s where s.lifted_at is null and s.email = lower(${customer.email}) order by s.created_at`,
    );
    const words = (s: (typeof found)[number]) => `${customer.email} is suppressed for ${s.category ?? "all mail"} (${s.reason}, by ${s.created_by}, since ${moment(s.created_at)})`;
    const applying = found.filter((s) => s.applies);
    const title = `Suppressions (${campaign.definition.category})`;
    if (applying.length > 0) {
      checks.push({ test: "suppression", title, passed: false, stops: "email", detail: `${applying.map(words).join("; ")}: they still enter, and its emails are skipped`, next: { text: "emails go out only if the address is unsuppressed (an explicit, audited act)" } });
    } else {
      const others = found.map(words);
      checks.push({ test: "suppression", title, passed: true, stops: "email", detail: others.length > 0 ? `${others.join("; ")}: not this campaign's category (${campaign.definition.category})` : "the address is not suppressed" });
    }
  }

  const share = campaign.definition.holdout;
  if (share > 0) {
    const [row] = await queryRows(db, z.object({ held: z.boolean() }), sql`select ${holdoutSql(campaign.id, share)} as held from customers c where c.id = ${customer.id}`);
    const percent = `${Math.round(share * 1000) / 10}%`;
    checks.push(
      row?.held
        ? { test: "holdout", title: "Holdout", passed: false, stops: "email", detail: `in the campaign's ${percent} holdout: they enter and are measured like the others, and are sent nothing (the same customers every time)` }
        : { test: "holdout", title: "Holdout", passed: true, stops: "email", detail: `not in the campaign's ${percent} holdout` },
    );
  }
  return checks;
}
