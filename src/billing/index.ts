export { appSignature, AppWebhookError, postToApp } from "./app-webhook.js";
export { applyStripeDecision, cancelAtPeriodEndParams, couponParams, discountParams, downgradeParams, isPermanentStripeError, pauseParams } from "./stripe-actions.js";
export { stripeClient } from "./stripe-client.js";
