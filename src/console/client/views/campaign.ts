import { api } from "../api.js";
import { barChart } from "../chart.js";
import * as describe from "../describe.js";
import { confirmDialog } from "../dialog.js";
import { h, replace } from "../dom.js";
import { count, duration, percent, points, timeZone, when } from "../format.js";
import type { CampaignDaily, CampaignDefinition, CampaignList, CampaignReport, CampaignSummary } from "../../../api/index.js";
import { announce, badge, campaignTabs, type Context, facts, loading, page, problemList, routeParam } from "../ui.js";
import { stateBadge } from "./campaigns.js";

/** A campaign file that was refused: each problem with file, line and reason, and how to go on. */
export function invalidCampaign(problems: CampaignList["invalid"][number]["problems"]): HTMLElement {
  return h(
    "section",
    { class: "notice error", "aria-labelledby": "invalid-heading" },
    h("h2", { id: "invalid-heading" }, "This campaign is invalid and does not run"),
    h("p", null, "Fix each problem below in its file; the other campaigns keep running. With ", h("code", null, "rekindle studio"), " the page updates as you save."),
    problemList(problems),
  );
}

/** The campaign as a flow: the moment it starts at, who qualifies, each step in order, and what ends it early. */
export function flow(d: CampaignDefinition): HTMLElement {
  return h(
    "section",
    { class: "flow", "aria-labelledby": "flow-heading" },
    h("h2", { id: "flow-heading" }, "How it runs"),
    h(
      "ol",
      { class: "flow-steps" },
      h("li", { class: "flow-card trigger" }, h("p", { class: "kind" }, "Starts when"), h("p", null, describe.trigger(d.trigger))),
      d.audience ? h("li", { class: "flow-card audience" }, h("p", { class: "kind" }, "Only if"), h("p", null, describe.condition(d.audience))) : null,
      d.steps.map((step, index) => {
        const words = describe.step(step, d.steps, index);
        return h(
          "li",
          { class: `flow-card step ${step.type}` },
          h("p", { class: "kind" }, `${index + 1}. ${words.kind}`, h("code", { class: "step-id" }, step.id)),
          h("p", null, words.text),
          words.then ? h("p", { class: "then" }, words.then) : null,
        );
      }),
      h("li", { class: "flow-card end" }, h("p", { class: "kind" }, "End")),
    ),
    h(
      "div",
      { class: "flow-side" },
      h("h3", null, "Ends early when"),
      d.exit.length > 0 ? h("ul", null, d.exit.map((goal) => h("li", null, describe.exitGoal(goal)))) : h("p", null, "Nothing: every customer walks every step."),
      h("h3", null, "Entering again"),
      h("p", null, describe.reentry(d.reentry)),
      h("h3", null, "Measured by"),
      h(
        "p",
        null,
        d.retention_goal ? `Not cancelling within ${duration(d.retention_goal)}` : `An exit goal reached within ${duration(d.conversion_window)}`,
        d.holdout > 0 ? `; ${percent(d.holdout)} of entrants are held out and sent nothing` : "; no holdout group",
      ),
    ),
  );
}

const shortDay = new Intl.DateTimeFormat(undefined, { day: "numeric", month: "short", timeZone: "UTC" });
const longDay = new Intl.DateTimeFormat(undefined, { weekday: "short", day: "numeric", month: "short", year: "numeric", timeZone: "UTC" });
/** A calendar date (`2026-11-30`, already the reader's day) in words, as it is wherever the browser is. */
const calendar = (date: string, format: Intl.DateTimeFormat) => format.format(new Date(`${date}T00:00:00Z`));

/** The last days as bars (emails sent) and a line (goal rate of each day's emailed entrants), with the figures as text and a table. */
export function dailyChart(daily: CampaignDaily): HTMLElement {
  const days = daily.days;
  const sent = days.reduce((sum, d) => sum + d.emailsSent, 0);
  const busiest = days.reduce<CampaignDaily["days"][number] | null>((best, d) => (d.emailsSent > (best?.emailsSent ?? 0) ? d : best), null);
  const measured = days.reduce((sum, d) => sum + d.goal.entered, 0);
  const converted = days.reduce((sum, d) => sum + d.goal.converted, 0);
  const goalText = (d: CampaignDaily["days"][number]) => (d.goal.entered > 0 ? `${percent(d.goal.rate)} of ${count(d.goal.entered)}` : "—");
  return barChart({
    title: `Emails sent and goal rate per day, last ${days.length} days`,
    summary:
      `${count(sent)} email${sent === 1 ? "" : "s"} sent${busiest ? `, most on ${calendar(busiest.day, longDay)} (${count(busiest.emailsSent)})` : ""}. ` +
      (measured > 0 ? `${percent(converted / measured)} of the ${count(measured)} emailed entrants reached the goal.` : "No emailed entrant to measure yet."),
    labels: days.map((d) => ({
      full: calendar(d.day, longDay),
      axis: calendar(d.day, shortDay),
      figures: `${calendar(d.day, longDay)}: ${count(d.emailsSent)} sent, ${count(d.entered)} entered, goal ${goalText(d)}`,
    })),
    axisTicks: [0, Math.floor((days.length - 1) / 2), days.length - 1],
    bars: [{ name: "Emails sent", class: "series-sent", values: days.map((d) => d.emailsSent) }],
    line: { name: "Goal rate of the day's emailed entrants", class: "series-rate", values: days.map((d) => (d.goal.entered > 0 ? d.goal.rate : null)) },
    table: {
      headers: ["Day", "Emails sent", "Entered", "Reached the goal (emailed)"],
      rows: days.map((d) => [calendar(d.day, longDay), count(d.emailsSent), count(d.entered), goalText(d)]),
      numeric: [1, 2, 3],
    },
  });
}

