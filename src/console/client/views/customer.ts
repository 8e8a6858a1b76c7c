import { api, ApiError, query } from "../api.js";
import { confirmDialog, type DialogField } from "../dialog.js";
import { type Child, h, replace } from "../dom.js";
import * as describe from "../describe.js";
import { day, isMoment, timeZone, value, when } from "../format.js";
import { href } from "../router.js";
import type { AuditEntry, Customer, Json, Timeline, TimelineEntry } from "../../../api/index.js";
import { announce, badge, type Context, facts, loading, moment, page, routeParam, type Tone } from "../ui.js";

const KIND: Record<TimelineEntry["kind"], [string, Tone]> = {
  event: ["Event", "neutral"],
  entered: ["Entered", "ok"],
  enrollment_ended: ["Ended", "neutral"],
  message: ["Message", "ok"],
  pause: ["Paused", "warn"],
  pause_lifted: ["Resumed", "ok"],
  suppression: ["Suppressed", "bad"],
};

const record = (json: Json | undefined): Record<string, Json> => (json && typeof json === "object" && !Array.isArray(json) ? json : {});

/** Why a customer got a message: the moment that enrolled them, in the server's words, and the facts that matched it. */
function why(entry: TimelineEntry): Child {
  const because = record(entry.detail.because);
  if (!because.enteredAt) return null;
  const matched = record(because.facts);
  // The event's name and time are in the words already; its id is the server's.
  const shown = Object.entries(matched).filter(([k]) => !["event", "eventId", "occurredAt"].includes(k));
  const words = typeof because.words === "string" ? because.words : "when its trigger matched";
  const enteredAt = typeof because.enteredAt === "string" ? when(because.enteredAt) : value(because.enteredAt);
  const reason = `entered ${value(entry.detail.campaign)} on ${enteredAt} ${words}.`;
  return h("div", { class: "why" }, h("p", null, h("strong", null, "Why: "), reason), shown.length > 0 ? facts(shown.map(([k, v]) => [k, value(v)])) : null);
}

function entryItem(entry: TimelineEntry): HTMLLIElement {
  const [label, tone] = KIND[entry.kind];
  const status = entry.kind !== "message" ? null : typeof entry.detail.status === "string" ? entry.detail.status : value(entry.detail.status);
  const messageTone: Tone = status === "sent" ? "ok" : status === "failed" || status === "uncertain" ? "bad" : "warn";
  const enteredFacts = entry.kind === "entered" ? Object.entries(record(entry.detail.facts)) : [];
  return h(
    "li",
    { class: `entry ${entry.kind}` },
    moment(entry.at),
    h(
      "div",
      { class: "entry-body" },
      h("p", null, status ? badge(status, messageTone) : badge(label, tone), " ", h("span", { class: "summary" }, entry.summary)),
      entry.kind === "message" ? why(entry) : null,
      enteredFacts.length > 0 ? h("details", null, h("summary", null, "Facts that matched"), facts(enteredFacts.map(([k, v]) => [k, value(v)]))) : null,
    ),
  );
}

function holdsSection(timeline: Timeline): HTMLElement {
  const { pauses, suppressions, blockedUntil } = timeline.holds;
  const lines: Child[] = [
    ...pauses.map((p) =>
      h(
        "li",
        null,
        badge(p.scope === "customer" ? "Paused" : p.scope === "campaign" ? `Campaign ${p.campaign ?? ""} paused` : "All sending paused", "warn"),
        ` by ${p.by}${p.until ? ` until ${when(p.until)}` : ""}: ${p.reason ?? ""}`,
      ),
    ),
    ...suppressions.map((s) => h("li", null, badge(s.category === "all" ? "Suppressed: all mail" : `Suppressed: ${s.category}`, "bad"), ` (${s.reason}) by ${s.by} since ${day(s.since)}`)),
    blockedUntil ? h("li", null, badge("Kept out", "warn"), ` of new sequences until ${when(blockedUntil)}`) : null,
  ];
  return h(
    "section",
    { "aria-labelledby": "now-heading", class: "now" },
    h("h2", { id: "now-heading" }, "Now"),
    lines.some(Boolean) ? h("ul", { class: "holds" }, lines) : h("p", null, badge("Receiving email", "ok"), " Nothing holds this customer's email."),
  );
}

function profileSection(customer: Customer): HTMLElement {
  const subscription = customer.subscriptions.find((s) => s.status !== "canceled") ?? customer.subscriptions.at(-1);
  const card = customer.paymentMethods.find((c) => c.isDefault && !c.detachedAt);
  const money = (minor: number, currency: string) => {
    try {
      return new Intl.NumberFormat(undefined, { style: "currency", currency }).format(minor / 100);
    } catch {
      return `${(minor / 100).toFixed(2)} ${currency}`;
    }
  };
  return h(
    "section",
    { "aria-labelledby": "profile-heading" },
    h("h2", { id: "profile-heading" }, "Profile"),
    facts([
      ["Email", customer.email ?? "—"],
      ["Language", customer.locale ?? "—"],
      ["Time zone", customer.timezone ?? "—"],
      ["Plan", subscription?.plan ?? customer.plan ?? "—"],
      ["Subscription", subscription ? `${subscription.status}, ${money(subscription.mrrMinor, subscription.currency)} a month${subscription.currentPeriodEnd ? `, renews ${day(subscription.currentPeriodEnd)}` : ""}` : "none"],
      ["Card", card ? `${card.brand ?? "card"} ending ${card.last4 ?? "?"}, expires ${String(card.expMonth).padStart(2, "0")}/${card.expYear}` : "none"],
      ["Signed up", day(customer.signedUpAt)],
      ["Last seen", when(customer.lastSeenAt)],
    ]),
  );
}

