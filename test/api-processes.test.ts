import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { col, queryRows } from "../src/db/index.js";
import { basic, type Harness, startHarness, WRITE_KEY } from "./helpers/harness.js";
import { allGone, descendants } from "./helpers/process-tree.js";
import { childEnv, spawnRekindle } from "./helpers/processes.js";
import { until } from "./helpers/wait.js";
import { present } from "./helpers/present.js";

/** `rekindle api` with API_PROCESSES=2: one port, two processes taking requests, as ops run it on a machine with two cores. */
describe("several API processes sharing one port", () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness();
  });
  afterAll(async () => {
    await harness.stop();
  });

  const apiProcesses = (pid: number) => descendants(pid).filter((p) => p.ppid === pid && p.name === "node");
  const send = (url: string, n: number) =>
    fetch(`${url}/v1/batch`, {
      method: "POST",
      headers: { authorization: basic(WRITE_KEY), "content-type": "application/json", connection: "close" },
      body: JSON.stringify({ batch: Array.from({ length: 10 }, (_, k) => ({ type: "track", event: "Logged In", userId: `p${n}`, messageId: `p-${n}-${k}` })) }),
    });

  it("serves from every process, replaces one killed -9, and stops them all on SIGTERM", { timeout: 120_000 }, async () => {
    const api = spawnRekindle("api", childEnv(harness, { API_PROCESSES: "2", HOST: "127.0.0.1", PORT: "0", LOG_LEVEL: "info" }));
    const supervisor = present(api.child.pid, "api.child.pid");
    try {
      // Both listen on the same port (PORT=0 gives every process of a cluster the same one).
      const ports = await until(async () => [...api.output().matchAll(/listening on (http:\/\/127\.0\.0\.1:\d+)/g)].map((m) => m[1]), (urls) => urls.length === 2 || !api.alive(), 90_000);
      expect(new Set(ports).size).toBe(1);
      const url = present(ports[0], "ports[0]");
      expect(apiProcesses(supervisor)).toHaveLength(2);
      const first = apiProcesses(supervisor).map((p) => p.pid);

      // Requests on fresh connections are spread over both processes, and every one is stored.
      const responses = await Promise.all(Array.from({ length: 40 }, (_, n) => send(url, n)));
      expect(responses.map((r) => r.status)).toEqual(responses.map(() => 200));
      const [stored] = await queryRows(harness.deps.db, z.object({ n: col.int }), sql`select count(*)::int as n from events where message_id like 'p-%'`);
      expect(stored?.n).toBe(400);

      // One process dies (what it had in hand dies with it): the port keeps answering, and another process takes its place.
      process.kill(present(first[0], "first[0]"), "SIGKILL");
      await until(async () => api.output(), (output) => output.includes("an API process died"), 10_000);
      const after = await Promise.all(Array.from({ length: 10 }, (_, n) => send(url, 100 + n)));
      expect(after.map((r) => r.status)).toEqual(after.map(() => 200));
      await until(async () => apiProcesses(supervisor).map((p) => p.pid), (pids) => pids.length === 2 && !pids.includes(present(first[0], "first[0]")), 15_000);

      const all = [supervisor, ...apiProcesses(supervisor).map((p) => p.pid)];
      api.child.kill("SIGTERM");
      expect(await api.exited).toBe(0);
      await allGone(all);
    } finally {
      if (api.alive()) api.child.kill("SIGKILL");
      for (const p of apiProcesses(supervisor)) process.kill(p.pid, "SIGKILL");
    }
  });

  it("stops with the exit code of processes that cannot start, instead of starting them again and again", { timeout: 120_000 }, async () => {
    const api = spawnRekindle("api", childEnv(harness, { API_PROCESSES: "2", PORT: "0", DATABASE_URL: "postgres://postgres@127.0.0.1:1/nowhere" }));
    // 69 (EX_UNAVAILABLE): what a single process says when its database cannot be reached.
    expect(await api.exited).toBe(69);
    expect(api.output()).toContain("could not start");
  });
});
