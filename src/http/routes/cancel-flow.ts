import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { and, desc, eq, type SQL } from "drizzle-orm";
import { z } from "zod";
import {
  actOnSession,
  expired,
  type FlowTexts,
  getSession,
  invalid,
  type LoadedFlow,
  PAGE_CSP,
  type PageAction,
  pageHtml,
  sessionPage,
  startCancelSession,
  textValues,
} from "../../cancel-flow/index.js";
import { auditLog, cancelSessions, type CancelSession, customers } from "../../db/index.js";
import { type AnswerOf, CancelSessionInput, CancelSessionQuery, type CancelSessionView, ResolveInput } from "../../api/index.js";
import type { Deps } from "../../deps/index.js";
import { verifyToken } from "../../tokens/index.js";
import { principalOf } from "../access.js";
import { HttpError } from "../http-error.js";
import { bodyOf, queryOf } from "../parse-input.js";

/** What the pages' forms post. */
const PageForm = z.object({
  action: z.enum(["reason", "accept", "cancel", "keep"]),
  reason: z.string().max(64).optional(),
  comment: z.string().max(2000).optional(),
});

/** A session as the API shows it (to support, and to marketers). */
function view(session: CancelSession, customerId: string): z.input<typeof CancelSessionView> {
  return {
    id: session.id,
    customerId,
    status: session.status,
    locale: session.locale,
    flowVersion: session.flowVersion,
    reason: session.reason,
    comment: session.comment,
    holdout: session.holdout,
    offer: session.offer,
    subscription: { id: session.subscriptionExternalId, plan: session.plan, mrrMinor: session.mrrMinor, currency: session.currency },
    decision: session.decision,
    apply: { status: session.applyStatus, via: session.applyVia, attempts: session.applyAttempts, nextAt: session.applyNextAt, error: session.applyError, appliedAt: session.appliedAt },
    createdAt: session.createdAt,
    expiresAt: session.expiresAt,
    finishedAt: session.finishedAt,
  };
}

/**
 * The cancel flow: the API the app starts sessions with, support's view of them, and the hosted
 * pages the customer goes through (public, reached only with a session's signed link).
 */
export function cancelFlowRoutes(app: FastifyInstance, deps: Deps): void {
  app.post("/api/cancel-sessions", { bodyLimit: 8 * 1024, config: { roles: ["ingest"] } }, async (request, reply) => {
    const input = bodyOf(CancelSessionInput, request);
    const result = await startCancelSession(deps, input);
    if (result.type === "customer_not_found") {
      throw new HttpError(404, "customer_not_found", `No customer ${JSON.stringify(input.customerId)}: send it with /v1/identify or PUT /api/customers/:id first.`, [{ path: "customerId", message: "unknown customer" }]);
    }
    if (result.type === "unavailable") {
      throw new HttpError(503, "cancel_flow_unavailable", result.reason, result.problems.map((p) => ({ path: `${p.file}:${p.line}`, message: p.message })));
    }
    return reply.status(201).send({ id: result.id, url: result.url, expiresAt: result.expiresAt.toISOString(), locale: result.locale } satisfies AnswerOf<"POST /api/cancel-sessions">);
  });

  app.get("/api/cancel-sessions", { config: { roles: ["support", "marketer"] } }, async (request) => {
    const q = queryOf(CancelSessionQuery, request);
    const filters: SQL[] = [];
    if (q.customerId) filters.push(eq(customers.externalId, q.customerId));
    if (q.status) filters.push(eq(cancelSessions.status, q.status));
    if (q.applyStatus) filters.push(eq(cancelSessions.applyStatus, q.applyStatus));
    const rows = await deps.db
      .select({ session: cancelSessions, customerId: customers.externalId })
      .from(cancelSessions)
      .innerJoin(customers, eq(customers.id, cancelSessions.customerId))
      .where(and(...filters))
      .orderBy(desc(cancelSessions.createdAt))
      .limit(q.limit);
    return { sessions: rows.map((r) => view(r.session, r.customerId)) } satisfies AnswerOf<"GET /api/cancel-sessions">;
  });

  const sessionById = async (request: FastifyRequest) => {
    const { id } = request.params as { id: string };
    if (!z.uuid().safeParse(id).success) throw new HttpError(404, "not_found", `No cancel session ${JSON.stringify(id)}.`);
    const [row] = await deps.db
      .select({ session: cancelSessions, customerId: customers.externalId })
      .from(cancelSessions)
      .innerJoin(customers, eq(customers.id, cancelSessions.customerId))
      .where(eq(cancelSessions.id, id));
    if (!row) throw new HttpError(404, "not_found", `No cancel session ${JSON.stringify(id)}.`);
    return row;
  };

  app.get("/api/cancel-sessions/:id", { config: { roles: ["support", "marketer"] } }, async (request) => {
    const row = await sessionById(request);
    return view(row.session, row.customerId);
  });

  // Support applied a decision by hand (after it was handed to them): recorded, with who and why.
  app.post("/api/cancel-sessions/:id/resolve", { bodyLimit: 8 * 1024, config: { roles: ["support"] } }, async (request) => {
    const input = bodyOf(ResolveInput, request);
    const row = await sessionById(request);
    const now = deps.clock.now();
    const actor = principalOf(request).name;
    const updated = await deps.db.transaction(async (tx) => {
      const [changed] = await tx
        .update(cancelSessions)
        .set({ applyStatus: "applied", appliedAt: now, applyVia: "support", applyNextAt: null })
        .where(and(eq(cancelSessions.id, row.session.id), eq(cancelSessions.applyStatus, "support")))
        .returning();
      if (!changed) return undefined;
      await tx.insert(auditLog).values({ actor, action: "cancel_session.resolve", targetType: "cancel_session", targetId: changed.id, before: { applyStatus: "support", error: row.session.applyError }, after: { applyStatus: "applied", note: input.note }, at: now });
      return changed;
    });
    if (!updated) throw new HttpError(409, "not_with_support", `Cancel session ${row.session.id} is not waiting for support (its decision is ${row.session.applyStatus}).`);
    return view(updated, row.customerId);
  });

  // The hosted pages: a scope of their own, for the form body parser.
  void app.register(async (scope) => {
    scope.addContentTypeParser("application/x-www-form-urlencoded", { parseAs: "string", bodyLimit: 8 * 1024 }, (_request, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(String(body))));
    });
    pageRoutes(scope, deps);
  });
}

