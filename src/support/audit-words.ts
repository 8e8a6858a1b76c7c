import { type TimeWords, valueWords } from "../words/index.js";

/** What each audited action did, as `rekindle audit` says it (the console says the same in src/console/client/describe.ts). */
const ACTIONS: Record<string, string> = {
  "customer.pause": "paused the customer's emails",
  "customer.resume": "resumed the customer's emails",
  "customer.stop": "stopped the customer's sequences",
  "campaign.pause": "paused the campaign",
  "campaign.resume": "resumed the campaign",
  "global.pause": "paused all sending",
  "global.resume": "resumed all sending",
  "suppression.manual": "suppressed the address",
  "suppression.complaint": "recorded a spam complaint",
  "suppression.bounce": "suppressed the address after a bounce",
  "suppression.unsubscribe": "unsubscribed the address",
  "suppression.lifted": "let the address be emailed again",
  "campaign.test_send": "sent a test email",
  "key.create": "created an API key",
  "key.revoke": "revoked an API key",
  "cancel_session.resolve": "applied a cancel-flow decision by hand",
};

/** `customer.pause` → "paused the customer's emails"; an action this list does not know, in words of its own. */
export const auditActionWords = (action: string): string => ACTIONS[action] ?? action.replace(/[._]+/g, " ");

/** What changed, as "field: value" pairs: the state after, else the state before (a lift, a revocation). */
export function auditChangeWords(entry: { before: unknown; after: unknown }, time: TimeWords): string | undefined {
  const empty = (value: unknown) => value === null || value === undefined || (typeof value === "object" && Object.keys(value).length === 0);
  const shown = empty(entry.after) ? entry.before : entry.after;
  if (empty(shown)) return undefined;
  // A list (the suppressions a lift ended) says each item's fields in turn.
  return Array.isArray(shown) ? shown.map((item) => valueWords(item, time)).join("; ") : valueWords(shown, time);
}
