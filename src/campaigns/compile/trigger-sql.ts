import { type SQL, sql } from "drizzle-orm";
import { ACTIVITY_TYPES } from "../catalog.js";
import type { EventTrigger, ScanTrigger } from "../definition/index.js";
import { propertiesSql } from "./condition-sql.js";
import { duration, type SqlScope, textList } from "./scope.js";
import { subtractDuration } from "../../time/index.js";

const DAY_MS = 86_400_000;

/**
 * A trigger compiles to a candidate query: `customer_id`, `facts` (jsonb, what support reads later),
 * `trigger_key` (the moment, for idempotence), `trigger_event_id` and `sort_at` (earliest first).
 * Each one starts from the narrowest index for its moment, so its cost follows the number of
 * customers at that moment, not the size of the customer base.
 */
const activity = sql`(${textList(ACTIVITY_TYPES)})::event_type[]`;

/** An event as the matcher holds it: just stored (what `insertEvents` returned) or read back by the sweep. */
export interface SelectedEvent {
  id: number;
  name: string;
  type: string;
  source: string;
  customerId: number | null;
  occurredAt: Date;
  properties: Record<string, unknown>;
  /** The customer's last activity before this event's group was stored, when ingestion knew it (see `StoredEvent`). */
  customerLastSeenBefore?: Date | null;
}

/**
 * Which events an event-trigger pass looks at: the ones in hand (just stored, or the sweep's), or
 * those received in a recent window (a dry run, an explanation).
 */
export type EventSelection = { events: readonly SelectedEvent[] } | { receivedSince: Date; receivedBefore?: Date };

/**
 * The selected events as the relation `e` (the columns of `events` that matching reads). Events in
 * hand travel as one JSON parameter instead of being read back from `events`: a group of them
 * spans months, and reading them by id meant planning and probing every month's partition for
 * every id, for every campaign — the largest cost of matching a backfill.
 */
export function selectedEventsSql(selection: EventSelection): SQL {
  if ("events" in selection) {
    const rows = selection.events.map((event) => ({
      id: event.id,
      name: event.name,
      type: event.type,
      source: event.source,
      customer_id: event.customerId,
      occurred_at: event.occurredAt.toISOString(),
      properties: event.properties,
    }));
    return sql`jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as e(
      id bigint, name text, type event_type, source text, customer_id bigint, occurred_at timestamptz, properties jsonb)`;
  }
  const before = selection.receivedBefore ? sql` and received_at < ${selection.receivedBefore.toISOString()}::timestamptz` : sql``;
  return sql`(select * from events where received_at >= ${selection.receivedSince.toISOString()}::timestamptz${before}) e`;
}

/**
 * The selection narrowed to the events in hand that `keep` accepts, so that only those travel with
 * a statement; undefined when none is left (the statement need not run). A window stays as it is.
 */
export function narrowSelection(selection: EventSelection, keep: (event: SelectedEvent) => boolean): EventSelection | undefined {
  if (!("events" in selection)) return selection;
  const events = selection.events.filter(keep);
  return events.length > 0 ? { events } : undefined;
}

/** The earliest and latest `occurredAt` of the events in hand (none for a window, or no events). */
export function selectedRange(selection: EventSelection): { from: Date; to: Date } | undefined {
  if (!("events" in selection) || selection.events.length === 0) return undefined;
  let from = Infinity;
  let to = -Infinity;
  for (const event of selection.events) {
    from = Math.min(from, event.occurredAt.getTime());
    to = Math.max(to, event.occurredAt.getTime());
  }
  // A millisecond wider on each side: PostgreSQL keeps microseconds that a JavaScript Date does not.
  return { from: new Date(from - 1), to: new Date(to + 1) };
}

/** Glob `*` → SQL LIKE, with LIKE's own wildcards escaped. */
export function likePattern(glob: string): string {
  return glob.replace(/[\\%_]/g, (char) => `\\${char}`).replace(/\*/g, "%");
}

