import { z } from "zod";

/**
 * Who may do what. `ingest` sends data (the write keys of /v1 are ingest keys); `support` reads
 * customers and their timelines and pauses, stops and suppresses; `marketer` works on campaigns
 * (previews, dry runs, test sends, campaign pauses); `ops` may do everything, keys included.
 * Each route declares its roles beside it (`config.roles`, see http/access.ts).
 */
export const Role = z.enum(["ingest", "support", "marketer", "ops"]);
export type Role = z.infer<typeof Role>;
export const ROLES: readonly Role[] = Role.options;

/**
 * What a person may do, each named by the route that does it: the console shows what the route
 * table admits for the key's role, so the page and the server cannot disagree.
 */
export const ABILITIES = {
  campaigns: "GET /api/campaigns",
  campaignFigures: "GET /api/reports/campaigns",
  cancelFlow: "GET /api/reports/cancel-flow",
  campaignPause: "POST /api/campaigns/:id/pause",
  studio: "GET /api/campaigns/:id/steps/:step/preview",
  testSend: "POST /api/campaigns/:id/steps/:step/test-send",
  audience: "GET /api/campaigns/:id/dry-run",
  customers: "GET /api/customers",
  timeline: "GET /api/customers/:id/timeline",
  customerActions: "POST /api/customers/:id/pause",
  suppressions: "POST /api/suppressions",
  audit: "GET /api/audit",
  ops: "GET /api/status",
  killSwitch: "POST /api/pause-all",
} as const;
export type Ability = keyof typeof ABILITIES;

/** `GET /api/me`: who the key belongs to, its role, and what it may do. */
export const Me = z.strictObject({
  name: z.string(),
  role: Role,
  may: z.record(z.enum(Object.keys(ABILITIES) as [Ability, ...Ability[]]), z.boolean()),
});
export type Me = z.infer<typeof Me>;
