import type { FastifyInstance } from "fastify";
import { matchAfterCommit } from "../../campaigns/index.js";
import type { Deps } from "../../deps/index.js";
import { applyStripeEvent, verifyStripeDelivery } from "../../stripe/index.js";
import { HttpError } from "../http-error.js";

/**
 * `POST /webhooks/stripe`: verified against the raw body (so its own parser, scoped to this
 * route), applied once per event id, then matched to campaigns. Anything unverified gets 400 and
 * stores nothing; a failure while applying gets 500, and Stripe delivers again.
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
      const verified = verifyStripeDelivery(raw, Array.isArray(header) ? header[0] : header, secrets, toleranceSeconds);
      if (verified.type === "invalid") {
        const reason = verified.reason.trim();
        throw new HttpError(400, "invalid_signature", `The Stripe signature could not be verified: ${reason}${/[.?!]$/.test(reason) ? "" : "."}`, [
          { path: "headers.stripe-signature", message: reason },
        ]);
      }
      const result = await applyStripeEvent(deps.db, verified.event, metadataKey, deps.clock.now());
      await matchAfterCommit(deps, result.events.map((event) => ({ ...event, source: "stripe" })));
      deps.logger.info({ stripeEvent: verified.event.id, type: verified.event.type, outcome: result.outcome, stale: result.stale }, "stripe event");
      return reply.send({ received: true, outcome: result.outcome, ...(result.stale.length > 0 && { stale: result.stale }) });
    });
  });
}
