import { sql } from "drizzle-orm";
import { z } from "zod";
import { col, type Db, queryRows, type ShownOffer } from "../db/index.js";
import { customerChurnByMonth, monthsOf } from "./churn.js";
import { type Uplift, upliftOf, type UpliftWords } from "./uplift.js";

/*
 * Terms, as the cancel flow stores them (cancel_sessions):
 * - finished: the session reached a final status: accepted, cancelled, kept or abandoned.
 * - saved: accepted (took the offer) or kept (stayed without one). Abandoned is not saved: the
 *   customer left without saying, and may cancel elsewhere.
 * - treated: holdout = false (shown the offer matched to the reason); holdout: holdout = true
 *   (shown none, but the offer they would have seen is stored), so the two compare offer by offer.
 * - save rate: saved ÷ finished, within one group.
 */

/** Saved and finished sessions of one group (treated or held out). */
export interface SaveGroup {
  /** Finished sessions that gave a reason. */
  finished: number;
  /** Of those, accepted or kept. */
  saved: number;
  /** saved ÷ finished, or null with none finished. */
  rate: number | null;
}

/** One exit-survey reason over the period. */
export interface ReasonFigures {
  /** The reason's id in the flow file, e.g. `too_expensive`. */
  reason: string;
  sessions: number;
  /** This reason's sessions ÷ all sessions that gave a reason (0–1): the bar of the chart. */
  share: number;
  /** Accepted or kept. */
  saved: number;
  cancelled: number;
  abandoned: number;
  /** Still in progress (reason given, no outcome yet). */
  open: number;
  treated: SaveGroup;
  holdout: SaveGroup;
  /** Treated save rate minus holdout save rate, with its 95% interval; null when it cannot be told (see verdict). */
  uplift: Uplift | null;
  verdict: string;
}

/** One offer (by id and type) over the period, against the holdout sessions matched to the same offer. */
export interface OfferFigures {
  offer: string;
  type: ShownOffer["type"];
  /** The reasons it was matched to. */
  reasons: string[];
  /** Treated sessions it was shown in (finished or not). */
  shown: number;
  accepted: number;
  treated: SaveGroup;
  holdout: SaveGroup;
  uplift: Uplift | null;
  verdict: string;
}

/** Monthly recurring revenue through the flow, in one currency's minor units, as it was when each session started. */
export interface CurrencyMrr {
  currency: string;
  /** Sum over treated sessions that ended saved (a discount or downgrade taken counts in full). */
  savedMinor: number;
  savedSessions: number;
  /** Sum over sessions that ended cancelled, treated or held out. */
  lostMinor: number;
  lostSessions: number;
}

/** One calendar month (UTC): cancellations through the flow by reason, beside the month's churn. */
export interface MonthCancellations {
  month: string;
  /** Customers whose session ended cancelled this month (whenever it started). */
  cancelled: number;
  /** The same by reason, most first; `reason: null` for sessions cancelled without one. */
  byReason: { reason: string | null; customers: number }[];
  /** As churnByMonth counts them, over all customers: live at the month's start, lost in it, of whom voluntarily. */
  customersAtStart: number;
  customersLost: number;
  lostVoluntary: number;
}

/** The cancel flow over sessions started in [from, to). */
export interface CancelFlowReport {
  from: string;
  to: string;
  sessions: number;
  /** Sessions by status; `open` is started or reason given. */
  outcomes: { accepted: number; cancelled: number; kept: number; abandoned: number; open: number };
  /** Sessions that gave a reason. */
  gaveReason: number;
  /** Most given first. */
  reasons: ReasonFigures[];
  /** Most shown first. */
  offers: OfferFigures[];
  /** By currency, alphabetically. */
  mrr: CurrencyMrr[];
  /** Whole calendar months from `from`'s month to `to`'s, as churnByMonth counts them. */
  churn: MonthCancellations[];
}

const REASON_WORDS: UpliftWords = {
  subject: "Showing an offer",
  treated: "of the customers shown one stayed",
  held: "of those held out",
  worse: "does worse than showing none",
  unit: "finished sessions",
  noHoldout: "No holdout group: no session with this reason was held out, so what its offer changes cannot be measured.",
};

