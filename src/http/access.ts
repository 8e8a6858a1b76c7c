import { createHash, randomBytes } from "node:crypto";
import { and, desc, eq, isNull, sql } from "drizzle-orm";
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { Role } from "../api/index.js";
import { apiKeys, auditLog, type Db } from "../db/index.js";
import type { Deps } from "../deps/index.js";
import { basicUsername, bearerToken, KeyRing, unauthorized } from "./auth.js";
import { aOrAn } from "../words/index.js";
import { HttpError } from "./http-error.js";

/** The roles and what each may do are the API's (src/api/access.ts); the stored role is the same enum. */
export { ROLES, type Role } from "../api/index.js";

export interface Principal {
  role: Role;
  /** For the audit log and logs: never the key. */
  name: string;
}

declare module "fastify" {
  interface FastifyContextConfig {
    /** Roles allowed on this route (ops always is). Every /api route must say. */
    roles?: readonly Role[];
  }
  interface FastifyRequest {
    principal?: Principal;
  }
}

const digest = (key: string) => createHash("sha256").update(key).digest("hex");

/** A new key: shown once; only its digest is kept. */
export async function createApiKey(db: Db, input: { name: string; role: Role }, actor: string, now: Date): Promise<{ id: number; key: string; prefix: string }> {
  const key = `rk_${input.role}_${randomBytes(24).toString("base64url")}`;
  const prefix = key.slice(0, input.role.length + 10);
  return db.transaction(async (tx) => {
    const [row] = await tx.insert(apiKeys).values({ name: input.name, role: input.role, digest: digest(key), prefix, createdBy: actor, createdAt: now }).returning({ id: apiKeys.id });
    if (!row) throw new Error("inserting an API key returned no row");
    await tx.insert(auditLog).values({ actor, action: "key.create", targetType: "api_key", targetId: String(row.id), after: { name: input.name, role: input.role, prefix }, at: now });
    return { id: row.id, key, prefix };
  });
}

export async function revokeApiKey(db: Db, id: number, actor: string, now: Date): Promise<boolean> {
  return db.transaction(async (tx) => {
    const rows = await tx.update(apiKeys).set({ revokedAt: now, revokedBy: actor }).where(and(eq(apiKeys.id, id), isNull(apiKeys.revokedAt))).returning({ name: apiKeys.name, role: apiKeys.role });
    if (rows.length > 0) await tx.insert(auditLog).values({ actor, action: "key.revoke", targetType: "api_key", targetId: String(id), before: rows[0], at: now });
    return rows.length > 0;
  });
}

/** The keys, newest first, without their digests: `GET /api/keys` and `rekindle keys list`. */
export async function listApiKeys(db: Db) {
  return (await db.select().from(apiKeys).orderBy(desc(apiKeys.createdAt))).map((k) => ({
    id: k.id,
    name: k.name,
    role: k.role,
    prefix: k.prefix,
    createdBy: k.createdBy,
    createdAt: k.createdAt,
    lastUsedAt: k.lastUsedAt,
    revokedAt: k.revokedAt,
  }));
}

/** The principal an API key stands for (API_KEYS or the database), or undefined. */
export function keyResolver(deps: Deps): (key: string) => Promise<Principal | undefined> {
  const configured = new KeyRing(deps.config.apiKeys, "api-key");
  return async (key) => {
    const name = configured.match(key);
    if (name) return { role: "ops", name };
    const [row] = await deps.db
      .select({ id: apiKeys.id, name: apiKeys.name, role: apiKeys.role })
      .from(apiKeys)
      .where(and(eq(apiKeys.digest, digest(key)), isNull(apiKeys.revokedAt)));
    if (!row) return undefined;
    void deps.db.update(apiKeys).set({ lastUsedAt: deps.clock.now() }).where(eq(apiKeys.id, row.id)).catch(() => {});
    return { role: row.role, name: `key:${row.id}:${row.name}` };
  };
}

/** Paths where every route must declare its roles: the REST API and the metrics. */
export const guardedPath = (url: string): boolean => /^\/(api|metrics)(\/|$)/i.test(url);

/**
 * Access is decided by the route that matched, never by the URL's spelling: a route that declares
 * `config.roles` admits a principal of one of them (ops always), everyone else gets 401/403
 * before the body is read. A route under /api or /metrics that declares no roles cannot be
 * registered at all: the server refuses to start, so a forgotten declaration fails closed.
 * Bearer: an API key (the database, or API_KEYS as ops); Basic: a write key, as `ingest`.
 */
export function installAccess(app: FastifyInstance, deps: Deps): void {
  const resolve = keyResolver(deps);
  const writeKeys = new KeyRing(deps.config.writeKeys, "write-key");

  const identify = async (request: FastifyRequest): Promise<Principal> => {
    const bearer = bearerToken(request.headers.authorization);
    if (bearer !== undefined) {
      const principal = await resolve(bearer);
      if (principal) return principal;
      throw unauthorized("Unknown or revoked API key.", "Bearer");
    }
    const basic = basicUsername(request.headers.authorization);
    if (basic !== undefined) {
      const name = writeKeys.match(basic);
      if (name) return { role: "ingest", name };
    }
    throw unauthorized("Send an API key as `Authorization: Bearer <key>`.", "Bearer");
  };

  app.addHook("onRoute", (route) => {
    if (guardedPath(route.url) && !Array.isArray(route.config?.roles)) {
      throw new Error(`${[route.method].flat().join(",")} ${route.url} declares no roles (config.roles): every route under /api and /metrics must say who may use it.`);
    }
  });

  app.addHook("onRequest", async (request) => {
    const roles = request.routeOptions.config?.roles;
    if (roles === undefined) return;
    const principal = await identify(request);
    if (principal.role !== "ops" && !roles.includes(principal.role)) {
      const allowed = [...new Set([...roles, "ops"])].join(" or ");
      throw new HttpError(403, "forbidden", `${aOrAn(principal.role, { sentenceStart: true })} key cannot do this; it needs ${allowed}.`);
    }
    request.principal = principal;
  });
}

/** The principal of an authorised request (set by the access hook). */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new HttpError(401, "unauthorized", "Not authenticated.");
  return request.principal;
}

export const activeKeyCount = (db: Db) => db.select({ n: sql<number>`count(*)::int` }).from(apiKeys).where(isNull(apiKeys.revokedAt));
