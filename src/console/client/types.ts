/** The shapes of the API answers the console reads (see the README's API sections). */

export type Role = "ingest" | "support" | "marketer" | "ops";
export type Ability =
  | "campaigns"
  | "campaignFigures"
  | "cancelFlow"
  | "campaignPause"
  | "studio"
  | "testSend"
  | "audience"
  | "customers"
  | "timeline"
  | "customerActions"
  | "suppressions"
  | "audit"
  | "ops"
  | "killSwitch";

export interface Me {
  name: string;
  role: Role;
  may: Record<Ability, boolean>;
}

export interface Problem {
  file: string;
  line: number;
  column: number;
  path: string;
  message: string;
}

export interface CampaignSummary {
  id: string;
  name: string;
  category: string;
  enabled: boolean;
  trigger: string;
  steps: number;
  version: string;
  state: "running" | "paused" | "disabled";
  paused: { by: string; reason: string | null; until: string | null } | null;
}

export interface CampaignList {
  campaigns: CampaignSummary[];
  invalid: { id: string; problems: Problem[]; messages: string[] }[];
  revision: number;
}

export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
export type Condition = { [key: string]: Json };

export interface Step {
  id: string;
  type: "email" | "wait" | "webhook" | "branch";
  template?: string;
  duration?: string;
  until?: string;
  url?: string;
  next?: string;
  if?: Condition;
  then?: string;
  else?: string;
}

export interface Definition {
  id: string;
  name: string;
  description?: string;
  enabled: boolean;
  category: string;
  priority: number;
  holdout: number;
  conversion_window: string;
  retention_goal?: string;
  trigger: { type: string } & Record<string, Json>;
  audience?: Condition;
  reentry: "never" | "always" | { after: string };
  exit: ({ event: string; where?: Condition[] } | { condition: Condition })[];
  steps: Step[];
}

export interface CampaignDetail {
  id: string;
  version: string;
  definition: Definition;
}

export interface GroupFigures {
  entered: number;
  converted: number;
  rate: number | null;
}

export interface CampaignReport {
  campaign: string;
  from: string;
  to: string;
  conversionWindow: string;
  entered: number;
  emailsSent: number;
  treated: GroupFigures;
  holdout: GroupFigures;
  uplift: { absolute: number; relative: number | null; ci95: [number, number] } | null;
  verdict: string;
}

/** Saved (accepted or kept) of finished sessions in one group. */
export interface SaveGroup {
  finished: number;
  saved: number;
  rate: number | null;
}

export interface Uplift {
  absolute: number;
  relative: number | null;
  ci95: [number, number];
}

export interface CancelFlowReport {
  from: string;
  to: string;
  sessions: number;
  outcomes: { accepted: number; cancelled: number; kept: number; abandoned: number; open: number };
  gaveReason: number;
  reasons: {
    reason: string;
    sessions: number;
    share: number;
    saved: number;
    cancelled: number;
    abandoned: number;
    open: number;
    treated: SaveGroup;
    holdout: SaveGroup;
    uplift: Uplift | null;
    verdict: string;
  }[];
  offers: {
    offer: string;
    type: "pause" | "discount" | "downgrade" | "contact";
    reasons: string[];
    shown: number;
    accepted: number;
    treated: SaveGroup;
    holdout: SaveGroup;
    uplift: Uplift | null;
    verdict: string;
  }[];
  mrr: { currency: string; savedMinor: number; savedSessions: number; lostMinor: number; lostSessions: number }[];
  churn: {
    month: string;
    cancelled: number;
    byReason: { reason: string | null; customers: number }[];
    customersAtStart: number;
    customersLost: number;
    lostVoluntary: number;
  }[];
}

/** `GET /api/campaigns/:id/daily`: each day (in the reader's zone) of the last ones. */
export interface CampaignDaily {
  campaign: string;
  timeZone: string;
  days: { day: string; from: string; emailsSent: number; entered: number; goal: { entered: number; converted: number; rate: number | null } }[];
}