const OFFER_WORDS: UpliftWords = {
  subject: "The offer",
  treated: "of the customers shown it stayed",
  held: "of those held out",
  worse: "does worse than showing none",
  unit: "finished sessions",
  noHoldout: "No holdout group: every session matched to this offer was shown it, so what it changes cannot be measured.",
};

const FINISHED = sql`cs.status in ('accepted', 'cancelled', 'kept', 'abandoned')`;
const SAVED = sql`cs.status in ('accepted', 'kept')`;
const OPEN = sql`cs.status in ('started', 'reason_given')`;

/** The treated and holdout groups' counts, for every grouping below. */
const GROUPS = sql`count(*) filter (where cs.holdout = false and ${FINISHED})::int as treated_finished,
  count(*) filter (where cs.holdout = false and ${SAVED})::int as treated_saved,
  count(*) filter (where cs.holdout = true and ${FINISHED})::int as holdout_finished,
  count(*) filter (where cs.holdout = true and ${SAVED})::int as holdout_saved`;

/** An offer type as the report reads it back from `cancel_sessions.offer`. */
const ShownOfferType = z.enum(["pause", "discount", "downgrade", "contact"]) satisfies z.ZodType<ShownOffer["type"]>;

const GroupRow = z.object({ treated_finished: col.int, treated_saved: col.int, holdout_finished: col.int, holdout_saved: col.int });
type GroupRow = z.infer<typeof GroupRow>;

const saveGroup = (finished: number, saved: number): SaveGroup => ({ finished, saved, rate: finished > 0 ? saved / finished : null });

function compared(row: GroupRow, words: UpliftWords): Pick<ReasonFigures, "treated" | "holdout" | "uplift" | "verdict"> {
  const treated = saveGroup(row.treated_finished, row.treated_saved);
  const holdout = saveGroup(row.holdout_finished, row.holdout_saved);
  const asGroup = (g: SaveGroup) => ({ entered: g.finished, converted: g.saved, rate: g.rate });
  return { treated, holdout, ...upliftOf(asGroup(treated), asGroup(holdout), words) };
}

const ts = (d: Date) => sql`${d.toISOString()}::timestamptz`;

/**
 * Sessions, outcomes, reasons and offers with their save rates against the holdout, the MRR saved
 * and lost, for cancel sessions created in [from, to); and per calendar month, customers cancelled
 * through the flow by reason beside churnByMonth's figures for the same months.
 */
