/**
 * `npm run bench:seed -- --customers 1000000`: a realistic customer base, generated from a fixed
 * seed and loaded with COPY. Times are relative to now, so the starter campaigns find what a
 * real base of that size would give them today:
 *  - segments: new sign-ups (some not activated yet), active, declining (logins thinning out and
 *    stopping 1–6 weeks ago) and dormant customers;
 *  - one subscription each (trialing, active, past_due, paused, canceled, in proportions that
 *    follow the segment), with MRR in three currencies;
 *  - a default card for most, expiries spread over the past half year and the next four years;
 *  - event histories: logins, activation, cancel-page visits, pauses and resumes after a pause.
 * Secondary indexes of the big tables are dropped for the load and built again after it, as a
 * bulk load does; the result is the same schema the migrations made.
 */
import { once } from "node:events";
import { finished } from "node:stream/promises";
import pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
import { present } from "../helpers/present.js";

export interface SeedOptions {
  customers: number;
  seed: number;
  now: Date;
  log?: (line: string) => void;
}

export interface SeedResult {
  customers: number;
  subscriptions: number;
  paymentMethods: number;
  events: number;
  ms: number;
}

const DAY = 86_400_000;
const FIRST = ["Ada", "Bo", "Chen", "Dana", "Eva", "Farid", "Greta", "Hugo", "Ines", "Jonas", "Kim", "Lea", "Maya", "Nils", "Omar", "Priya", "Rosa", "Sven", "Tara", "Yusuf"];
const LAST = ["Andersson", "Berg", "Costa", "Dubois", "Eriksen", "Fischer", "Garcia", "Holm", "Ito", "Jensen", "Khan", "Larsen", "Moreau", "Nowak", "Olsen", "Petrov", "Rossi", "Silva", "Tanaka", "Weber"];
const ZONES = ["America/New_York", "America/Los_Angeles", "Europe/London", "Europe/Stockholm", "Europe/Berlin", "Asia/Tokyo", "Australia/Sydney"];
const PLANS: readonly [string, number][] = [["starter", 900], ["pro", 4900], ["team", 14_900], ["business", 29_900]];
const CURRENCIES = ["USD", "USD", "USD", "EUR", "SEK"];
const BRANDS = ["visa", "visa", "mastercard", "amex"];

