import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { resolve } from "node:path";

/** One process as Linux's /proc shows it. */
export interface ProcessInfo {
  pid: number;
  ppid: number;
  /** The executable's name (`node`, `sh`, `redis-server`). */
  name: string;
  /** R, S, D, Z (zombie: exited, waiting for its parent to collect it)... */
  state: string;
}

function info(pid: number): ProcessInfo | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The name is in parentheses and may itself hold spaces or parentheses.
    const open = stat.indexOf("(");
    const close = stat.lastIndexOf(")");
    const [state = "", ppid] = stat.slice(close + 2).split(" ");
    return { pid, ppid: Number(ppid), name: stat.slice(open + 1, close), state };
  } catch {
    return undefined;
  }
}

function all(): ProcessInfo[] {
  return readdirSync("/proc")
    .filter((entry) => /^\d+$/.test(entry))
    .map((entry) => info(Number(entry)))
    .filter((p): p is ProcessInfo => p !== undefined);
}

/** Running: it exists and is not a zombie (an exited process its parent has not collected yet). */
export function running(pid: number): boolean {
  const process = info(pid);
  return process !== undefined && process.state !== "Z";
}

/** Every running process below `pid`, children first. */
export function descendants(pid: number): ProcessInfo[] {
  const processes = all();
  const found: ProcessInfo[] = [];
  let parents = new Set([pid]);
  while (parents.size > 0) {
    const children = processes.filter((p) => parents.has(p.ppid) && p.state !== "Z");
    found.push(...children);
    parents = new Set(children.map((p) => p.pid));
  }
  return found;
}

/** The redis-server processes working in `<dataDir>/redis` (the directory a local Redis is started in), wherever their parent is. */
export function redisServersOf(dataDir: string): ProcessInfo[] {
  const directory = resolve(dataDir, "redis");
  return all().filter((p) => {
    if (p.name !== "redis-server" || p.state === "Z") return false;
    try {
      return readlinkSync(`/proc/${p.pid}/cwd`) === directory;
    } catch {
      return false;
    }
  });
}

/** Resolves once none of `pids` runs, or rejects after `timeoutMs` naming those that still do. */
export async function allGone(pids: number[], timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = pids.filter(running);
    if (left.length === 0) return;
    if (Date.now() > deadline) throw new Error(`still running: ${left.map((pid) => `${pid} (${info(pid)?.name})`).join(", ")}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
