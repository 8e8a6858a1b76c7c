import type { CancelFlowReport, SaveGroup, Uplift } from "../reports/index.js";

const BAR = 30;
const pct = (rate: number | null) => (rate === null ? "-" : `${(rate * 100).toFixed(1)}%`);
const pts = (x: number) => `${x >= 0 ? "+" : "-"}${Math.abs(x * 100).toFixed(1)}`;
const group = (g: SaveGroup) => (g.finished === 0 ? "-" : `${pct(g.rate)} of ${g.finished}`);
const difference = (uplift: Uplift | null) => (uplift ? `${pts(uplift.absolute)} pts (${pts(uplift.ci95[0])} to ${pts(uplift.ci95[1])})` : "-");
const money = (minor: number, sessions: number) => `${(minor / 100).toFixed(2)} (${sessions})`;

/** Rows as aligned columns, two spaces apart; the columns in `right` are right-aligned (figures). */
function columns(rows: string[][], right: number[]): string {
  const [first] = rows;
  if (!first) return "";
  const widths = first.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
  // A cell past the first row's columns is not padded (width 0), as padStart/padEnd did with no width.
  return rows.map((r) => `  ${r.map((cell, i) => (right.includes(i) ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0))).join("  ").trimEnd()}\n`).join("");
}

/** `rekindle report --cancel-flow` as text: outcomes, reasons as bars, save rates against the holdout, MRR, churn by reason. */
export function formatCancelFlowReport(report: CancelFlowReport): string {
  const o = report.outcomes;
  let text = `cancel flow: sessions started ${report.from.slice(0, 10)} to ${report.to.slice(0, 10)}\n`;
  text += `  ${report.sessions} session(s): ${o.accepted} accepted an offer, ${o.kept} kept their subscription, ${o.cancelled} cancelled, ${o.abandoned} abandoned, ${o.open} still open; ${report.gaveReason} gave a reason\n`;
  if (report.reasons.length > 0) {
    text += `\nreasons given\n`;
    text += columns(
      report.reasons.map((r) => {
        const filled = Math.round(r.share * BAR);
        return [r.reason, `${"█".repeat(filled)}${"░".repeat(BAR - filled)}`, pct(r.share), String(r.sessions)];
      }),
      [2, 3],
    );
    text += `\nsave rate by reason (saved = accepted or kept, of finished sessions): treated (shown the reason's offer, if it has one) vs held out\n`;
    text += columns(
      [
        ["reason", "sessions", "saved", "cancelled", "abandoned", "treated", "held out", "difference (95% CI)"],
        ...report.reasons.map((r) => [r.reason, String(r.sessions), String(r.saved), String(r.cancelled), String(r.abandoned), group(r.treated), group(r.holdout), difference(r.uplift)]),
      ],
      [1, 2, 3, 4, 5, 6, 7],
    );
    for (const r of report.reasons) text += `  ${r.reason}: ${r.verdict}\n`;
  }
  if (report.offers.length > 0) {
    text += `\noffers: the sessions shown each vs the held-out sessions matched to it\n`;
    text += columns(
      [
        ["offer", "type", "reasons", "shown", "accepted", "save rate", "held out", "difference (95% CI)"],
        ...report.offers.map((f) => [f.offer, f.type, f.reasons.join(", "), String(f.shown), String(f.accepted), group(f.treated), group(f.holdout), difference(f.uplift)]),
      ],
      [3, 4, 5, 6, 7],
    );
    for (const f of report.offers) text += `  ${f.offer}: ${f.verdict}\n`;
  }
  if (report.mrr.length > 0) {
    text += `\nMRR at the start of each session (sessions)\n`;
    text += columns([["currency", "saved (treated)", "lost (cancelled)"], ...report.mrr.map((m) => [m.currency, money(m.savedMinor, m.savedSessions), money(m.lostMinor, m.lostSessions)])], [1, 2]);
  }
  text += `\ncustomers cancelled through the flow by month, beside all churn\n`;
  text += columns(
    [
      ["month", "customers at start", "lost", "voluntary", "through the flow", "by reason"],
      ...report.churn.map((m) => [
        m.month,
        String(m.customersAtStart),
        String(m.customersLost),
        String(m.lostVoluntary),
        String(m.cancelled),
        m.byReason.map((r) => `${r.reason ?? "no reason"} ${r.customers}`).join(", "),
      ]),
    ],
    [1, 2, 3, 4],
  );
  return text;
}
