import { z } from "zod";
import { TimeZone } from "../time/index.js";
// timestamp.ts, not validation/index.ts: the index brings input-rules.ts (Node's Buffer), which the browser cannot type-check.
import { Timestamp } from "../validation/timestamp.js";
import { Instant } from "./json.js";

/** A period, each end optional (the route says its default). */
export const ReportQuery = z.strictObject({
  from: Timestamp.optional(),
  to: Timestamp.optional(),
});

export const ChurnQuery = z.strictObject({
  from: Timestamp.optional(),
  to: Timestamp.optional(),
  campaign: z.string().min(1).optional(),
});

export const DailyQuery = z.strictObject({
  /** How many days back, today included: 1 to 90, default 30. */
  days: z.coerce.number().int().min(1).max(90).default(30),
  /** The IANA zone whose midnights divide the days: the reader's. Default UTC. */
  timeZone: TimeZone.default("UTC"),
});

export const CancelFlowQuery = z
  .strictObject({
    from: Timestamp.optional(),
    to: Timestamp.optional(),
  })
  .refine((q) => !q.from || !q.to || q.from < q.to, { message: "expected a date before to", path: ["from"] });

/** Entrants of one group and those who reached the goal; `rate` is null with no entrants. */
export const GroupFigures = z.strictObject({ entered: z.number(), converted: z.number(), rate: z.number().nullable() });
export type GroupFigures = z.infer<typeof GroupFigures>;

/** Treated rate minus holdout rate, with its 95% interval; `relative` is null when the holdout rate is 0. */
export const Uplift = z.strictObject({ absolute: z.number(), relative: z.number().nullable(), ci95: z.tuple([z.number(), z.number()]) });
export type Uplift = z.infer<typeof Uplift>;

/** `GET /api/campaigns/:id/report`: one campaign's uplift over a period. */
export const CampaignReport = z.strictObject({
  campaign: z.string(),
  from: Instant,
  to: Instant,
  conversionWindow: z.string(),
  entered: z.number(),
  emailsSent: z.number(),
  treated: GroupFigures,
  holdout: GroupFigures,
  uplift: Uplift.nullable(),
  verdict: z.string(),
});
export type CampaignReport = z.infer<typeof CampaignReport>;

/** `GET /api/reports/campaigns`: the same report for every running campaign. */
export const CampaignReports = z.strictObject({ from: Instant, to: Instant, campaigns: z.array(CampaignReport) });
export type CampaignReports = z.infer<typeof CampaignReports>;

/** `GET /api/campaigns/:id/daily`: each day (in the reader's zone) of the last ones. */
export const CampaignDaily = z.strictObject({
  campaign: z.string(),
  timeZone: z.string(),
  days: z.array(z.strictObject({ day: z.string(), from: Instant, emailsSent: z.number(), entered: z.number(), goal: GroupFigures })),
});
export type CampaignDaily = z.infer<typeof CampaignDaily>;

/** One month's churn: customers and, per currency, MRR. */
export const MonthChurn = z.strictObject({
  month: z.string(),
  customersAtStart: z.number(),
  customersLost: z.number(),
  customerChurnRate: z.number().nullable(),
  lostInvoluntary: z.number(),
  lostVoluntary: z.number(),
  mrr: z.record(
    z.string(),
    z.strictObject({
      starting: z.number(),
      lost: z.number(),
      contraction: z.number(),
      expansion: z.number(),
      grossChurnRate: z.number().nullable(),
      netChurnRate: z.number().nullable(),
    }),
  ),
});
export type MonthChurn = z.infer<typeof MonthChurn>;

/** `GET /api/reports/churn`: by month; with `campaign`, its entrants beside everyone else. */
export const ChurnReport = z.union([
  z.strictObject({ from: Instant, to: Instant, months: z.array(MonthChurn) }),
  z.strictObject({ from: Instant, to: Instant, campaign: z.string(), entered: z.array(MonthChurn), notEntered: z.array(MonthChurn) }),
]);
export type ChurnReport = z.infer<typeof ChurnReport>;

/** Saved (accepted or kept) of finished sessions in one group; `rate` is null with none finished. */
export const SaveGroup = z.strictObject({ finished: z.number(), saved: z.number(), rate: z.number().nullable() });
export type SaveGroup = z.infer<typeof SaveGroup>;

/** `GET /api/reports/cancel-flow`: the cancel flow's sessions, reasons and offers against the holdout, and churn by reason. */
export const CancelFlowReport = z.strictObject({
  from: Instant,
  to: Instant,
  sessions: z.number(),
  outcomes: z.strictObject({ accepted: z.number(), cancelled: z.number(), kept: z.number(), abandoned: z.number(), open: z.number() }),
  gaveReason: z.number(),
  reasons: z.array(
    z.strictObject({
      reason: z.string(),
      sessions: z.number(),
      share: z.number(),
      saved: z.number(),
      cancelled: z.number(),
      abandoned: z.number(),
      open: z.number(),
      treated: SaveGroup,
      holdout: SaveGroup,
      uplift: Uplift.nullable(),
      verdict: z.string(),
    }),
  ),
  offers: z.array(
    z.strictObject({
      offer: z.string(),
      type: z.enum(["pause", "discount", "downgrade", "contact"]),
      reasons: z.array(z.string()),
      shown: z.number(),
      accepted: z.number(),
      treated: SaveGroup,
      holdout: SaveGroup,
      uplift: Uplift.nullable(),
      verdict: z.string(),
    }),
  ),
  mrr: z.array(z.strictObject({ currency: z.string(), savedMinor: z.number(), savedSessions: z.number(), lostMinor: z.number(), lostSessions: z.number() })),
  churn: z.array(
    z.strictObject({
      month: z.string(),
      cancelled: z.number(),
      byReason: z.array(z.strictObject({ reason: z.string().nullable(), customers: z.number() })),
      customersAtStart: z.number(),
      customersLost: z.number(),
      lostVoluntary: z.number(),
    }),
  ),
});
export type CancelFlowReport = z.infer<typeof CancelFlowReport>;
