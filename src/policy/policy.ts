import { Temporal } from "temporal-polyfill";
import { z } from "zod";
import { IsoDuration } from "../time/index.js";

/** `2/P1D`: at most 2 emails per rolling day. */
export const CapRule = z
  .string()
  .regex(/^\d+\/P/, "expected <count>/<duration>, e.g. 2/P1D")
  .transform((text) => {
    const [count, window] = text.split("/") as [string, string];
    return { count: Number(count), window };
  })
  .refine((rule) => rule.count >= 1 && IsoDuration.safeParse(rule.window).success, "expected <count>/<duration>, e.g. 2/P1D");
export type CapRule = z.infer<typeof CapRule>;

/**
 * A cap's window in milliseconds, counted back from `now` in UTC (P1M is as long as the month
 * before). Remembered per window and UTC day: it is asked for every email a worker claims, and
 * Temporal's parsing and arithmetic cost more than the rest of the policy together.
 */
const windowLengths = new Map<string, number>();
function windowMs(window: string, now: Date): number {
  const day = now.toISOString().slice(0, 10);
  const key = `${window}@${day}`;
  let ms = windowLengths.get(key);
  if (ms === undefined) {
    const to = Temporal.PlainDateTime.from(`${day}T00:00:00`);
    ms = to.since(to.subtract(Temporal.Duration.from(window))).total({ unit: "milliseconds" });
    if (windowLengths.size > 100) windowLengths.clear();
    windowLengths.set(key, ms);
  }
  return ms;
}

/**
 * When the frequency cap next allows an email, given the recent counted sends (any order):
 * for each rule, if the window already holds `count` sends, the earliest time is when the
 * `count`-th most recent one leaves it. Returns `now` when sending is allowed now.
 */
export function capAllowsAt(sends: readonly Date[], rules: readonly CapRule[], now: Date): Date {
  const recent = [...sends].sort((a, b) => b.getTime() - a.getTime());
  let allowed = now.getTime();
  for (const rule of rules) {
    const ms = windowMs(rule.window, now);
    const inWindow = recent.filter((at) => at.getTime() > now.getTime() - ms);
    // The window holds `count` sends when the count-th most recent is in it.
    const countth = inWindow[rule.count - 1];
    if (countth) allowed = Math.max(allowed, countth.getTime() + ms);
  }
  return new Date(allowed);
}

/** How many more emails the cap allows right now. */
export function capRemaining(sends: readonly Date[], rules: readonly CapRule[], now: Date): number {
  return Math.min(...rules.map((rule) => rule.count - sends.filter((at) => at.getTime() > now.getTime() - windowMs(rule.window, now)).length), Number.POSITIVE_INFINITY);
}

/** A daily send window in local time, e.g. 09:00–18:00, optionally on some weekdays only (1 = Monday). */
export interface SendWindow {
  start: string;
  end: string;
  days: readonly number[] | undefined;
}

export const SendWindowText = z
  .string()
  .regex(/^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-4]):[0-5]\d$/, "expected HH:MM-HH:MM, e.g. 09:00-18:00")
  .refine((text) => text.slice(0, 5) < text.slice(6), "the window must end after it starts (09:00-18:00)");

const DAY_NAMES = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
export const SendDays = z
  .string()
  .transform((text) => text.toLowerCase().split(",").map((d) => d.trim()).filter(Boolean))
  .pipe(
    z
      .array(z.string())
      .transform((names, ctx) => {
        const days = new Set<number>();
        for (const name of names) {
          const [first = "", last = first] = name.split("-");
          const from = DAY_NAMES.indexOf(first);
          const to = DAY_NAMES.indexOf(last);
          if (from < 0 || to < 0) {
            ctx.addIssue({ code: "custom", message: `unknown day "${name}"; use mon, tue, … sun, or ranges like mon-fri` });
            return z.NEVER;
          }
          for (let d = from; ; d = (d + 1) % 7) {
            days.add(d + 1);
            if (d === to) break;
          }
        }
        return [...days].sort();
      }),
  );

/**
 * The first instant at or after `at` inside the send window, in time zone `timeZone`. Calendar
 * and daylight-saving arithmetic is Temporal's: on a day whose 09:00 does not exist, the next
 * valid instant is used.
 */
export function nextOpening(at: Date, timeZone: string, window: SendWindow): Date {
  let local = Temporal.Instant.fromEpochMilliseconds(at.getTime()).toZonedDateTimeISO(timeZone);
  for (let i = 0; i < 9; i++) {
    const day = local.toPlainDate();
    const allowedDay = !window.days || window.days.includes(day.dayOfWeek);
    const open = day.toZonedDateTime({ timeZone, plainTime: Temporal.PlainTime.from(window.start) });
    const close =
      window.end === "24:00"
        ? day.add({ days: 1 }).toZonedDateTime({ timeZone, plainTime: Temporal.PlainTime.from("00:00") })
        : day.toZonedDateTime({ timeZone, plainTime: Temporal.PlainTime.from(window.end) });
    if (allowedDay) {
      if (Temporal.ZonedDateTime.compare(local, open) < 0) return new Date(open.epochMilliseconds);
      if (Temporal.ZonedDateTime.compare(local, close) < 0) return new Date(local.epochMilliseconds);
    }
    local = day.add({ days: 1 }).toZonedDateTime({ timeZone, plainTime: Temporal.PlainTime.from("00:00") });
  }
  return at;
}
