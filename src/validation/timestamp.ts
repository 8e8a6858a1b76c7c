import { z } from "zod";

/** ISO-8601 date-time with an offset (`2026-11-22T10:00:00Z`), or a date (`2026-11-22`, midnight UTC). */
export const Timestamp = z
  .union([z.iso.datetime({ offset: true }), z.iso.date()], {
    error: "expected an ISO-8601 date-time such as 2026-11-22T10:00:00Z",
  })
  .transform((text) => new Date(text));
export type Timestamp = z.infer<typeof Timestamp>;