const untilField = () => h("input", { type: "date", name: "until" });
const reasonField = () => h("input", { type: "text", name: "reason", required: true, maxlength: 500 });
const untilIso = (input: HTMLInputElement) => (input.value ? new Date(`${input.value}T00:00`).toISOString() : undefined);

/** The levers support pulls, each confirmed in a dialog and recorded in the audit log with the key's name. */
function actions(ctx: Context, id: string, timeline: Timeline, categories: string[], refresh: () => void): HTMLElement | null {
  const { may } = ctx.me;
  const buttons: HTMLButtonElement[] = [];
  const done = (message: string) => (ok: boolean) => {
    if (!ok) return;
    announce(message);
    refresh();
  };
  const button = (label: string, onClick: () => void, options: { disabled?: boolean } = {}) => {
    const b = h("button", { type: "button", disabled: options.disabled ?? false }, label);
    b.addEventListener("click", onClick);
    buttons.push(b);
  };
  const paused = timeline.holds.pauses.some((p) => p.scope === "customer");
  const email = timeline.customer.email;
  const suppressed = timeline.holds.suppressions;

  if (may.customerActions) {
    button("Pause…", () => {
      const until = untilField();
      const reason = reasonField();
      const fields: DialogField[] = [
        { label: "Until (optional)", control: until, hint: "Midnight at the start of that day, in your time zone. Leave empty to hold until resumed." },
        { label: "Reason", control: reason, hint: "Your colleagues read it in the timeline and the audit log." },
      ];
      void confirmDialog({
        title: `Pause ${id}'s emails?`,
        description: "Every email to this customer waits, those already queued too, until the date or until resumed. They still enter campaigns.",
        fields,
        confirm: "Pause emails",
        danger: true,
        act: () => api("POST /api/customers/:id/pause", { params: { id }, body: { reason: reason.value.trim(), ...(untilIso(until) && { until: untilIso(until) }) } }),
      }).then(done(`${id} is paused.`));
    });
    button(
      "Resume",
      () =>
        void confirmDialog({
          title: `Resume ${id}'s emails?`,
          description: "The emails the pause held go out now; later steps keep their times.",
          confirm: "Resume emails",
          act: () => api("POST /api/customers/:id/resume", { params: { id }, body: {} }),
        }).then(done(`${id} is resumed.`)),
      { disabled: !paused },
    );
    button("Stop…", () => {
      const reason = reasonField();
      const block = h(
        "select",
        { name: "block" },
        h("option", { value: "" }, "No: later moments may enroll them again"),
        h("option", { value: "P7D" }, "For 7 days"),
        h("option", { value: "P30D" }, "For 30 days"),
        h("option", { value: "P90D" }, "For 90 days"),
        h("option", { value: "P365D" }, "For a year"),
      );
      void confirmDialog({
        title: `Stop ${id}'s sequences?`,
        description: "Every sequence the customer is in ends now, and their scheduled emails are skipped. This cannot be undone.",
        fields: [
          { label: "Reason", control: reason },
          { label: "Keep them out of new sequences", control: block },
        ],
        confirm: "Stop sequences",
        danger: true,
        act: () => api("POST /api/customers/:id/stop", { params: { id }, body: { reason: reason.value.trim(), ...(block.value && { block: block.value }) } }),
      }).then(done(`${id}'s sequences are stopped.`));
    });
  }
  if (may.suppressions && email) {
    button("Suppress…", () => {
      const category = h("select", { name: "category" }, h("option", { value: "" }, "All mail"), categories.map((c) => h("option", { value: c }, `Only ${c} emails`)));
      const detail = h("input", { type: "text", name: "detail", maxlength: 500 });
      void confirmDialog({
        title: `Suppress ${email}?`,
        description: "Rekindle sends no more email of that kind to this address, whoever it belongs to, until someone unsuppresses it.",
        fields: [
          { label: "What to stop", control: category },
          { label: "Note (optional)", control: detail, hint: "Why, for the audit log." },
        ],
        confirm: "Suppress",
        danger: true,
        act: () => api("POST /api/suppressions", { body: { email, reason: "manual", ...(category.value && { category: category.value }), ...(detail.value.trim() && { detail: detail.value.trim() }) } }),
      }).then(done(`${email} is suppressed.`));
    });
    button(
      "Unsuppress…",
      () => {
        const category = h(
          "select",
          { name: "category" },
          h("option", { value: "" }, "Every suppression of this address"),
          suppressed.map((s) => h("option", { value: s.category }, s.category === "all" ? "The all-mail suppression" : `Only ${s.category}`)),
        );
        void confirmDialog({
          title: `Let Rekindle email ${email} again?`,
          description: "Only if the customer asked for it: a bounce or complaint usually means they should not be mailed.",
          fields: [{ label: "What to lift", control: category }],
          confirm: "Unsuppress",
          act: () => api("DELETE /api/suppressions", { body: { email, ...(category.value && { category: category.value }) } }),
        }).then(done(`${email} may be emailed again.`));
      },
      { disabled: suppressed.length === 0 },
    );
  }
  return buttons.length > 0 ? h("div", { class: "actions", role: "group", "aria-label": "Act on this customer" }, buttons) : null;
}