function pageRoutes(app: FastifyInstance, deps: Deps): void {
  const send = (reply: FastifyReply, status: number, lang: string, title: string, body: string) =>
    reply
      .status(status)
      .type("text/html; charset=utf-8")
      .header("cache-control", "no-store")
      .header("referrer-policy", "no-referrer")
      .header("x-frame-options", "DENY")
      .header("content-security-policy", PAGE_CSP)
      .send(pageHtml(lang, title, body));

  const emptyValues = { company: deps.config.delivery.companyName, periodEnd: "", resumesOn: "", plan: "", percent: "", amount: "", months: "" };
  /** Words for a page with no session to go by: the flow's default language. */
  const fallback = (loaded: LoadedFlow): { lang: string; texts: FlowTexts } => ({ lang: loaded.flow.default_locale, texts: loaded.defaultTexts });

  /** The session a link stands for, or the page to answer instead. */
  const resolve = async (request: FastifyRequest, reply: FastifyReply): Promise<{ loaded: LoadedFlow; session: CancelSession; texts: FlowTexts } | undefined> => {
    const loaded = deps.cancelFlow.current();
    if (!loaded) {
      await send(reply, 503, "en", "Temporarily unavailable", "<h1>Temporarily unavailable</h1><p>This page cannot be shown right now. Please try again in a few minutes.</p>");
      return undefined;
    }
    const { token } = request.params as { token: string };
    const verified = verifyToken(deps.secretKey, "cancel-session", token, deps.clock.now());
    const session = verified.type === "invalid" ? undefined : await getSession(deps.db, verified.subject);
    if (!session) {
      const { lang, texts } = fallback(loaded);
      await send(reply, 400, lang, texts.invalid_title(emptyValues), invalid({ texts, values: emptyValues }));
      return undefined;
    }
    const texts = loaded.texts.get(session.locale) ?? fallback(loaded).texts;
    const open = session.status === "started" || session.status === "reason_given";
    if (verified.type === "expired" && open) {
      await send(reply, 410, session.locale, texts.expired_title(emptyValues), expired({ texts, values: emptyValues, session }));
      return undefined;
    }
    return { loaded, session, texts };
  };

  const render = async (reply: FastifyReply, loaded: LoadedFlow, session: CancelSession, texts: FlowTexts, status = 200, error?: { field: "reason" | "comment"; message: string }) => {
    const values = await textValues(deps, session, texts);
    const page = sessionPage({ lang: session.locale, texts, values, flow: loaded.flow, session, ...(error && { error }) });
    return send(reply, session.status === "abandoned" ? 410 : status, session.locale, page.title, page.body);
  };

  app.get("/cancel/:token", async (request, reply) => {
    const found = await resolve(request, reply);
    if (found) return render(reply, found.loaded, found.session, found.texts);
  });

  app.post("/cancel/:token", async (request, reply) => {
    // The forms post to their own page only; another site's form cannot drive a customer's session.
    const site = request.headers["sec-fetch-site"];
    if (site === "cross-site" || site === "same-site") return send(reply, 403, "en", "Forbidden", "<h1>Forbidden</h1><p>This form can only be sent from its own page.</p>");
    const found = await resolve(request, reply);
    if (!found) return;
    const { loaded, session, texts } = found;
    const form = PageForm.safeParse(request.body ?? {});
    if (!form.success) return render(reply, loaded, session, texts, 400);
    let action: PageAction;
    if (form.data.action === "reason") {
      const values = await textValues(deps, session, texts);
      const reason = loaded.flow.reasons.find((r) => r.id === form.data.reason);
      const comment = form.data.comment?.trim() || null;
      if (!reason) return render(reply, loaded, session, texts, 400, { field: "reason", message: texts.choose_reason(values) });
      if (reason.comment === "required" && !comment) return render(reply, loaded, { ...session, reason: reason.id }, texts, 400, { field: "comment", message: texts.comment_missing(values) });
      action = { action: "reason", reason: reason.id, comment: reason.comment === "none" ? null : comment };
    } else action = { action: form.data.action };
    await actOnSession(deps, loaded, session, action);
    // Post/redirect/get: a reload shows the page again instead of sending the form again.
    return reply.status(303).header("cache-control", "no-store").redirect(request.url, 303);
  });
}