/**
 * A scan trigger's candidates in two parts: `moments`, read by index ranges, and `stillHolds`, a
 * condition on each moment `m` that takes a probe per candidate (no cancellation since the visit,
 * no activation yet). Enrolling checks re-entry between the two, so a scan that finds nothing new
 * does not probe again, every minute, the moments it enrolled long ago.
 */
export interface ScanCandidates {
  moments: SQL;
  stillHolds: SQL | undefined;
}

/** A scan trigger's candidates as one query (the dry run's, an explanation's). */
export function scanCandidatesSql(trigger: ScanTrigger, scope: SqlScope): SQL {
  const { moments, stillHolds } = scanMomentsSql(trigger, scope);
  return stillHolds ? sql`select * from (${moments}) m where ${stillHolds}` : moments;
}

export function scanMomentsSql(trigger: ScanTrigger, scope: SqlScope): ScanCandidates {
  const candidates = (moments: SQL, stillHolds?: SQL): ScanCandidates => ({ moments, stillHolds });
  const now = scope.nowSql();
  const today = sql`(${now} at time zone 'UTC')::date`;
  switch (trigger.type) {
    case "card_expiring":
      return candidates(sql`
        select pm.customer_id, jsonb_build_object(
            'cardExpiresOn', pm.expires_on, 'brand', pm.brand, 'last4', pm.last4,
            'daysUntilExpiry', pm.expires_on - ${today}) as facts,
          'card:' || pm.external_id || ':' || pm.expires_on as trigger_key, null::bigint as trigger_event_id, ${now} as sort_at
        from payment_methods pm
        where pm.is_default and pm.detached_at is null
          and pm.expires_on >= ${today}
          and pm.expires_on <= ((${now} + ${duration(trigger.within)}) at time zone 'UTC')::date`);

    case "inactive": {
      // The moment is crossing the threshold: last activity in (threshold - lookback, threshold].
      // Both halves are index range scans, so a scan costs what that window holds, not the customer base.
      const threshold = sql`(${now} - ${duration(trigger.for)})`;
      const earliest = sql`(${threshold} - ${duration(trigger.lookback)})`;
      const facts = (lastActivity: SQL, since: SQL) => sql`jsonb_build_object(
          'lastActivityAt', ${lastActivity},
          'inactiveDays', floor(extract(epoch from ${now} - ${since}) / 86400)${
            trigger.activity ? sql`, 'activity', ${JSON.stringify(trigger.activity)}::jsonb` : sql``
          })`;
      const neverActive = trigger.activity
        ? sql`not exists (select 1 from events ev where ev.customer_id = c.id and ev.name = any(${textList(trigger.activity)}))`
        : sql`not exists (select 1 from customer_activity a where a.customer_id = c.id)`;
      const signedUpInWindow = sql`
        select c.id as customer_id, ${facts(sql`null::timestamptz`, sql`coalesce(c.signed_up_at, c.created_at)`)} as facts,
          'inactive:never' as trigger_key, null::bigint as trigger_event_id, ${now} as sort_at
        from customers c
        where ((c.signed_up_at > ${earliest} and c.signed_up_at <= ${threshold})
            or (c.signed_up_at is null and c.created_at > ${earliest} and c.created_at <= ${threshold}))
          and ${neverActive}`;
      if (!trigger.activity) {
        return candidates(sql`
          select a.customer_id, ${facts(sql`a.last_seen_at`, sql`a.last_seen_at`)} as facts,
            'inactive:' || a.last_seen_at::text as trigger_key, null::bigint as trigger_event_id, ${now} as sort_at
          from customer_activity a
          where a.last_seen_at > ${earliest} and a.last_seen_at <= ${threshold}
          union all ${signedUpInWindow}`);
      }
      const names = textList(trigger.activity);
      // Not active since (for the never-active, whom the second half finds, this holds already).
      return candidates(
        sql`
        select la.customer_id, ${facts(sql`la.at`, sql`la.at`)} as facts,
          'inactive:' || la.at::text as trigger_key, null::bigint as trigger_event_id, ${now} as sort_at
        from (
          select ev.customer_id, max(ev.occurred_at) as at from events ev
          where ev.name = any(${names}) and ev.customer_id is not null
            and ev.occurred_at > ${earliest} and ev.occurred_at <= ${threshold}
          group by ev.customer_id) la
        union all ${signedUpInWindow}`,
        sql`not exists (select 1 from events ev where ev.customer_id = m.customer_id and ev.name = any(${names}) and ev.occurred_at > ${threshold})`,
      );
    }

    case "usage_drop": {
      const middle = sql`(${now} - ${duration(trigger.window)})`;
      const start = sql`(${now} - ${duration(trigger.window)} - ${duration(trigger.window)})`;
      const before = sql`count(*) filter (where e.occurred_at <= ${middle})`;
      const after = sql`count(*) filter (where e.occurred_at > ${middle})`;
      return candidates(sql`
        select e.customer_id, jsonb_build_object(
            'event', ${trigger.event}::text, 'window', ${trigger.window}::text,
            'countBefore', ${before}, 'countAfter', ${after},
            'drop', round(1 - ${after}::numeric / ${before}, 2)) as facts,
          'usage_drop:' || to_char((${middle} at time zone 'UTC')::date, 'YYYY-MM-DD') as trigger_key,
          null::bigint as trigger_event_id, ${now} as sort_at
        from events e
        where e.name = ${trigger.event} and e.customer_id is not null
          and e.occurred_at > ${start} and e.occurred_at <= ${now}
        group by e.customer_id
        having ${before} >= ${trigger.min_before}
           and ${after} <= floor(${before} * (1 - ${trigger.drop}::numeric))`);
    }

    case "cancel_page_visited": {
      const latest = sql`(${now} - ${duration(trigger.grace)})`;
      return candidates(
        sql`
        select e.customer_id, jsonb_build_object(
            'visitedAt', e.occurred_at, 'path', e.properties ->> 'path', 'grace', ${trigger.grace}::text) as facts,
          'cancel_visit:' || e.id as trigger_key, e.id as trigger_event_id, e.occurred_at as sort_at
        from events e
        where e.type = 'page' and e.customer_id is not null
          and e.occurred_at <= ${latest} and e.occurred_at > ${latest} - ${duration(trigger.lookback)}
          and (e.properties ->> 'path') like ${likePattern(trigger.path)}`,
        // Not canceled since the visit.
        sql`not exists (
            select 1 from events x where x.customer_id = m.customer_id
              and x.name = 'subscription_canceled' and x.occurred_at >= m.sort_at)
          and not exists (
            select 1 from subscriptions sx where sx.customer_id = m.customer_id
              and sx.status = 'canceled' and sx.canceled_at >= m.sort_at)`,
      );
    }

    case "not_activated": {
      const latest = sql`(${now} - ${duration(trigger.after)})`;
      const earliest = sql`(${latest} - ${duration(trigger.lookback)})`;
      return candidates(
        sql`
        select c.id as customer_id, jsonb_build_object(
            'signedUpAt', coalesce(c.signed_up_at, c.created_at), 'activationEvent', ${trigger.activation_event}::text) as facts,
          'not_activated' as trigger_key, null::bigint as trigger_event_id, ${now} as sort_at, c.signed_up_at
        from customers c
        where ((c.signed_up_at <= ${latest} and c.signed_up_at > ${earliest})
            or (c.signed_up_at is null and c.created_at <= ${latest} and c.created_at > ${earliest}))`,
        // One probe per candidate, of the months from a month before their sign-up on
        // (activation comes after sign-up; the other months are skipped as the query runs):
        // not a hash of every activation event ever, which a partition a month made the
        // planner prefer. OFFSET 0 keeps the subquery a per-candidate probe. A customer with
        // no sign-up date (known only from events) has every month read.
        sql`not exists (select 1 from events ev where ev.customer_id = m.customer_id and ev.name = ${trigger.activation_event}
            and ev.occurred_at >= coalesce(m.signed_up_at - interval '31 days', '-infinity') offset 0)`,
      );
    }

    case "tenure": {
      // Customers whose first subscription (else sign-up) crossed `at` within the lookback:
      // index range scans on subscriptions.started_at and customers.signed_up_at / created_at.
      const latest = sql`(${now} - ${duration(trigger.at)})`;
      const earliest = sql`(${latest} - ${duration(trigger.lookback)})`;
      const facts = (since: SQL) => sql`jsonb_build_object('customerSince', ${since}, 'tenure', ${trigger.at}::text)`;
      return candidates(sql`
        select s1.customer_id, ${facts(sql`s1.started_at`)} as facts,
          'tenure:' || ${trigger.at}::text as trigger_key, null::bigint as trigger_event_id, ${now} as sort_at
        from subscriptions s1
        where s1.started_at > ${earliest} and s1.started_at <= ${latest}
          and not exists (select 1 from subscriptions s2 where s2.customer_id = s1.customer_id and s2.started_at < s1.started_at)
        union all
        select c.id, ${facts(sql`coalesce(c.signed_up_at, c.created_at)`)},
          'tenure:' || ${trigger.at}::text, null::bigint, ${now}
        from customers c
        where ((c.signed_up_at > ${earliest} and c.signed_up_at <= ${latest})
            or (c.signed_up_at is null and c.created_at > ${earliest} and c.created_at <= ${latest}))
          and not exists (select 1 from subscriptions s2 where s2.customer_id = c.id and s2.started_at is not null)`);
    }

    case "low_engagement": {
      const names = trigger.activity ? sql` and e.name = any(${textList(trigger.activity)})` : sql``;
      return candidates(sql`
        select r.customer_id, jsonb_build_object(
            'activityCount', r.score, 'window', ${trigger.window}::text,
            'percentRank', round(r.pr::numeric, 3), 'percentile', ${trigger.percentile}::numeric) as facts,
          'low_engagement:' || to_char((${now} at time zone 'UTC')::date, 'IYYY-"W"IW') as trigger_key,
          null::bigint as trigger_event_id, ${now} as sort_at
        from (
          select sc.customer_id, sc.score, percent_rank() over (order by sc.score) as pr
          from (
            select c.id as customer_id, (
                select count(*) from events e
                where e.customer_id = c.id and e.type = any(${activity})
                  and e.occurred_at > ${now} - ${duration(trigger.window)} and e.occurred_at <= ${now}${names}) as score
            from customers c
            where exists (select 1 from subscriptions sl where sl.customer_id = c.id and sl.status in ('active', 'trialing', 'past_due'))
          ) sc
        ) r
        where r.pr < ${trigger.percentile}::numeric`);
    }
  }
}

