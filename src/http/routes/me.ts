import type { FastifyInstance } from "fastify";
import { ABILITIES, type Ability, type AnswerOf, type Role } from "../../api/index.js";
import { principalOf } from "../access.js";

/** `GET /api/me`: who the key belongs to, its role, and what it may do. Any valid key may ask. */
export function meRoutes(app: FastifyInstance): void {
  const may = (role: Role): Record<Ability, boolean> => {
    const entries = Object.entries(ABILITIES).map(([ability, route]) => {
      const [method, url] = route.split(" ");
      const found = app.routeList.find((r) => r.method === method && r.url === url);
      return [ability, found !== undefined && (role === "ops" || (found.roles ?? []).includes(role))] as const;
    });
    return Object.fromEntries(entries) as Record<Ability, boolean>;
  };

  app.get("/api/me", { config: { roles: ["ingest", "support", "marketer"] } }, async (request) => {
    const principal = principalOf(request);
    return { name: principal.name, role: principal.role, may: may(principal.role) } satisfies AnswerOf<"GET /api/me">;
  });
}
