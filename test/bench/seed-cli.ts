/**
 * `npm run bench:seed -- --customers 1000000 [--seed 42]`: drops and recreates the bench database
 * (BENCH_DATABASE, default `rekindle_bench`, on the server of TEST_DATABASE_URL) and fills it.
 */
import { parseArgs } from "node:util";
import { freshSeededDatabase } from "./bench-database.js";

const { values } = parseArgs({
  options: {
    customers: { type: "string", default: "1000000" },
    seed: { type: "string", default: "42" },
  },
});
const customers = Number(values.customers);
const seedValue = Number(values.seed);
if (!Number.isInteger(customers) || customers < 1) throw new Error("--customers must be a positive integer");
if (!Number.isInteger(seedValue)) throw new Error("--seed must be an integer");

const { url, seeded } = await freshSeededDatabase({ customers, seed: seedValue, now: new Date(), log: (line) => console.log(line) });
console.log(`${url}: ${seeded.customers.toLocaleString("en")} customers, ${seeded.subscriptions.toLocaleString("en")} subscriptions, ` +
  `${seeded.paymentMethods.toLocaleString("en")} cards, ${seeded.events.toLocaleString("en")} events in ${(seeded.ms / 1000).toFixed(1)} s`);
