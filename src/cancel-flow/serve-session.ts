import { eq, sql } from "drizzle-orm";
import { z } from "zod";
import { matchAfterCommit } from "../campaigns/index.js";
import { customers, type CancelSession, queryRows } from "../db/index.js";
import type { Deps } from "../deps/index.js";
import { signToken } from "../tokens/index.js";
import { applyDueDecisions } from "./apply-decisions.js";
import type { FlowTexts, LoadedFlow, TextValues } from "./load-flow.js";
import { acceptOffer, confirmCancel, createSession, decisionFor, giveReason, keepSubscription, type Transition } from "./sessions.js";

/** How long the page waits for billing before it says "being applied" and lets the task finish. */
const INLINE_APPLY_MS = 8_000;

export type StartResult =
  | { type: "started"; id: string; url: string; expiresAt: Date; locale: string }
  | { type: "customer_not_found" }
  | { type: "unavailable"; reason: string; problems: { file: string; line: number; message: string }[] };

/** The flow's language closest to the wanted one: exact, then the language alone (sv-SE → sv), then the default. */
export function resolveLocale(loaded: LoadedFlow, wanted: string | null | undefined): string {
  for (const candidate of [wanted, wanted?.split(/[-_]/)[0]?.toLowerCase()]) {
    if (candidate && loaded.texts.has(candidate)) return candidate;
  }
  return loaded.flow.default_locale;
}

export const cancelPageUrl = (deps: Pick<Deps, "config" | "secretKey">, session: Pick<CancelSession, "id" | "expiresAt">) =>
  `${deps.config.http.publicUrl}/cancel/${signToken(deps.secretKey, "cancel-session", session.id, session.expiresAt)}`;

/**
 * `POST /api/cancel-sessions`: the app asks for a cancel flow for one of its customers and gets
 * back the signed, short-lived URL to send them to.
 */
export async function startCancelSession(deps: Deps, input: { customerId: string; returnUrl: string; locale?: string | undefined }): Promise<StartResult> {
  const loaded = deps.cancelFlow.current();
  if (!loaded) {
    const why = deps.cancelFlow.unavailable() ?? { reason: "The cancel flow is not running.", problems: [] };
    return { type: "unavailable", reason: why.reason, problems: why.problems.map((p) => ({ file: p.file, line: p.line, message: `${p.path}: ${p.message}` })) };
  }
  const [customer] = await deps.db.select({ id: customers.id, locale: customers.locale }).from(customers).where(eq(customers.externalId, input.customerId));
  if (!customer) return { type: "customer_not_found" };
  const now = deps.clock.now();
  const locale = resolveLocale(loaded, input.locale ?? customer.locale);
  const { session, events } = await createSession(
    deps.db,
    { customerId: customer.id, flowVersion: loaded.version, locale, returnUrl: input.returnUrl, expiresAt: new Date(now.getTime() + deps.config.cancelFlow.sessionTtlMs) },
    now,
  );
  await matchAfterCommit(deps, events.map((e) => ({ ...e, source: "rekindle" })));
  return { type: "started", id: session.id, url: cancelPageUrl(deps, session), expiresAt: session.expiresAt, locale };
}

function formatDate(value: Date | string | null | undefined, locale: string, timeZone: string): string | undefined {
  if (!value) return undefined;
  try {
    return new Intl.DateTimeFormat(locale, { dateStyle: "long", timeZone }).format(new Date(value));
  } catch {
    return new Date(value).toISOString().slice(0, 10);
  }
}

/** The placeholders' values for a session's pages, in its language. */
export async function textValues(deps: Deps, session: CancelSession, texts: FlowTexts): Promise<TextValues> {
  const [row] = await queryRows(
    deps.db,
    z.object({ current_period_end: z.string().nullable(), timezone: z.string().nullable() }),
    sql`select (select current_period_end from subscriptions s where s.customer_id = c.id order by (s.status <> 'canceled') desc, s.updated_at desc, s.id desc limit 1) as current_period_end,
               c.timezone from customers c where c.id = ${session.customerId}`,
  );
  const locale = session.locale;
  const timeZone = row?.timezone ?? deps.config.delivery.defaultTimeZone;
  const spec = session.offer?.spec ?? {};
  const decision = session.decision ?? (session.offer ? decisionFor(session.offer, deps.clock.now()) : undefined);
  const base: TextValues = { company: deps.config.delivery.companyName, periodEnd: "", resumesOn: "", plan: "", percent: "", amount: "", months: "" };
  base.periodEnd = formatDate(row?.current_period_end, locale, timeZone) ?? texts.period_end_unknown(base);
  base.resumesOn = formatDate(decision?.action === "pause" ? String(decision.details.resumesAt) : undefined, locale, timeZone) ?? "";
  if (typeof spec.plan === "string") base.plan = spec.plan;
  if (typeof spec.months === "number") base.months = String(spec.months);
  if (typeof spec.percent_off === "number") base.percent = new Intl.NumberFormat(locale, { style: "percent", maximumFractionDigits: 2 }).format(spec.percent_off / 100);
  if (typeof spec.amount_off === "number" && typeof spec.currency === "string") {
    const format = new Intl.NumberFormat(locale, { style: "currency", currency: spec.currency.toUpperCase() });
    base.amount = format.format(spec.amount_off / 10 ** (format.resolvedOptions().maximumFractionDigits ?? 2));
  }
  return base;
}

export type PageAction = { action: "reason"; reason: string; comment: string | null } | { action: "accept" } | { action: "cancel" } | { action: "keep" };

/**
 * Carries out what the customer pressed. A step already taken does nothing (a double tap, a
 * replayed form); a decision for billing is tried at once, for a few seconds, and otherwise left
 * to the periodic task, the page saying so.
 */
export async function actOnSession(deps: Deps, loaded: LoadedFlow, session: CancelSession, action: PageAction): Promise<Transition> {
  const now = deps.clock.now();
  const via = deps.config.cancelFlow.apply;
  const result =
    action.action === "reason"
      ? await giveReason(deps.db, loaded.flow, session, action.reason, action.comment, now)
      : action.action === "accept"
        ? await acceptOffer(deps.db, session, via, now)
        : action.action === "cancel"
          ? await confirmCancel(deps.db, loaded.flow, session, via, now)
          : await keepSubscription(deps.db, session, now);
  if (result.type === "changed") {
    await matchAfterCommit(deps, result.events.map((e) => ({ ...e, source: "rekindle" })));
    if (result.session.applyStatus === "pending") {
      const applying = applyDueDecisions({ db: deps.db, config: deps.config, stripe: deps.stripe, logger: deps.logger }, now, { sessionId: result.session.id }).catch((error: unknown) => {
        deps.logger.warn({ err: error, session: result.session.id }, "applying a cancel flow decision failed; the periodic task will retry");
      });
      await Promise.race([applying, new Promise((resolve) => setTimeout(resolve, INLINE_APPLY_MS).unref())]);
    }
  }
  return result;
}