function figures(report: CampaignReport, daily: CampaignDaily | null): HTMLElement {
  return h(
    "section",
    { class: "figures", "aria-labelledby": "figures-heading" },
    h("h2", { id: "figures-heading" }, "Last 30 days"),
    h(
      "ul",
      { class: "stats" },
      h("li", null, h("span", { class: "stat" }, count(report.entered)), " entered"),
      h("li", null, h("span", { class: "stat" }, count(report.emailsSent)), " emails sent"),
      h("li", null, h("span", { class: "stat" }, percent(report.treated.rate)), " reached the goal (emailed)"),
      h("li", null, h("span", { class: "stat" }, report.holdout.entered > 0 ? percent(report.holdout.rate) : "—"), " reached the goal (held out)"),
      h("li", null, h("span", { class: "stat" }, report.uplift ? points(report.uplift.absolute) : "—"), " uplift"),
    ),
    h("p", { class: "verdict" }, report.verdict),
    daily ? dailyChart(daily) : null,
  );
}

function pauseControls(ctx: Context, summary: CampaignSummary, refresh: () => void): HTMLElement | null {
  if (!ctx.me.may.campaignPause) return null;
  if (summary.state === "paused") {
    const resume = h("button", { type: "button" }, "Resume campaign");
    resume.addEventListener("click", () =>
      void confirmDialog({
        title: `Resume ${summary.name}?`,
        description: "The emails it held go out now; later steps keep their times.",
        confirm: "Resume",
        act: () => api("POST /api/campaigns/:id/resume", { params: { id: summary.id }, body: {} }),
      }).then((done) => {
        if (done) {
          announce(`${summary.name} resumed.`);
          refresh();
        }
      }),
    );
    return h("div", { class: "actions" }, resume);
  }
  const pause = h("button", { type: "button" }, "Pause campaign…");
  pause.addEventListener("click", () => {
    const reason = h("input", { type: "text", required: true, maxlength: 500 });
    const until = h("input", { type: "date" });
    void confirmDialog({
      title: `Pause ${summary.name}?`,
      description: "Its emails wait, those already queued too, until the date or until it is resumed. Customers still enter.",
      fields: [
        { label: "Reason", control: reason, hint: "Others will read it in the campaign list and the audit log." },
        { label: "Until (optional)", control: until, hint: "Midnight at the start of that day, in your time zone." },
      ],
      confirm: "Pause campaign",
      danger: true,
      act: () =>
        api("POST /api/campaigns/:id/pause", {
          params: { id: summary.id },
          body: { reason: reason.value, ...(until.value && { until: new Date(`${until.value}T00:00`).toISOString() }) },
        }),
    }).then((done) => {
      if (done) {
        announce(`${summary.name} paused.`);
        refresh();
      }
    });
  });
  return h("div", { class: "actions" }, pause);
}

/** One campaign: its state, its figures, and its rules as a readable flow. */
export async function campaignView(ctx: Context): Promise<void> {
  const id = routeParam(ctx, "id");
  const body = page(ctx, id, loading("Loading the campaign"));
  const list = await api("GET /api/campaigns");
  if (!ctx.current()) return;
  const invalid = list.invalid.find((c) => c.id === id);
  if (invalid) {
    replace(body, campaignTabs(ctx, id, "overview"), h("p", { class: "campaign-head" }, badge("Invalid", "bad")), invalidCampaign(invalid.problems));
    return;
  }
  const summary = list.campaigns.find((c) => c.id === id);
  if (!summary) {
    replace(body, h("p", { class: "notice error", role: "alert" }, `There is no campaign ${id}.`));
    return;
  }
  const [detail, report, daily] = await Promise.all([
    api("GET /api/campaigns/:id", { params: { id } }),
    ctx.me.may.campaignFigures ? api("GET /api/campaigns/:id/report", { params: { id } }) : Promise.resolve(null),
    ctx.me.may.campaignFigures ? api("GET /api/campaigns/:id/daily", { params: { id }, query: { days: 30, timeZone: timeZone() } }) : Promise.resolve(null),
  ]);
  if (!ctx.current()) return;
  const heading = ctx.main.querySelector("h1");
  if (heading) heading.textContent = summary.name;
  document.title = `${summary.name} · Rekindle`;
  const d = detail.definition;
  replace(
    body,
    campaignTabs(ctx, id, "overview"),
    h("div", { class: "campaign-head" }, stateBadge(summary), pauseControls(ctx, summary, () => void campaignView(ctx))),
    summary.paused ? h("p", { class: "muted" }, `Paused by ${summary.paused.by}${summary.paused.until ? ` until ${when(summary.paused.until)}` : ""}: ${summary.paused.reason ?? ""}`) : null,
    d.description ? h("p", { class: "lead" }, d.description) : null,
    facts([
      ["Id", h("code", null, id)],
      ["Category", d.category],
      ["Version", h("code", null, summary.version)],
      ["Enabled in its file", d.enabled ? "yes" : "no"],
    ]),
    report ? figures(report, daily) : null,
    flow(d),
  );
}
