import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from "fastify";
import type { Deps } from "../deps/index.js";
import { MAX_BATCH_BYTES } from "../ingest/index.js";
import { installAccess } from "./access.js";
import { canonicalUrl } from "./canonical-url.js";
import { clientErrorHandler, frameworkErrors, installErrorHandler } from "./error-handler.js";
import { HttpError } from "./http-error.js";
import { installRequestRules } from "./request-rules.js";
import { campaignRoutes } from "./routes/campaigns.js";
import { cancelFlowRoutes } from "./routes/cancel-flow.js";
import { cancelFlowReportRoutes } from "./routes/cancel-flow-report.js";
import { cardUpdateRoutes } from "./routes/card-update.js";
import { consoleRoutes } from "./routes/console.js";
import { customerRoutes } from "./routes/customers.js";
import { dashboardRoutes } from "./routes/dashboard.js";
import { healthRoutes } from "./routes/health.js";
import { keyRoutes } from "./routes/keys.js";
import { meRoutes } from "./routes/me.js";
import { metricsRoutes } from "./routes/metrics.js";
import { segmentRoutes } from "./routes/segment.js";
import { stripeRoutes } from "./routes/stripe.js";
import { studioRoutes } from "./routes/studio.js";
import { supportRoutes } from "./routes/support.js";
import { suppressionRoutes } from "./routes/suppressions.js";
import { unsubscribeRoutes } from "./routes/unsubscribe.js";

declare module "fastify" {
  interface FastifyInstance {
    routeList: { method: string; url: string; roles: readonly string[] | undefined }[];
  }
}

export interface AppOptions {
  /** This process reloads campaigns when the templates folder changes (`rekindle studio`). Default false. */
  watchingTemplates?: boolean;
  /** Where the built console is. Default: `dist/console/` of the package. */
  consoleDir?: string;
}

/** What is wrong with a JSON text, by position, without quoting it. */
function jsonSyntaxProblem(error: Error): string {
  const position = error.message.match(/position (\d+)/)?.[1];
  if (/end of JSON|Unterminated/i.test(error.message)) return "malformed JSON: it ends too soon";
  return position ? `malformed JSON at position ${position}` : "malformed JSON: an unexpected character";
}

/** Builds the HTTP API (not yet listening): health, Segment ingestion, the REST API, the console. */
export async function buildApp(deps: Deps, options: AppOptions = {}): Promise<FastifyInstance> {
  const { timeouts } = deps.config.http;
  // Typed as Fastify's logger so that the instance's type (and every route's) names Fastify's.
  const loggerInstance: FastifyBaseLogger = deps.logger;
  const app = Fastify({
    loggerInstance,
    // A line per request only at LOG_LEVEL=debug: at thousands of ingestion calls a second it is noise.
    logController: new LogController({ disableRequestLogging: !deps.logger.isLevelEnabled("debug") }),
    bodyLimit: MAX_BATCH_BYTES,
    trustProxy: true,
    return503OnClosing: true,
    // Every spelling of a path is brought to one before routing (canonical-url.ts); the fixed parts
    // of a route match in any case, its parameters keep theirs. Ids are up to 255 characters, which
    // percent-encoded can be several times as long.
    rewriteUrl: (request) => canonicalUrl(request.url ?? "/"),
    routerOptions: { caseSensitive: false, maxParamLength: 4096 },
    frameworkErrors: frameworkErrors(timeouts),
    // Node closes a connection whose headers (or whole request) have not arrived in time: a client
    // trickling bytes cannot hold one open. It checks every second rather than every 30.
    http: { headersTimeout: timeouts.headersMs, requestTimeout: timeouts.bodyMs, connectionsCheckingInterval: 1_000 },
    requestTimeout: timeouts.bodyMs,
    handlerTimeout: timeouts.requestMs,
    clientErrorHandler: clientErrorHandler(timeouts, (code) => deps.logger.debug({ code }, "client connection error")),
  });
  installErrorHandler(app, timeouts);
  // Every route and the roles it admits: the access test walks them all.
  const routes: { method: string; url: string; roles: readonly string[] | undefined }[] = [];
  app.decorate("routeList", routes);
  app.addHook("onRoute", (route) => {
    for (const method of [route.method].flat()) if (method !== "HEAD") routes.push({ method, url: route.url, roles: route.config?.roles });
  });

  // Segment libraries send application/json; some browser clients send text/plain to avoid a
  // CORS preflight. Both are parsed here so that a syntax error names its position (never the
  // body itself: a client may have sent binary).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(["application/json", "text/plain"], { parseAs: "string" }, (_request, body, done) => {
    const text = String(body);
    if (text.trim() === "") return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch (error) {
      done(HttpError.invalid([{ path: "(body)", message: jsonSyntaxProblem(error as Error) }], "The body is not valid JSON."), undefined);
    }
  });
  installRequestRules(app);

  installAccess(app, deps);
  healthRoutes(app, deps);
  metricsRoutes(app, deps);
  await app.register(async (scope) => {
    unsubscribeRoutes(scope, deps);
  });
  cardUpdateRoutes(app, deps);
  segmentRoutes(app, deps);
  customerRoutes(app, deps);
  campaignRoutes(app, deps);
  cancelFlowRoutes(app, deps);
  cancelFlowReportRoutes(app, deps);
  suppressionRoutes(app, deps);
  supportRoutes(app, deps);
  keyRoutes(app, deps);
  meRoutes(app);
  studioRoutes(app, deps, { watching: options.watchingTemplates ?? false });
  consoleRoutes(app, options.consoleDir ? { dir: options.consoleDir } : {});
  await dashboardRoutes(app, deps);
  await stripeRoutes(app, deps);
  return app;
}
