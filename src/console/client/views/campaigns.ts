import { api } from "../api.js";
import { h, replace } from "../dom.js";
import { count, percent, when } from "../format.js";
import { href } from "../router.js";
import type { CampaignSummary } from "../../../api/index.js";
import { badge, type Context, loading, page, table } from "../ui.js";

/** A campaign's state in words and colour. */
export function stateBadge(c: Pick<CampaignSummary, "state" | "paused">) {
  if (c.state === "paused") return badge(`Paused${c.paused?.until ? ` until ${when(c.paused.until)}` : ""}`, "warn");
  if (c.state === "disabled") return badge("Disabled", "neutral");
  return badge("Running", "ok");
}

/** Every campaign: running, paused, disabled or refused with its errors, and its last 30 days in figures. */
export async function campaignsView(ctx: Context): Promise<void> {
  const body = page(ctx, "Campaigns", loading("Loading campaigns"));
  const list = await api("GET /api/campaigns");
  if (!ctx.current()) return;

  const figureCells = new Map<string, HTMLElement[]>();
  const cells = (id: string) => {
    const made = [h("span", null, "…"), h("span", null, "…"), h("span", null, "…")];
    figureCells.set(id, made);
    return made;
  };
  const rows = [
    ...list.campaigns.map((c) => [
      h("span", { class: "name" }, h("a", { href: href("campaigns", c.id) }, c.name), h("code", { class: "muted" }, c.id)),
      c.trigger.replaceAll("_", " "),
      h("span", { class: "state" }, stateBadge(c), c.paused ? h("span", { class: "muted" }, ` by ${c.paused.by}: ${c.paused.reason ?? ""}`) : null),
      ...cells(c.id),
    ]),
    ...list.invalid.map((c) => [
      h("span", { class: "name" }, h("a", { href: href("campaigns", c.id) }, c.id), h("code", { class: "muted" }, c.id)),
      "—",
      h("span", { class: "state" }, badge("Invalid", "bad"), h("span", { class: "muted" }, ` ${c.problems.length} problem(s): ${c.problems[0]?.message ?? ""}`)),
      "—",
      "—",
      "—",
    ]),
  ];
  replace(
    body,
    list.campaigns.length + list.invalid.length === 0
      ? h("p", null, "No campaigns yet: add a folder with a campaign.yaml under the templates folder.")
      : table("Campaigns, with their last 30 days", ["Campaign", "Trigger", "State", "Entered", "Emails sent", "Goal rate"], rows, { numeric: [3, 4, 5] }),
    list.invalid.length > 0 ? h("p", { class: "notice error" }, `${list.invalid.length} campaign(s) are invalid and do not run; open one to see each problem with its file and line.`) : null,
  );
  if (!ctx.me.may.campaignFigures) {
    for (const made of figureCells.values()) for (const cell of made) cell.textContent = "—";
    return;
  }
  const figures = await api("GET /api/reports/campaigns");
  if (!ctx.current()) return;
  for (const report of figures.campaigns) {
    const [entered, sent, rate] = figureCells.get(report.campaign) ?? [];
    if (!entered || !sent || !rate) continue;
    entered.textContent = count(report.entered);
    sent.textContent = count(report.emailsSent);
    rate.textContent = percent(report.treated.rate);
  }
}
