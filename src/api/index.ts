/**
 * The /api contract: one zod schema per request and response, the roles and what each may do.
 * The routes (http/routes) parse their input with these and type their answers by them; the
 * console imports them as types only, so its bundle carries none of this.
 *
 * Terminology: a route is `METHOD /path/:param` as the server registers it; its `response` is the
 * 2xx body, `z.input` of it is what a handler returns (Dates), `z.output` what JSON carries (ISO texts).
 * Imports only zod and the leaf modules time/ and validation/, so the browser can type-check it.
 */
export * from "./access.js";
export * from "./campaigns.js";
export * from "./cancel-sessions.js";
export * from "./customers.js";
export * from "./json.js";
export * from "./keys.js";
export * from "./reports.js";
export * from "./routes.js";
export * from "./status.js";
export * from "./support.js";
export * from "./suppressions.js";
