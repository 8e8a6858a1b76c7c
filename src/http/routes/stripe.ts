import type { FastifyInstance } from "fastify";
import type { Deps } from "../../deps/index.js";
import { ingestThenMatch } from "../../ingest/index.js";
import { applyStripeEvent, ignoreStripeEvent, recordableEvent, stripeEventProblem, verifyStripeDelivery } from "../../stripe/index.js";
import { isTransientDbError } from "../../db/index.js";
import { HttpError } from "../http-error.js";

/**
 * `POST /webhooks/stripe`: verified against the raw body (so its own parser, scoped to this
 * route), applied once per event id, then matched to campaigns. Anything unverified gets 400 and
 * stores nothing. A verified event that cannot be applied (malformed, or data that does not fit)
 * is acknowledged and recorded as ignored with the reason: Stripe retries anything but a 2xx, and
 * retrying it would never help. Only a fault of ours that may pass (the database away) is a 503.
 */
export async function stripeRoutes(app: FastifyInstance, deps: Deps): Promise<void> {
  await app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser("*", { parseAs: "buffer" }, (_request, body, done) => done(null, body));
    scope.post("/webhooks/stripe", { bodyLimit: 1024 * 1024 }, async (request, reply) => {
      const { secrets, toleranceSeconds, metadataKey } = deps.config.stripe;
      if (secrets.length === 0) throw new HttpError(404, "not_found", "Stripe is not configured (STRIPE_WEBHOOK_SECRETS).");
      const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const header = request.headers["stripe-signature"];
      const now = deps.clock.now();
      const verified = verifyStripeDelivery(raw, Array.isArray(header) ? header[0] : header, secrets, toleranceSeconds, now);
      if (verified.type === "invalid") {
        const reason = verified.reason.trim();
        throw new HttpError(400, "invalid_signature", `The Stripe signature could not be verified: ${reason}${/[.?!]$/.test(reason) ? "" : "."}`, [
          { path: "headers.stripe-signature", message: reason },
        ]);
      }
      const event = verified.event;
      const ignore = async (reason: string) => {
        const recordable = recordableEvent(event, now);
        const recorded = recordable ? await ignoreStripeEvent(deps.db, recordable, reason, now) : false;
        deps.logger.warn({ stripeEvent: recordable?.id, type: recordable?.type, recorded, reason }, "stripe event ignored");
        return reply.send({ received: true, outcome: recorded || !recordable ? "ignored" : "duplicate", reason });
      };
      const problem = stripeEventProblem(event);
      if (problem) return ignore(problem);
      let result: Awaited<ReturnType<typeof applyStripeEvent>>;
      try {
        result = await ingestThenMatch(deps, "stripe", () => applyStripeEvent(deps.db, event, metadataKey, now));
      } catch (error) {
        if (isTransientDbError(error)) throw error;
        deps.logger.error({ err: error, stripeEvent: event.id, type: event.type }, "stripe event could not be applied");
        return ignore("cannot be applied: a value in the event does not fit what Rekindle stores (out of range or malformed)");
      }
      deps.logger.info({ stripeEvent: event.id, type: event.type, outcome: result.outcome, stale: result.stale }, "stripe event");
      return reply.send({ received: true, outcome: result.outcome, ...(result.stale.length > 0 && { stale: result.stale }), ...(result.reason && { reason: result.reason }) });
    });
  });
}
