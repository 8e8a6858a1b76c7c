import { z } from "zod";
import { ABILITIES, type Ability, Me } from "./access.js";
import {
  CampaignDetail,
  CampaignEmails,
  CampaignList,
  DryRun,
  DryRunQuery,
  EntryExplanation,
  Preview,
  PreviewQuery,
  StudioState,
  TestSendBody,
  TestSent,
} from "./campaigns.js";
import { CancelSessionInput, CancelSessionQuery, CancelSessions, CancelSessionView, ResolveInput, StartedCancelSession } from "./cancel-sessions.js";
import { CustomerMatches, Customer, SearchQuery } from "./customers.js";
import { CreatedKey, CreateKey, KeyList, Revoked } from "./keys.js";
import { CampaignDaily, CampaignReport, CampaignReports, CancelFlowQuery, CancelFlowReport, ChurnQuery, ChurnReport, DailyQuery, ReportQuery } from "./reports.js";
import { HourlyQuery, SendHours, Status } from "./status.js";
import { AuditEntries, AuditQuery, Paused, PauseInput, Resumed, Stopped, StopInput, Timeline, TimelineQuery } from "./support.js";
import { ComplaintInput, Suppressed, SuppressInput, Suppressions, SuppressionsQuery, Unsuppressed, UnsuppressInput } from "./suppressions.js";

/** What one route takes (query, body) and answers (`response`, its 2xx body). */
export interface Endpoint {
  query?: z.ZodType;
  body?: z.ZodType;
  response: z.ZodType;
}

/** No body: the route reads none (the console sends `{}`). */
const Empty = z.strictObject({});

/**
 * The /api routes (all but `PUT /api/customers/:id`, whose body is the customers module's), by the same `METHOD /path/:param` the server registers and
 * ABILITIES names. The routes parse their input with these schemas and type their answers with
 * `z.input<response>`; the console's `api()` reads `z.output<response>` (what JSON carries).
 */
export const API = {
  "GET /api/me": { response: Me },
  "GET /api/studio": { response: StudioState },
  "GET /api/campaigns": { response: CampaignList },
  "GET /api/campaigns/:id": { response: CampaignDetail },
  "GET /api/campaigns/:id/emails": { response: CampaignEmails },
  /** With `customer`: why that customer would or would not enter (EntryExplanation); without, the count (DryRun). */
  "GET /api/campaigns/:id/dry-run": { query: DryRunQuery, response: z.union([DryRun, EntryExplanation]) },
  "GET /api/campaigns/:id/report": { query: ReportQuery, response: CampaignReport },
  "GET /api/campaigns/:id/daily": { query: DailyQuery, response: CampaignDaily },
  "GET /api/campaigns/:id/steps/:step/preview": { query: PreviewQuery, response: Preview },
  "POST /api/campaigns/:id/steps/:step/test-send": { body: TestSendBody, response: TestSent },
  "POST /api/campaigns/:id/pause": { body: PauseInput, response: Paused },
  "POST /api/campaigns/:id/resume": { body: Empty, response: Resumed },
  "GET /api/reports/campaigns": { query: ReportQuery, response: CampaignReports },
  "GET /api/reports/churn": { query: ChurnQuery, response: ChurnReport },
  "GET /api/reports/cancel-flow": { query: CancelFlowQuery, response: CancelFlowReport },
  "GET /api/customers": { query: SearchQuery, response: CustomerMatches },
  "GET /api/customers/:id": { response: Customer },
  "GET /api/customers/:id/timeline": { query: TimelineQuery, response: Timeline },
  "POST /api/customers/:id/pause": { body: PauseInput, response: Paused },
  "POST /api/customers/:id/resume": { body: Empty, response: Resumed },
  "POST /api/customers/:id/stop": { body: StopInput, response: Stopped },
  "GET /api/suppressions": { query: SuppressionsQuery, response: Suppressions },
  "POST /api/suppressions": { body: SuppressInput, response: Suppressed },
  "DELETE /api/suppressions": { body: UnsuppressInput, response: Unsuppressed },
  "POST /api/complaints": { body: ComplaintInput, response: Suppressed },
  "GET /api/audit": { query: AuditQuery, response: AuditEntries },
  "GET /api/status": { response: Status },
  "GET /api/status/hourly": { query: HourlyQuery, response: SendHours },
  "POST /api/pause-all": { body: PauseInput, response: Paused },
  "POST /api/resume-all": { body: Empty, response: Resumed },
  "GET /api/keys": { response: KeyList },
  "POST /api/keys": { body: CreateKey, response: CreatedKey },
  "DELETE /api/keys/:id": { response: Revoked },
  "POST /api/cancel-sessions": { body: CancelSessionInput, response: StartedCancelSession },
  "GET /api/cancel-sessions": { query: CancelSessionQuery, response: CancelSessions },
  "GET /api/cancel-sessions/:id": { response: CancelSessionView },
  "POST /api/cancel-sessions/:id/resolve": { body: ResolveInput, response: CancelSessionView },
} as const satisfies Record<string, Endpoint>;

export type Api = typeof API;
export type ApiRoute = keyof Api;

/** Each ability names a route of this table: one renamed here and not there does not compile. */
const _abilityRoutes: Readonly<Record<Ability, ApiRoute>> = ABILITIES;

/** The 2xx body a route answers, as JSON carries it. */
export type ResponseOf<R extends ApiRoute> = z.output<Api[R]["response"]>;
/** What a handler of the route may return: the response before Dates become ISO texts. */
export type AnswerOf<R extends ApiRoute> = z.input<Api[R]["response"]>;
/** The query a route reads, as a caller writes it. */
export type QueryOf<R extends ApiRoute> = Api[R] extends { query: infer Q extends z.ZodType } ? z.input<Q> : never;
/** The body a route reads, as a caller writes it. */
export type BodyOf<R extends ApiRoute> = Api[R] extends { body: infer B extends z.ZodType } ? z.input<B> : never;

type PathOf<R extends string> = R extends `${string} ${infer Path}` ? Path : never;
type ParamNames<Path extends string> = Path extends `${string}:${infer Name}/${infer Rest}` ? Name | ParamNames<Rest> : Path extends `${string}:${infer Name}` ? Name : never;
/** `{ id: string; step: string }` for `GET /api/campaigns/:id/steps/:step/preview`. */
export type ParamsOf<R extends ApiRoute> = { [Name in ParamNames<PathOf<R>>]: string };