/**
 * How old an event may be and still start a sequence. Older ones (a backfill of last year's
 * history through /v1/import, a replayed export) are stored and count everywhere else — exit
 * goals, conditions, activity, the timeline — but a moment that long gone is not one to act on
 * now: a year of imported logins must not mail every customer who once paused a "welcome back".
 * A week covers the late deliveries that are normal: Stripe retries a webhook for three days.
 */
export const EVENT_TRIGGER_MAX_AGE = "P7D";

/**
 * The time before which an event cannot start a sequence, for leaving old events out of the
 * statements altogether in JavaScript (a backfill's groups then run none). A day earlier than
 * EVENT_TRIGGER_MAX_AGE, for the time zone PostgreSQL counts days in: the statement checks the
 * age again, exactly.
 */
export function oldestTriggeringTime(now: Date): number {
  return subtractDuration(now, EVENT_TRIGGER_MAX_AGE).getTime() - DAY_MS;
}

/** Set against the pause's length at `now`: a month or a year of another length, a daylight-saving hour, any time zone's day. */
const PAUSE_MARGIN_MS = 4 * DAY_MS;

/**
 * A test on an event in hand that sets aside, before any statement, events the trigger's statement
 * would refuse: never one it would accept. `returned_after_pause`: an activity whose customer was
 * last active (before the event's group was stored) inside the pause cannot end a silence. The
 * pause is shortened by a margin and the instants kept apart by a millisecond, so the boundaries
 * stay with the statement's exact probe; so do the events whose customer's activity is unknown
 * (the sweep's), never seen, or later than the event (history arriving late).
 */
