import { z } from "zod";

/** True when the runtime knows the IANA zone (`Europe/Paris`, `UTC`). */
export function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat("en", { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/** An IANA time zone name, checked against the runtime's zone data. */
export const TimeZone = z.string().max(64).refine(isTimeZone, "expected an IANA time zone such as Europe/Stockholm");
export type TimeZone = z.infer<typeof TimeZone>;