export async function cancelFlowReport(db: Db, from: Date, to: Date): Promise<CancelFlowReport> {
  const period = sql`cs.created_at >= ${ts(from)} and cs.created_at < ${ts(to)}`;
  const [totals] = await queryRows(
    db,
    z.object({ sessions: col.int, accepted: col.int, cancelled: col.int, kept: col.int, abandoned: col.int, open: col.int, gave_reason: col.int }),
    sql`select count(*)::int as sessions,
               count(*) filter (where cs.status = 'accepted')::int as accepted,
               count(*) filter (where cs.status = 'cancelled')::int as cancelled,
               count(*) filter (where cs.status = 'kept')::int as kept,
               count(*) filter (where cs.status = 'abandoned')::int as abandoned,
               count(*) filter (where ${OPEN})::int as open,
               count(*) filter (where cs.reason is not null)::int as gave_reason
        from cancel_sessions cs where ${period}`,
  );
  const reasonRows = await queryRows(
    db,
    GroupRow.extend({ reason: z.string(), sessions: col.int, offered: col.int, saved: col.int, cancelled: col.int, abandoned: col.int, open: col.int }),
    sql`select cs.reason, count(*)::int as sessions,
               count(*) filter (where cs.offer is not null)::int as offered,
               count(*) filter (where ${SAVED})::int as saved,
               count(*) filter (where cs.status = 'cancelled')::int as cancelled,
               count(*) filter (where cs.status = 'abandoned')::int as abandoned,
               count(*) filter (where ${OPEN})::int as open,
               ${GROUPS}
        from cancel_sessions cs where ${period} and cs.reason is not null
        group by cs.reason order by sessions desc, cs.reason`,
  );
  const offerRows = await queryRows(
    db,
    GroupRow.extend({ offer: z.string(), type: ShownOfferType, reasons: z.array(z.string()), shown: col.int, accepted: col.int }),
    sql`select cs.offer ->> 'id' as offer, cs.offer ->> 'type' as type,
               coalesce(array_to_json(array_agg(distinct cs.reason) filter (where cs.reason is not null)), '[]'::json) as reasons,
               count(*) filter (where cs.holdout = false)::int as shown,
               count(*) filter (where cs.holdout = false and cs.status = 'accepted')::int as accepted,
               ${GROUPS}
        from cancel_sessions cs where ${period} and cs.offer is not null
        group by 1, 2 order by shown desc, 1, 2`,
  );
  const money = await queryRows(
    db,
    z.object({ currency: z.string(), saved_minor: col.int8, saved_sessions: col.int, lost_minor: col.int8, lost_sessions: col.int }),
    sql`select cs.currency::text as currency,
               coalesce(sum(cs.mrr_minor) filter (where cs.holdout = false and ${SAVED}), 0)::bigint as saved_minor,
               count(*) filter (where cs.holdout = false and ${SAVED})::int as saved_sessions,
               coalesce(sum(cs.mrr_minor) filter (where cs.status = 'cancelled'), 0)::bigint as lost_minor,
               count(*) filter (where cs.status = 'cancelled')::int as lost_sessions
        from cancel_sessions cs where ${period}
        group by cs.currency having count(*) filter (where (cs.holdout = false and ${SAVED}) or cs.status = 'cancelled') > 0
        order by cs.currency`,
  );

  // Churn counts whole months; so do these, whenever the session that ended in them started.
  const months = monthsOf(from, to);
  const [first, last] = [months[0], months.at(-1)];
  const [cancelledRows, churn] = await Promise.all([
    !first || !last
      ? []
      : queryRows(
          db,
          z.object({ month: z.string(), reason: z.string().nullable(), total: z.boolean(), customers: col.int }),
          sql`select c.month, c.reason, grouping(c.reason) = 1 as total, count(distinct c.customer_id)::int as customers
              from (select to_char(cs.finished_at at time zone 'UTC', 'YYYY-MM') as month, cs.reason, cs.customer_id
                    from cancel_sessions cs
                    where cs.status = 'cancelled' and cs.finished_at >= ${ts(first.start)} and cs.finished_at < ${ts(last.end)}) c
              group by grouping sets ((c.month, c.reason), (c.month))
              order by c.month, customers desc, c.reason nulls last`,
        ),
    customerChurnByMonth(db, from, to),
  ]);

  const gaveReason = totals?.gave_reason ?? 0;
  return {
    from: from.toISOString(),
    to: to.toISOString(),
    sessions: totals?.sessions ?? 0,
    outcomes: { accepted: totals?.accepted ?? 0, cancelled: totals?.cancelled ?? 0, kept: totals?.kept ?? 0, abandoned: totals?.abandoned ?? 0, open: totals?.open ?? 0 },
    gaveReason,
    reasons: reasonRows.map((r) => ({
      reason: r.reason,
      sessions: r.sessions,
      share: gaveReason > 0 ? r.sessions / gaveReason : 0,
      saved: r.saved,
      cancelled: r.cancelled,
      abandoned: r.abandoned,
      open: r.open,
      ...compared(r, REASON_WORDS),
      ...(r.offered === 0 && { uplift: null, verdict: "No offer for this reason: nothing to compare with the holdout." }),
    })),
    offers: offerRows.map((r) => ({ offer: r.offer, type: r.type, reasons: r.reasons, shown: r.shown, accepted: r.accepted, ...compared(r, OFFER_WORDS) })),
    mrr: money.map((m) => ({
      currency: m.currency.trim(),
      savedMinor: m.saved_minor,
      savedSessions: m.saved_sessions,
      lostMinor: m.lost_minor,
      lostSessions: m.lost_sessions,
    })),
    churn: churn.map((m) => {
      const rows = cancelledRows.filter((r) => r.month === m.month);
      return {
        month: m.month,
        cancelled: rows.find((r) => r.total)?.customers ?? 0,
        byReason: rows.filter((r) => !r.total).map((r) => ({ reason: r.reason, customers: r.customers })),
        customersAtStart: m.customersAtStart,
        customersLost: m.customersLost,
        lostVoluntary: m.lostVoluntary,
      };
    }),
  };
}