/** mulberry32: small, fast, and the same sequence for the same seed everywhere. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

type Segment = "new" | "active" | "declining" | "dormant";

interface Row {
  customer: string;
  activity: string | null;
  subscription: string;
  card: string | null;
  events: string[];
}

const iso = (ms: number) => new Date(ms).toISOString();
const N = "\\N";

/** One customer and everything that hangs off them, as COPY text lines (customer id known in advance). */
function generate(rand: () => number, i: number, customerId: number, now: number): Row {
  const pick = <T>(list: readonly T[]): T => present(list[Math.floor(rand() * list.length)], "a pick from an empty list");
  const between = (from: number, to: number) => from + rand() * (to - from);
  const r = rand();
  const segment: Segment = r < 0.01 ? "new" : r < 0.61 ? "active" : r < 0.76 ? "declining" : "dormant";

  const signedUp = segment === "new" ? now - between(0, 10) * DAY : now - between(segment === "active" ? 30 : 60, 1_100) * DAY;
  const events: string[] = [];
  let k = 0;
  let firstSeen = Infinity;
  const event = (type: string, name: string, at: number, properties: string, source = "segment") => {
    if (source === "segment" && (type === "track" || type === "page" || type === "screen")) firstSeen = Math.min(firstSeen, at);
    events.push(`seed-${i}-${k++}\t${type}\t${name}\t${customerId}\t${properties}\t${source}\t${iso(at)}\t${iso(at)}`);
  };

  // Activation, a day or so after signing up; a third of the newest have not got there yet.
  const activated = segment !== "new" ? rand() < 0.9 : rand() < 0.6;
  const activatedAt = signedUp + between(0.05, 2) * DAY;
  if (activated && activatedAt < now) event("track", "Activated", activatedAt, "{}");

  // Logins: steady for the active, thinning out before stopping for the declining, long gone for the dormant.
  let lastSeen: number | null = null;
  if (segment === "active") {
    lastSeen = now - between(0, 6) * DAY;
    const count = 3 + Math.floor(rand() * 8);
    for (let n = 1; n < count; n++) event("track", "Logged In", lastSeen - between(0, 30) * DAY, "{}");
  } else if (segment === "declining") {
    lastSeen = now - between(8, 45) * DAY;
    const count = 2 + Math.floor(rand() * 5);
    // Squared: most logins early in the 40 days before the last one, fewer towards it.
    for (let n = 1; n < count; n++) event("track", "Logged In", lastSeen - (1 - rand() ** 2) * 40 * DAY, "{}");
  } else if (segment === "dormant") {
    lastSeen = now - between(46, 400) * DAY;
  } else if (activated && activatedAt < now) {
    lastSeen = Math.min(now, activatedAt + between(0, 2) * DAY);
  }
  if (lastSeen !== null) event("track", "Logged In", lastSeen, "{}");

  // The subscription, by segment.
  const s = rand();
  const status =
    segment === "new" ? "trialing"
    : segment === "active" ? (s < 0.93 ? "active" : s < 0.96 ? "past_due" : s < 0.98 ? "paused" : "canceled")
    : segment === "declining" ? (s < 0.8 ? "active" : s < 0.95 ? "canceled" : "paused")
    : s < 0.25 ? "active" : s < 0.3 ? "paused" : "canceled";
  const [plan, mrr] = pick(PLANS);
  const currency = pick(CURRENCIES);
  const started = signedUp + (segment === "new" ? 0 : 14 * DAY);
  let pausedAt: number | null = null;
  let resumedAt: number | null = null;
  let canceledAt: number | null = null;
  if (status === "paused") {
    pausedAt = now - between(1, 60) * DAY;
    event("track", "subscription_paused", pausedAt, "{}", "stripe");
  } else if (status === "canceled") {
    canceledAt = Math.max(started + DAY, (lastSeen ?? now) - between(0, 20) * DAY);
    event("track", "subscription_canceled", canceledAt, "{}", "stripe");
  } else if (status === "active" && segment !== "new" && rand() < 0.03) {
    // Came back from a pause of one to three months.
    const pausedSeconds = Math.round(between(30, 90) * 86_400);
    resumedAt = now - between(0.5, 120) * DAY;
    event("track", "subscription_paused", resumedAt - pausedSeconds * 1000, "{}", "stripe");
    event("track", "subscription_resumed", resumedAt, `{"pausedSeconds": ${pausedSeconds}}`, "stripe");
  }
  // A visit to the cancel page in the last week, for some of those who still pay.
  if ((status === "active" || status === "trialing") && rand() < 0.015) {
    event("page", "Cancel", now - between(0, 7) * DAY, `{"path": "/account/cancel", "url": "https://app.example.com/account/cancel"}`);
  }

  const first = pick(FIRST);
  const last = pick(LAST);
  const l = rand();
  const locale = l < 0.1 ? "sv-SE" : l < 0.15 ? "de-DE" : l < 0.2 ? N : "en-US";
  const customer = [
    `u${i}`,
    `${first.toLowerCase()}.${last.toLowerCase()}.${i}@example.com`,
    `${first} ${last}`,
    locale,
    pick(ZONES),
    status === "canceled" ? N : plan,
    iso(signedUp),
    `{"company": "${last} ${i % 97 === 0 ? "Group" : "AB"}", "seats": ${1 + Math.floor(rand() * 50)}}`,
    iso(signedUp),
    iso(lastSeen ?? signedUp),
  ].join("\t");
  const subscription = [
    customerId,
    `sub_${i}`,
    status,
    plan,
    status === "canceled" ? 0 : currency === "SEK" ? mrr * 10 : mrr,
    currency,
    iso(started),
    segment === "new" ? iso(signedUp + 14 * DAY) : N,
    iso(now + between(1, 30) * DAY),
    pausedAt === null ? N : iso(pausedAt),
    resumedAt === null ? N : iso(resumedAt),
    canceledAt === null ? N : iso(canceledAt),
    iso(started),
    iso(canceledAt ?? pausedAt ?? resumedAt ?? started),
  ].join("\t");

  // A default card for most: expiries from six months ago to four years ahead.
  let card: string | null = null;
  if (rand() < 0.85) {
    const today = new Date(now);
    const offset = Math.floor(between(-6, 48));
    const month = today.getUTCMonth() + offset;
    const year = today.getUTCFullYear() + Math.floor(month / 12);
    card = [customerId, `pm_${i}`, pick(BRANDS), String(1000 + Math.floor(rand() * 9000)), ((month % 12) + 12) % 12 + 1, year, iso(started), iso(started)].join("\t");
  }
  const activity = lastSeen === null ? null : `${customerId}\t${iso(lastSeen)}\t${iso(Math.min(firstSeen, lastSeen))}`;
  return { customer, activity, subscription, card, events };
}

/** Drops a table's secondary indexes and foreign keys; returns the statements that make them again. */
async function dropForLoad(client: pg.Client, table: string): Promise<string[]> {
  const { rows: indexes } = await client.query<{ name: string; def: string }>(
    `select i.indexname as name, i.indexdef as def from pg_indexes i
     where i.schemaname = current_schema() and i.tablename = $1
       and not exists (select 1 from pg_constraint c where c.conname = i.indexname)`,
    [table],
  );
  const { rows: keys } = await client.query<{ name: string; def: string }>(
    `select conname as name, pg_get_constraintdef(oid) as def from pg_constraint where conrelid = $1::regclass and contype = 'f'`,
    [table],
  );
  for (const key of keys) await client.query(`alter table ${table} drop constraint ${key.name}`);
  for (const index of indexes) await client.query(`drop index ${index.name}`);
  // A partitioned table's index is described `ON ONLY` the parent; made again, it must reach every partition.
  return [...indexes.map((index) => index.def.replace(" ON ONLY ", " ON ")), ...keys.map((key) => `alter table ${table} add constraint ${key.name} ${key.def}`)];
}

