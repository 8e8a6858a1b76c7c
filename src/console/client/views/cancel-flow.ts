import { api, query } from "../api.js";
import { errorText } from "../dialog.js";
import { type Child, field, h, replace } from "../dom.js";
import { count, day, money, percent } from "../format.js";
import { href, navigate } from "../router.js";
import type { CancelFlowReport, SaveGroup, Uplift } from "../../../api/index.js";
import { badge, type Context, loading, page, table, type Tone } from "../ui.js";

const SVG = "http://www.w3.org/2000/svg";

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>, ...children: SVGElement[]): SVGElementTagNameMap[K] {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) element.setAttribute(name, String(value));
  element.append(...children);
  return element;
}

const pts = (x: number) => `${x >= 0 ? "+" : "−"}${Math.abs(x * 100).toFixed(1)}`;
const group = (g: SaveGroup) => (g.finished === 0 ? "—" : `${percent(g.rate)} of ${count(g.finished)}`);

/** What the verdict comes to, in a word or two and a colour; the sentence itself is listed under the table. */
function verdictBadge(uplift: Uplift | null, verdict: string): HTMLElement {
  if (!uplift) return badge(verdict.split(":")[0] ?? verdict, "neutral");
  if (uplift.ci95[0] > 0) return badge("Works", "ok");
  if (uplift.ci95[1] < 0) return badge("Does worse", "bad");
  return badge("Not clear yet", "warn");
}

const TONE_INK: Record<Tone, string> = { ok: "#166534", warn: "#92400e", bad: "#991b1b", neutral: "#52606d" };

/**
 * The difference and its 95% interval as text, then a small drawing of the interval against zero
 * (hidden from screen readers: the text says the same). `scale` is the largest distance from zero
 * drawn, the same for every row of a table so the rows compare.
 */
function interval(uplift: Uplift | null, scale: number): Child {
  if (!uplift) return "—";
  const [low, high] = uplift.ci95;
  const tone: Tone = low > 0 ? "ok" : high < 0 ? "bad" : "warn";
  const x = (v: number) => (60 + (Math.max(-scale, Math.min(scale, v)) / scale) * 56).toFixed(1);
  return h(
    "span",
    { class: "interval" },
    h("span", null, `${pts(uplift.absolute)} pts`),
    h("span", { class: "muted" }, `${pts(low)} to ${pts(high)}`),
    svg(
      "svg",
      { width: 120, height: 14, viewBox: "0 0 120 14", "aria-hidden": "true", focusable: "false" },
      svg("line", { x1: 60, x2: 60, y1: 0, y2: 14, stroke: "#7b8794", "stroke-width": 1 }),
      svg("line", { x1: x(low), x2: x(high), y1: 7, y2: 7, stroke: TONE_INK[tone], "stroke-width": 3, "stroke-linecap": "round" }),
      svg("circle", { cx: x(uplift.absolute), cy: 7, r: 3.5, fill: TONE_INK[tone] }),
    ),
  );
}

/** The largest interval bound of a table, rounded up to ten points: every row is drawn on it. */
const scaleOf = (uplifts: (Uplift | null)[]) => Math.max(0.1, Math.ceil(Math.max(0, ...uplifts.flatMap((u) => (u ? u.ci95.map(Math.abs) : []))) * 10) / 10);

function verdicts(title: string, entries: [string, string][]): HTMLElement {
  return h("details", { class: "verdicts" }, h("summary", null, title), h("ul", null, entries.map(([name, verdict]) => h("li", null, h("code", null, name), " ", verdict))));
}

