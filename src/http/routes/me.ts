import type { FastifyInstance } from "fastify";
import { principalOf, type Role } from "../access.js";

/**
 * What a person may do, each named by the route that does it: the console shows what the route
 * table admits for the key's role, so the page and the server cannot disagree.
 */
const ABILITIES = {
  campaigns: "GET /api/campaigns",
  campaignFigures: "GET /api/reports/campaigns",
  cancelFlow: "GET /api/reports/cancel-flow",
  campaignPause: "POST /api/campaigns/:id/pause",
  studio: "GET /api/campaigns/:id/steps/:step/preview",
  testSend: "POST /api/campaigns/:id/steps/:step/test-send",
  audience: "GET /api/campaigns/:id/dry-run",
  customers: "GET /api/customers",
  timeline: "GET /api/customers/:id/timeline",
  customerActions: "POST /api/customers/:id/pause",
  suppressions: "POST /api/suppressions",
  audit: "GET /api/audit",
  ops: "GET /api/status",
  killSwitch: "POST /api/pause-all",
} as const;
export type Ability = keyof typeof ABILITIES;

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
    return { name: principal.name, role: principal.role, may: may(principal.role) };
  });
}
