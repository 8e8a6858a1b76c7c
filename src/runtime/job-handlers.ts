import { z } from "zod";
import { matchAfterCommit, scanCampaigns, sweepUnmatchedEvents } from "../campaigns/index.js";
import { abandonExpired, applyDueDecisions } from "../cancel-flow/index.js";
import { createSender, dispatchDue } from "../delivery/index.js";
import type { Deps } from "../deps/index.js";
import { maintainEvents } from "../maintenance/index.js";
import type { JobHandlers } from "../queue/index.js";
import type { PeriodicTask } from "../schedule/index.js";
import { durationMs } from "../time/index.js";

const HOUR = 3_600_000;
const MINUTE = 60_000;
/** Events younger than this are left to the immediate match still running for them. */
const SWEEP_SETTLE_MS = 30_000;

/** What each queued job does, bound to this process's dependencies. */
export function createJobHandlers(deps: Deps): JobHandlers {
  const sendMessage = createSender(deps);
  return {
    "send-message": async ({ messageId }, attempt) => {
      const outcome = await sendMessage(messageId, attempt);
      if (outcome.type === "failed") deps.logger.warn({ messageId, ...outcome }, "message failed");
      return outcome;
    },
  };
}

/**
 * How many campaigns the scan task runs at once: SCAN_CONCURRENCY, but never more than a quarter
 * of the process's connections, so that sends (claims and results, two transactions each) always
 * find one; one on the embedded database, which has a single connection.
 */
export function scanLanes(deps: Deps): number {
  if (deps.database.kind === "pglite") return 1;
  return Math.max(1, Math.min(deps.config.campaigns.scanConcurrency, Math.floor(deps.config.database.poolSize / 4)));
}

/** The part of the stored state the next pass reads back: each campaign's time. */
const LastScans = z.record(z.string(), z.object({ ms: z.number() }));

/** One campaign's last scan, kept in the task's state for /metrics. */
interface ScanFigures {
  ms: number;
  enrolled: number;
  exited: number;
  at: string;
}

/**
 * The periodic work of a worker process (scheduled in PostgreSQL, see `Scheduler`): dispatch,
 * scans, the safety sweep and maintenance.
 */
export function periodicTasks(deps: Deps): PeriodicTask[] {
  return [
    {
      // Hands messages falling due soon to the send queue; returns expired leases to the outbox.
      name: "dispatch",
      everyMs: durationMs(deps.config.delivery.dispatchInterval),
      run: async () => {
        const result = await dispatchDue(deps);
        if (result.dispatched > 0 || result.requeued > 0) deps.logger.debug(result, "dispatched");
        return result;
      },
    },
    {
      // Evaluates every scan-triggered campaign and every exit condition.
      name: "scan-campaigns",
      everyMs: durationMs(deps.config.campaigns.scanInterval),
      run: async ({ state, setState }) => {
        const now = deps.clock.now();
        // The last pass's times, when the stored state has them (a pass that failed stored none).
        const last = LastScans.safeParse(state.campaigns).data ?? {};
        const scans = await scanCampaigns(deps.db, deps.campaigns.running(), now, {
          defaultTimeZone: deps.config.delivery.defaultTimeZone,
          concurrency: scanLanes(deps),
          previousMs: Object.fromEntries(Object.entries(last).map(([id, f]) => [id, f.ms])),
        });
        const figures: Record<string, ScanFigures> = {};
        for (const { campaignId, ms, enrolled, exited } of scans) {
          figures[campaignId] = { ms, enrolled, exited, at: now.toISOString() };
          if (enrolled > 0 || exited > 0) deps.logger.info({ campaign: campaignId, enrolled, exited }, "scan");
        }
        // The last scan of each campaign, for /metrics (whichever worker ran it).
        setState({ ...state, campaigns: figures });
        return Object.fromEntries(scans.map(({ campaignId, enrolled, exited }) => [campaignId, { enrolled, exited }]));
      },
    },
    {
      // Matches the events whose immediate match never finished (a process died between commit and
      // match, matching failed past its retries, anonymous events attached to a customer).
      name: "sweep-events",
      everyMs: MINUTE,
      run: async () => {
        const now = deps.clock.now();
        const before = new Date(now.getTime() - SWEEP_SETTLE_MS);
        const { enrolled, exited, events } = await sweepUnmatchedEvents(deps.db, deps.campaigns, before, now, deps.config.delivery.defaultTimeZone);
        const total = [...enrolled.values()].reduce((sum, list) => sum + list.length, 0);
        if (total > 0) deps.logger.warn({ enrolled: total }, "the sweep enrolled customers the immediate match missed");
        return { events, enrolled: total, exited: [...exited.values()].reduce((a, b) => a + b, 0) };
      },
    },
    {
      // Closes cancel flows whose link expired, and applies their decisions still due (retries).
      name: "cancel-flow",
      everyMs: 30_000,
      run: async () => {
        const now = deps.clock.now();
        const abandoned = await abandonExpired(deps.db, now);
        await matchAfterCommit(deps, abandoned.map((e) => ({ ...e, source: "rekindle" })));
        const applied = await applyDueDecisions({ db: deps.db, config: deps.config, stripe: deps.stripe, logger: deps.logger }, now);
        return { abandoned: abandoned.length, ...applied };
      },
    },
    {
      // The events table's upkeep: the coming months' partitions created ahead, months past
      // EVENT_RETENTION dropped whole, messageIds past EVENT_DEDUPE_WINDOW forgotten. (Still named
      // for what it did before partitioning, so the scheduled task and its /metrics keep their name.)
      name: "prune-events",
      everyMs: HOUR,
      run: async () => {
        const now = deps.clock.now();
        const result = await maintainEvents(deps.db, now, { retention: deps.config.eventRetention, dedupeWindow: deps.config.eventDedupeWindow });
        if (result.created.length > 0) deps.logger.info({ months: result.created }, "created event partitions ahead");
        if (result.dropped.length > 0) deps.logger.info({ partitions: result.dropped, retention: deps.config.eventRetention }, "dropped event partitions past retention");
        if (result.forgotten > 0) deps.logger.debug({ forgotten: result.forgotten }, "forgot messageIds past the dedupe window");
        return { ...result };
      },
    },
  ];
}
