import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import { BlockList, isIP } from "node:net";
import { Agent, fetch, type Response } from "undici";

/** A destination refused because it is on a private, loopback or link-local network. */
export class DestinationRefusedError extends Error {
  override readonly name = "DestinationRefusedError";
}

const PRIVATE = new BlockList();
for (const [net, bits] of [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10],
  ["127.0.0.0", 8],
  ["169.254.0.0", 16],
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["224.0.0.0", 4],
  ["240.0.0.0", 4],
] as const)
  PRIVATE.addSubnet(net, bits, "ipv4");
for (const [net, bits] of [
  ["::", 128],
  ["::1", 128],
  ["fc00::", 7],
  ["fe80::", 10],
  ["ff00::", 8],
] as const)
  PRIVATE.addSubnet(net, bits, "ipv6");

/** Allowed exceptions: host names and CIDR ranges from WEBHOOK_ALLOW_PRIVATE. */
export interface Allowance {
  hosts: ReadonlySet<string>;
  ranges: BlockList;
}

export function parseAllowance(entries: readonly string[]): Allowance {
  const hosts = new Set<string>();
  const ranges = new BlockList();
  for (const entry of entries) {
    const [address = "", bits] = entry.split("/");
    const family = isIP(address);
    if (family) ranges.addSubnet(address, bits ? Number(bits) : family === 4 ? 32 : 128, family === 4 ? "ipv4" : "ipv6");
    else hosts.add(entry.toLowerCase());
  }
  return { hosts, ranges };
}

function refused(address: string, allowance: Allowance): boolean {
  const family: "ipv4" | "ipv6" = isIP(address) === 6 ? "ipv6" : "ipv4";
  // An IPv4 address mapped into IPv6 (::ffff:127.0.0.1) is judged as the IPv4 address it is.
  const mapped = address.toLowerCase().match(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/)?.[1];
  const [check, checkFamily]: [string, "ipv4" | "ipv6"] = mapped ? [mapped, "ipv4"] : [address, family];
  return PRIVATE.check(check, checkFamily) && !allowance.ranges.check(check, checkFamily);
}

/**
 * fetch for webhook destinations that come from campaign files: private, loopback and link-local
 * addresses are refused, checked on the resolved address at connect time (so a name that
 * resolves to 127.0.0.1 is caught, DNS rebinding included) and on every redirect.
 */
export function guardedFetcher(allowance: Allowance) {
  const agent = new Agent({
    connect: {
      lookup(hostname: string, options: object, callback: (error: Error | null, address: string | LookupAddress[], family?: number) => void) {
        dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
          if (error) return callback(error, []);
          const bad = allowance.hosts.has(hostname.toLowerCase()) ? undefined : addresses.find((a) => refused(a.address, allowance));
          if (bad) return callback(new DestinationRefusedError(`${hostname} resolves to ${bad.address}, a private address`), []);
          if ((options as { all?: boolean }).all) return callback(null, addresses);
          const first = addresses[0];
          if (!first) return callback(Object.assign(new Error(`${hostname} resolves to no address`), { code: "ENOTFOUND" }), []);
          callback(null, first.address, first.family);
        });
      },
    },
  });

  const check = (url: URL) => {
    if (url.protocol !== "http:" && url.protocol !== "https:") throw new DestinationRefusedError(`${url.protocol} is not http(s)`);
    const host = url.hostname.replace(/^\[|\]$/g, "");
    if (isIP(host) && !allowance.hosts.has(host) && refused(host, allowance)) throw new DestinationRefusedError(`${host} is a private address`);
  };

  return async function guardedFetch(input: string, init: { method: string; headers: Record<string, string>; body: string; timeoutMs: number }): Promise<Response> {
    let url = new URL(input);
    const signal = AbortSignal.timeout(init.timeoutMs);
    for (let hop = 0; hop <= 3; hop++) {
      check(url);
      let response: Response;
      try {
        response = await fetch(url, { method: init.method, headers: init.headers, body: init.body, redirect: "manual", dispatcher: agent, signal });
      } catch (error) {
        // undici wraps the lookup's error: bring a refusal back to the surface.
        const cause = (error as { cause?: unknown }).cause;
        if (cause instanceof DestinationRefusedError) throw cause;
        throw error;
      }
      const location = response.headers.get("location");
      if (response.status < 300 || response.status >= 400 || !location) return response;
      await response.body?.cancel();
      url = new URL(location, url);
    }
    throw new DestinationRefusedError("too many redirects");
  };
}
