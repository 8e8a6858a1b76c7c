export { applyStripeEvent, ignoreStripeEvent, type StripeOutcome, type StripeResult } from "./apply-event.js";
export { recordableEvent, stripeEventProblem } from "./check-event.js";
export { mapStripeEvent, type StripeChange } from "./map-event.js";
export { monthlyRecurringMinor } from "./mrr.js";
export { verifyStripeDelivery, type Verified } from "./verify.js";
export { importStripeFile, type ImportReport } from "./import.js";