/** A COPY … FROM STDIN on a connection of its own, written to with backpressure. */
async function copyStream(url: string, statement: string) {
  const client = new pg.Client({ connectionString: url, application_name: "rekindle-bench-seed" });
  await client.connect();
  await client.query("set synchronous_commit = off");
  const stream = client.query(copyFrom(statement));
  return {
    async write(chunk: string) {
      if (chunk && !stream.write(chunk)) await once(stream, "drain");
    },
    async end() {
      stream.end();
      await finished(stream);
      await client.end();
    },
  };
}

/** Loads the customer base into an empty, migrated database. */
export async function seed(url: string, options: SeedOptions): Promise<SeedResult> {
  const log = options.log ?? (() => {});
  const started = performance.now();
  const client = new pg.Client({ connectionString: url, application_name: "rekindle-bench-seed" });
  await client.connect();
  try {
    const [{ n }] = (await client.query<{ n: string }>("select count(*) as n from customers")).rows as [{ n: string }];
    if (Number(n) > 0) throw new Error("the database already has customers: seed an empty one");
    await client.query("set maintenance_work_mem = '512MB'");
    await client.query("set synchronous_commit = off");

    const now = options.now.getTime();
    const count = options.customers;
    // Customers first: their ids (an identity column, one COPY) are the next `count` values.
    const [{ next }] = (await client.query<{ next: string }>("select coalesce(max(id), 0) + 1 as next from customers")).rows as [{ next: string }];
    const base = Number(next);
    const rebuild: string[] = [];
    for (const table of ["customers", "customer_activity", "subscriptions", "payment_methods", "events"]) rebuild.push(...(await dropForLoad(client, table)));

    // events is partitioned by month: every month the generated history spans (three years and
    // some) needs its partition before COPY can route rows into it.
    await client.query(
      "select events_ensure_partition(m::date) from generate_series($1::timestamptz - interval '4 years', $1::timestamptz + interval '2 months', interval '1 month') as m",
      [iso(now)],
    );

    // One pass over the generator feeds five COPYs at once, each on its own connection.
    let t = performance.now();
    const streams = await Promise.all([
      copyStream(url, "copy customers (external_id, email, name, locale, timezone, plan, signed_up_at, traits, created_at, updated_at) from stdin"),
      copyStream(url, "copy customer_activity (customer_id, last_seen_at, first_seen_at) from stdin"),
      copyStream(url, "copy subscriptions (customer_id, external_id, status, plan, mrr_minor, currency, started_at, trial_ends_at, current_period_end, paused_at, resumed_at, canceled_at, created_at, updated_at) from stdin"),
      copyStream(url, "copy payment_methods (customer_id, external_id, brand, last4, exp_month, exp_year, created_at, updated_at) from stdin"),
      copyStream(url, "copy events (message_id, type, name, customer_id, properties, source, occurred_at, received_at) from stdin"),
    ]);
    const rand = prng(options.seed);
    const BATCH = 2_000;
    for (let from = 0; from < count; from += BATCH) {
      const parts = ["", "", "", "", ""];
      for (let i = from; i < Math.min(count, from + BATCH); i++) {
        const row = generate(rand, i, base + i, now);
        parts[0] += `${row.customer}\n`;
        if (row.activity) parts[1] += `${row.activity}\n`;
        parts[2] += `${row.subscription}\n`;
        if (row.card) parts[3] += `${row.card}\n`;
        for (const line of row.events) parts[4] += `${line}\n`;
      }
      await Promise.all(streams.map((stream, n) => stream.write(parts[n] ?? "")));
    }
    await Promise.all(streams.map((stream) => stream.end()));
    const [{ first, last }] = (await client.query<{ first: string; last: string }>("select min(id) as first, max(id) as last from customers")).rows as [{ first: string; last: string }];
    if (Number(first) !== base || Number(last) !== base + count - 1) throw new Error(`customer ids are not contiguous (${first}..${last})`);
    log(`generated and copied in ${Math.round(performance.now() - t)} ms`);

    t = performance.now();
    for (const statement of rebuild) await client.query(statement);
    log(`indexes and foreign keys rebuilt in ${Math.round(performance.now() - t)} ms`);
    t = performance.now();
    // As after any bulk load: hint bits set, tuples frozen, the visibility map and statistics made,
    // which autovacuum would otherwise do later, in the middle of whatever runs then.
    await client.query("vacuum (freeze, analyze)");
    log(`vacuum (freeze, analyze) in ${Math.round(performance.now() - t)} ms`);

    const counts = (await client.query<{ customers: string; subscriptions: string; payment_methods: string; events: string }>(
      `select (select count(*) from customers) as customers, (select count(*) from subscriptions) as subscriptions,
              (select count(*) from payment_methods) as payment_methods, (select count(*) from events) as events`,
    )).rows[0];
    if (!counts) throw new Error("counting the seeded rows returned no row");
    return {
      customers: Number(counts.customers),
      subscriptions: Number(counts.subscriptions),
      paymentMethods: Number(counts.payment_methods),
      events: Number(counts.events),
      ms: Math.round(performance.now() - started),
    };
  } finally {
    await client.end();
  }
}
