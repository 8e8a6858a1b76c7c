import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { type CardLinkOutcome, createCardLinkOpener } from "../../card-link/index.js";
import type { Deps } from "../../deps/index.js";
import { escapeHtml, htmlPage } from "../html-page.js";

/** Tokens are under 100 characters; anything longer is not one of ours and is not worth a look. */
const Params = z.object({ token: z.string().max(200) });

/**
 * `{{links.updateCard}}`: the signed token is the permission, so the customer needs no login. A
 * valid link goes (303) to Stripe's portal or to BILLING_URL; a bad or expired one shows a page
 * that still points to BILLING_URL, where the customer can sign in, so no click ends nowhere.
 * Only GET: a HEAD (link checkers send them) would otherwise run the handler, open a Stripe
 * session and record the event for a click nobody made.
 */
export function cardUpdateRoutes(app: FastifyInstance, deps: Deps): void {
  const open = createCardLinkOpener(deps);
  const signIn = `<p><a href="${escapeHtml(deps.config.delivery.links.billing)}">Sign in to ${escapeHtml(deps.config.delivery.companyName)} to update your card</a>.</p>`;

  app.get("/card/:token", { exposeHeadRoute: false }, async (request, reply) => {
    const params = Params.safeParse(request.params);
    const outcome: CardLinkOutcome = params.success ? await open(params.data.token) : { type: "invalid" };
    switch (outcome.type) {
      case "invalid":
        return htmlPage(reply, 400, "This link is not valid", `<p>The card update link is incomplete or was changed. Use the link from the email itself.</p>${signIn}`);
      case "expired":
        return htmlPage(reply, 410, "This link has expired", `<p>Card update links in our emails work for a limited time, and this one has run out.</p>${signIn}`);
      case "gone":
        return htmlPage(reply, 410, "This link no longer works", `<p>The account this link was made for is no longer with us.</p>${signIn}`);
      case "redirect":
        // The location holds a capability (a portal session, a signed URL): not to be cached or passed on.
        return reply.header("cache-control", "no-store").header("referrer-policy", "no-referrer").redirect(outcome.location, 303);
    }
  });
}