function report(r: CancelFlowReport): Child[] {
  const o = r.outcomes;
  const outcomes = h(
    "ul",
    { class: "stats", "aria-label": "Sessions and outcomes" },
    h("li", null, h("span", { class: "stat" }, count(r.sessions)), " sessions"),
    h("li", null, h("span", { class: "stat" }, count(r.gaveReason)), " gave a reason"),
    h("li", null, h("span", { class: "stat" }, count(o.accepted)), " accepted an offer"),
    h("li", null, h("span", { class: "stat" }, count(o.kept)), " kept their subscription"),
    h("li", null, h("span", { class: "stat" }, count(o.cancelled)), " cancelled"),
    h("li", null, h("span", { class: "stat" }, count(o.abandoned)), " left without deciding"),
    h("li", null, h("span", { class: "stat" }, count(o.open)), " still open"),
  );
  const churn = table(
    "Cancelled through the flow each month, beside all churn",
    ["Month", "Customers at start", "Lost (all)", "Lost voluntarily", "Cancelled through the flow", "By reason"],
    r.churn.map((m) => [
      m.month,
      count(m.customersAtStart),
      count(m.customersLost),
      count(m.lostVoluntary),
      count(m.cancelled),
      m.byReason.length === 0 ? "—" : m.byReason.map((x) => `${x.reason ?? "no reason"} ${count(x.customers)}`).join(", "),
    ]),
    { numeric: [1, 2, 3, 4] },
  );
  const churnNote = h(
    "p",
    { class: "muted" },
    "Lost counts customers whose subscriptions all ended in the month; a cancellation made in the flow often takes effect at the end of the paid period, so it can be lost in a later month.",
  );
  if (r.sessions === 0) {
    return [h("p", { role: "status" }, "No one started the cancel flow in this period."), h("h2", null, "Churn"), churn, churnNote];
  }
  const reasonScale = scaleOf(r.reasons.map((x) => x.uplift));
  const offerScale = scaleOf(r.offers.map((x) => x.uplift));
  return [
    outcomes,
    h("h2", { id: "reasons-heading" }, "Reasons given"),
    table(
      `Reasons, as a share of the ${count(r.gaveReason)} sessions that gave one`,
      ["Reason", "Share", "Sessions"],
      r.reasons.map((x) => [
        h("code", null, x.reason),
        h("span", { class: "share" }, h("span", { class: "bar", "aria-hidden": "true" }, h("span", { class: "bar-fill", style: `width: ${(x.share * 100).toFixed(1)}%` })), percent(x.share)),
        count(x.sessions),
      ]),
      { numeric: [2] },
    ),
    h("h2", null, "Save rate by reason"),
    h(
      "p",
      { class: "muted" },
      "Saved: the customer took the offer or chose to stay, of the sessions that finished. Treated sessions were shown the offer matched to their reason; held-out sessions were shown none. The difference, with its 95% interval, is what the offer changes.",
    ),
    table(
      "Save rate by reason, treated against held out",
      ["Reason", "Sessions", "Saved", "Cancelled", "Left", "Treated", "Held out", "Difference (95% interval)", "Verdict"],
      r.reasons.map((x) => [
        h("code", null, x.reason),
        count(x.sessions),
        count(x.saved),
        count(x.cancelled),
        count(x.abandoned),
        group(x.treated),
        group(x.holdout),
        interval(x.uplift, reasonScale),
        verdictBadge(x.uplift, x.verdict),
      ]),
      { numeric: [1, 2, 3, 4, 5, 6] },
    ),
    verdicts("Each reason's verdict in words", r.reasons.map((x) => [x.reason, x.verdict])),
    h("h2", null, "Offers"),
    r.offers.length === 0
      ? h("p", null, "No offer was matched to a reason in this period.")
      : [
          table(
            "Save rate by offer, against the held-out sessions matched to the same offer",
            ["Offer", "Type", "Reasons", "Shown", "Accepted", "Save rate", "Held out", "Difference (95% interval)", "Verdict"],
            r.offers.map((x) => [
              h("code", null, x.offer),
              x.type,
              x.reasons.join(", "),
              count(x.shown),
              count(x.accepted),
              group(x.treated),
              group(x.holdout),
              interval(x.uplift, offerScale),
              verdictBadge(x.uplift, x.verdict),
            ]),
            { numeric: [3, 4, 5, 6] },
          ),
          verdicts("Each offer's verdict in words", r.offers.map((x) => [x.offer, x.verdict])),
        ],
    h("h2", null, "Monthly revenue"),
    r.mrr.length === 0
      ? h("p", null, "No session ended saved or cancelled yet.")
      : table(
          "MRR saved and lost through the flow",
          ["Currency", "Saved (treated sessions)", "Lost (cancelled)"],
          r.mrr.map((m) => [m.currency, `${money(m.savedMinor, m.currency)} (${count(m.savedSessions)})`, `${money(m.lostMinor, m.currency)} (${count(m.lostSessions)})`]),
          { numeric: [1, 2] },
        ),
    h("p", { class: "muted" }, "Each session's MRR as it was when it started, sessions in brackets; a discount or downgrade taken counts in full."),
    h("h2", null, "Churn"),
    churn,
    churnNote,
  ];
}

/** The cancel flow over a period: outcomes, reasons, offers against the holdout, MRR, and churn by reason. */
export async function cancelFlowView(ctx: Context): Promise<void> {
  const from = ctx.query.get("from") ?? "";
  const to = ctx.query.get("to") ?? "";
  const fromInput = h("input", { type: "date", name: "from", value: from });
  const toInput = h("input", { type: "date", name: "to", value: to });
  const form = h(
    "form",
    { class: "inline-form" },
    field("From", fromInput, "Sessions started on or after this day (default: six months back)."),
    field("Before", toInput, "Sessions started before this day (default: now)."),
    h("button", { type: "submit" }, "Show"),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    navigate(href("cancel-flow") + query({ from: fromInput.value, to: toInput.value }));
  });
  const results = h("div", { class: "cancel-flow" }, loading("Counting the cancel flow's sessions"));
  page(ctx, "Cancel flow", form, results);
  try {
    const r = await api("GET /api/reports/cancel-flow", { query: { from, to } });
    if (!ctx.current()) return;
    replace(results, h("p", { class: "muted" }, `Sessions started from ${day(r.from)} to before ${day(r.to)}.`), ...report(r));
  } catch (error) {
    if (ctx.current()) replace(results, h("div", { class: "notice error", role: "alert" }, errorText(error)));
  }
}