export function setAsideBeforeMatching(trigger: EventTrigger, now: Date): ((event: SelectedEvent) => boolean) | undefined {
  if (trigger.type !== "returned_after_pause") return undefined;
  const shortest = now.getTime() - subtractDuration(now, trigger.min_pause).getTime() - PAUSE_MARGIN_MS;
  if (shortest <= 0) return undefined;
  return (event) => {
    const before = event.customerLastSeenBefore;
    // A resumed subscription starts it whatever the activity (the statement's other way in).
    if (event.name === "subscription_resumed" || before == null) return false;
    if (event.source !== "segment" || !(ACTIVITY_TYPES as readonly string[]).includes(event.type)) return false;
    const silence = event.occurredAt.getTime() - before.getTime();
    return silence >= 1 && silence <= shortest;
  };
}

/** Candidates among selected events, for the event-driven triggers. */
export function eventCandidatesSql(trigger: EventTrigger, selection: EventSelection, scope: SqlScope): SQL {
  const base = (filter: SQL, facts: SQL = sql`'{}'::jsonb`) => sql`
    select e.customer_id, jsonb_build_object(
        'event', e.name, 'eventId', e.id, 'occurredAt', e.occurred_at, 'properties', e.properties) || ${facts} as facts,
      'event:' || e.id as trigger_key, e.id as trigger_event_id, e.occurred_at as sort_at
    from ${selectedEventsSql(selection)}
    where e.customer_id is not null
      and e.occurred_at > ${scope.nowSql()} - ${duration(EVENT_TRIGGER_MAX_AGE)} and ${filter}`;
  switch (trigger.type) {
    case "event":
      return base(sql`e.name = ${trigger.name} and ${propertiesSql(trigger.where, sql`e.properties`, scope)}`);
    case "payment_failed":
    case "data_exported":
    case "downgraded":
      return base(sql`e.name = ${trigger.event}`);
    case "returned_after_pause": {
      const gap = duration(trigger.min_pause);
      // The selected events' time range as constants too, so that the silence's probe is planned
      // for the gap's months alone rather than for every month (planning every month's partition
      // cost more than running the probe). Computed here: `timestamptz - interval` is only stable
      // (it depends on the session's time zone), and the planner prunes partitions by immutable
      // bounds alone. A day wider than the gap, which covers any time zone's day; the probe's own
      // conditions stay exact.
      const range = selectedRange(selection);
      const silenceBounds = range
        ? sql` and p.occurred_at >= ${new Date(subtractDuration(range.from, trigger.min_pause).getTime() - DAY_MS).toISOString()}::timestamptz and p.occurred_at <= ${range.to.toISOString()}::timestamptz`
        : sql``;
      // Either the subscription resumed after a long enough pause, or the customer was active
      // again after a long enough silence (and had been active before it: a return, not a first visit).
      return base(
        sql`(
          (e.name = 'subscription_resumed'
            and coalesce((e.properties ->> 'pausedSeconds')::numeric, 0) >= extract(epoch from ${gap}))
          or (e.type = any(${activity}) and e.source = 'segment'
            -- Active before the gap: their first activity on record (one row by key) rather than a
            -- probe of every month of events, which cost more to plan than the rest of the statement.
            and exists (select 1 from customer_activity a where a.customer_id = e.customer_id and a.first_seen_at < e.occurred_at - ${gap})
            -- And silent through it: reads only the gap's month or two of events (the partitions
            -- outside it are skipped as it runs).
            and not exists (select 1 from events p where p.customer_id = e.customer_id and p.type = any(${activity})
              and p.source = 'segment' and p.id <> e.id and p.occurred_at >= e.occurred_at - ${gap} and p.occurred_at <= e.occurred_at${silenceBounds})))`,
        sql`jsonb_build_object('minPause', ${trigger.min_pause}::text)`,
      );
    }
  }
}