/** `GET /api/status/hourly`: each of the last hours. */
export interface SendHours {
  hours: { from: string; sent: number; failed: number; uncertain: number }[];
}

export interface CampaignEmails {
  campaign: string;
  emails: { step: string; template: string; locales: { locale: string | null; file: string }[] }[];
}

export interface Preview {
  customer: string;
  locale: string | null;
  subject: string;
  preheader: string | null;
  html: string;
  text: string;
}

export interface DryRun {
  wouldEnter: number;
  basis: "scan" | "recent-events";
  /** `because`: why each would enter, in words ("because the card ending 4242 expires on 30 Nov 2026"). */
  sample: { customerId: string; email: string | null; facts: Record<string, Json>; moment: string; because: string }[];
}

/** One audience test with its result for the customer; `all`/`any`/`not` hold their children. */
export interface ConditionResult {
  kind: "all" | "any" | "not" | "attribute" | "event";
  passed: boolean;
  text: string;
  children?: ConditionResult[];
}

/** `GET /api/campaigns/:id/dry-run?customer=`: each test in enrollment's order, and the verdict. */
export interface EntryExplanation {
  campaignId: string;
  customerId: string;
  at: string;
  basis: "scan" | "recent-events";
  checks: { test: string; title: string; passed: boolean; detail: string; stops: "entry" | "email"; conditions?: ConditionResult; next?: { text: string; at?: string } }[];
  conclusion: { wouldEnter: boolean; wouldBeEmailed: boolean; summary: string; firstFailure: string | null; next: { text: string; at?: string } | null };
}

export interface CustomerMatch {
  id: string;
  email: string | null;
  name: string | null;
  plan: string | null;
  lastSeenAt: string | null;
  match: "id" | "id_prefix" | "email";
}

export interface Customer {
  id: string;
  email: string | null;
  name: string | null;
  locale: string | null;
  timezone: string | null;
  plan: string | null;
  signedUpAt: string | null;
  lastSeenAt: string | null;
  traits: Record<string, Json>;
  subscriptions: { id: string; status: string; plan: string | null; mrrMinor: number; currency: string; currentPeriodEnd: string | null; canceledAt: string | null }[];
  paymentMethods: { id: string; brand: string | null; last4: string | null; expMonth: number; expYear: number; isDefault: boolean; detachedAt: string | null }[];
}

export interface TimelineEntry {
  at: string;
  kind: "event" | "entered" | "enrollment_ended" | "message" | "pause" | "pause_lifted" | "suppression";
  summary: string;
  detail: Record<string, Json>;
}

export interface Timeline {
  customer: { id: string; email: string | null; name: string | null; timezone: string | null };
  entries: TimelineEntry[];
  next: { due: string; campaign: string; step: string; status: string; held?: "paused" }[];
  holds: {
    pauses: { scope: string; campaign: string | null; by: string; reason: string | null; until: string | null; since: string }[];
    suppressions: { category: string; reason: string; by: string; since: string }[];
    blockedUntil: string | null;
  };
}

export interface AuditEntry {
  id: number;
  actor: string;
  action: string;
  targetType: string;
  targetId: string | null;
  before: Json;
  after: Json;
  at: string;
}

export interface Status {
  at: string;
  queues: Record<string, Record<string, number>>;
  tasks: { name: string; nextRunAt: string; runningBy: string | null; lastStartedAt: string | null; lastFinishedAt: string | null; lastDurationMs: number | null; lastError: string | null }[];
  workers: { running: boolean; lastSeenAt: string | null };
  outbox: { due: number; lagSeconds: number; inFlight: number };
  lastHour: { sent: number; failed: number; uncertain: number; avgSendLatencySeconds: number | null; eventsReceived: number };
  uncertainTotal: number;
  campaigns: { id: string; state: string; detail: string | null }[];
  globalPause: { by: string; reason: string | null; until: string | null } | null;
  warnings: string[];
}