function nextSection(timeline: Timeline): HTMLElement {
  return h(
    "section",
    { "aria-labelledby": "next-heading" },
    h("h2", { id: "next-heading" }, "What is next"),
    timeline.next.length === 0
      ? h("p", null, "Nothing is scheduled.")
      : h(
          "ul",
          { class: "next" },
          timeline.next.map((n) =>
            h(
              "li",
              null,
              moment(n.due),
              " ",
              h("span", null, `${n.campaign} / ${n.step}`),
              " ",
              n.held ? badge("held by a pause", "warn") : badge(n.status, "neutral"),
            ),
          ),
        ),
  );
}

/** A value in an audit entry: a moment as a local date (its ISO in the title), the rest in words. */
const changeValue = (v: Json): Child => (typeof v === "string" && isMoment(v) ? moment(v) : value(v));

/** What an audited act changed, as "field: value" pairs: the state after, else the state before (a lift). */
function changes(entry: AuditEntry): Child {
  const empty = (v: Json) => v === null || (typeof v === "object" && Object.keys(v).length === 0);
  const shown = empty(entry.after) ? entry.before : entry.after;
  if (empty(shown)) return null;
  // A list (the pauses a resume lifted) shows each item's fields in turn.
  const pairs = [shown].flat().flatMap((item): [string, Json][] => (item !== null && typeof item === "object" && !Array.isArray(item) ? Object.entries(item) : [["value", item]]));
  return h(
    "p",
    { class: "changes muted" },
    pairs.flatMap(([k, v], i) => [i > 0 ? ", " : null, h("span", { class: "change" }, `${k}: `, changeValue(v))]),
  );
}

function auditSection(entries: AuditEntry[]): HTMLElement {
  return h(
    "section",
    { "aria-labelledby": "audit-heading" },
    h("h2", { id: "audit-heading" }, "Done by people"),
    entries.length === 0
      ? h("p", null, "Nobody has acted on this customer.")
      : h(
          "ul",
          { class: "audit" },
          entries.map((e) => h("li", null, moment(e.at), " ", h("strong", null, describe.auditAction(e.action)), ` by ${e.actor}`, changes(e))),
        ),
  );
}

/** One customer for support: what holds their email now, what happened and why, what is next, and the levers. */
export async function customerView(ctx: Context): Promise<void> {
  const id = routeParam(ctx, "id");
  const body = page(ctx, id, loading("Loading the customer"));
  let timeline: Timeline;
  let customer: Customer;
  let audit: AuditEntry[] = [];
  let categories: string[] = [];
  try {
    [timeline, customer, audit, categories] = await Promise.all([
      api("GET /api/customers/:id/timeline", { params: { id }, query: { timeZone: timeZone() } }),
      api("GET /api/customers/:id", { params: { id } }),
      ctx.me.may.audit ? api("GET /api/audit", { query: { target: id, type: "customer", limit: 20 } }).then((r) => r.entries) : Promise.resolve([]),
      ctx.me.may.suppressions ? api("GET /api/campaigns").then((l) => [...new Set(l.campaigns.map((c) => c.category))].sort()) : Promise.resolve([]),
    ]);
  } catch (error) {
    if (!ctx.current()) return;
    if (error instanceof ApiError && error.status === 404) {
      replace(body, h("p", { class: "notice error", role: "alert" }, `There is no customer ${id}. `, h("a", { href: href("customers") + query({ q: id }) }, "Search for it")));
      return;
    }
    throw error;
  }
  if (!ctx.current()) return;
  const heading = ctx.main.querySelector("h1");
  if (heading) heading.textContent = customer.name ?? id;
  document.title = `${customer.name ?? id} · Rekindle`;
  const newestFirst = [...timeline.entries].reverse();
  replace(
    body,
    h("p", { class: "meta" }, h("code", null, id), customer.email ? ` · ${customer.email}` : null),
    holdsSection(timeline),
    actions(ctx, id, timeline, categories, () => void customerView(ctx)),
    h(
      "div",
      { class: "columns" },
      h(
        "section",
        { "aria-labelledby": "history-heading", class: "history" },
        h("h2", { id: "history-heading" }, "What happened, newest first"),
        newestFirst.length === 0 ? h("p", null, "Nothing yet.") : h("ol", { class: "timeline" }, newestFirst.map(entryItem)),
      ),
      h("div", { class: "side" }, nextSection(timeline), profileSection(customer), ctx.me.may.audit ? auditSection(audit) : null),
    ),
  );
}
