import { type SQL, sql } from "drizzle-orm";

/** A timestamp as ISO-8601 text in UTC, whatever the database session's time zone (and whatever the driver would make of a timestamp). */
export const isoSql = (expr: SQL) => sql`to_char((${expr}) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/** A date as `YYYY-MM-DD` text. */
export const dateSql = (expr: SQL) => sql`to_char(${expr}, 'YYYY-MM-DD')`;
