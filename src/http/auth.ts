import { createHash, timingSafeEqual } from "node:crypto";
import { HttpError } from "./http-error.js";

/** Who is calling. Roles grow with the access issue; today there are write keys and full-access API keys. */
export interface Principal {
  role: "ingest" | "ops";
  /** For logs and the audit log: never the key itself. */
  name: string;
}

const digest = (value: string) => createHash("sha256").update(value).digest();

/**
 * Checks presented secrets against configured ones in constant time (comparing digests, so the
 * comparison does not leak the length or a matching prefix) and without stopping at the first match.
 */
export class KeyRing {
  readonly #keys: { digest: Buffer; name: string }[];

  constructor(keys: readonly string[], label: string) {
    this.#keys = keys.map((key) => ({ digest: digest(key), name: `${label}:${digest(key).toString("hex").slice(0, 8)}` }));
  }

  match(presented: string): string | undefined {
    const candidate = digest(presented);
    let found: string | undefined;
    for (const key of this.#keys) if (timingSafeEqual(key.digest, candidate)) found = key.name;
    return found;
  }
}

/** The username of an HTTP Basic header (Segment sends the write key as the username). */
export function basicUsername(header: string | undefined): string | undefined {
  const encoded = header?.match(/^Basic\s+([A-Za-z0-9+/=_-]+)\s*$/i)?.[1];
  if (encoded === undefined) return undefined;
  const decoded = Buffer.from(encoded, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  return colon === -1 ? decoded : decoded.slice(0, colon);
}

export function bearerToken(header: string | undefined): string | undefined {
  return header?.match(/^Bearer\s+(\S+)\s*$/i)?.[1];
}

export const unauthorized = (message: string, scheme: "Basic" | "Bearer") =>
  new HttpError(401, "unauthorized", message, [], { "www-authenticate": `${scheme} realm="rekindle"` });
