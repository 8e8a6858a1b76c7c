import { api } from "../api.js";
import { confirmDialog } from "../dialog.js";
import { h, replace } from "../dom.js";
import { barChart } from "../chart.js";
import { count, when } from "../format.js";
import { href } from "../router.js";
import type { SendHours, Status } from "../../../api/index.js";
import { announce, badge, type Context, loading, moment, page, table, type Tone } from "../ui.js";

const STATE: Record<string, Tone> = { running: "ok", paused: "warn", disabled: "neutral", invalid: "bad" };

function killSwitch(ctx: Context, status: Status, refresh: () => void): HTMLElement | null {
  if (!ctx.me.may.killSwitch) return null;
  const paused = status.globalPause !== null;
  const button = h("button", { type: "button", class: paused ? "primary" : "danger" }, paused ? "Resume all sending" : "Pause all sending…");
  button.addEventListener("click", () => {
    const reason = h("input", { type: "text", required: true, maxlength: 500 });
    void confirmDialog(
      paused
        ? {
            title: "Resume all sending?",
            description: "Every email the kill switch held goes out now.",
            confirm: "Resume all sending",
            act: () => api("POST /api/resume-all", { body: {} }),
          }
        : {
            title: "Pause all sending?",
            description: "The kill switch: no email leaves Rekindle, queued ones included, until someone resumes.",
            fields: [{ label: "Reason", control: reason, hint: "An incident number helps." }],
            confirm: "Pause all sending",
            danger: true,
            act: () => api("POST /api/pause-all", { body: { reason: reason.value.trim() } }),
          },
    ).then((done) => {
      if (!done) return;
      announce(paused ? "Sending resumed." : "All sending paused.", paused ? "ok" : "warn");
      refresh();
    });
  });
  return button;
}

const hour = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });

/** The last hours' sends and failures as stacked bars, with the figures as text and a table. */
export function hourlyChart(figures: SendHours): HTMLElement {
  const hours = figures.hours;
  const total = (key: "sent" | "failed" | "uncertain") => hours.reduce((sum, x) => sum + x[key], 0);
  const busiest = hours.reduce<SendHours["hours"][number] | null>((best, x) => (x.sent > (best?.sent ?? 0) ? x : best), null);
  const span = (x: SendHours["hours"][number]) => `${when(x.from)}–${hour.format(new Date(new Date(x.from).getTime() + 3_600_000))}`;
  const uncertain = total("uncertain");
  return barChart({
    title: `Sends and failures per hour, last ${hours.length} hours`,
    summary:
      `${count(total("sent"))} sent and ${count(total("failed"))} failed${uncertain > 0 ? `, ${count(uncertain)} left uncertain` : ""}.` +
      (busiest ? ` The busiest hour: ${span(busiest)} (${count(busiest.sent)} sent).` : " Nothing was sent."),
    labels: hours.map((x) => ({ full: span(x), axis: hour.format(new Date(x.from)), figures: `${span(x)}: ${count(x.sent)} sent, ${count(x.failed)} failed` })),
    axisTicks: [0, Math.floor((hours.length - 1) / 2), hours.length - 1],
    bars: [
      { name: "Sent", class: "series-sent", values: hours.map((x) => x.sent) },
      { name: "Failed", class: "series-failed", values: hours.map((x) => x.failed) },
    ],
    table: {
      headers: ["Hour", "Sent", "Failed", "Uncertain"],
      rows: hours.map((x) => [span(x), count(x.sent), count(x.failed), count(x.uncertain)]),
      numeric: [1, 2, 3],
    },
  });
}

/** Whether anything sends: the kill switch, and a worker to do it. */
function sendingState(status: Status): HTMLElement {
  if (status.globalPause) {
    return h("p", null, badge("All sending paused", "bad"), ` by ${status.globalPause.by}${status.globalPause.until ? ` until ${when(status.globalPause.until)}` : ""}: ${status.globalPause.reason ?? ""}`);
  }
  if (!status.workers.running) {
    return h(
      "p",
      null,
      badge("No worker running", "bad"),
      " The kill switch is off, but nothing is sent: no worker is running",
      status.workers.lastSeenAt ? [" (one last ran a task ", moment(status.workers.lastSeenAt), ")"] : " (none has run yet)",
      ". Start one with ",
      h("code", null, "rekindle worker"),
      " or ",
      h("code", null, "rekindle start"),
      ".",
    );
  }
  return h("p", null, badge("Sending", "ok"), " The kill switch is off and workers are running.");
}

/** Ops' one screen: the kill switch, the outbox, the last hours, queues and campaigns; and the queue dashboard. */
export async function opsView(ctx: Context): Promise<void> {
  const body = page(ctx, "Ops", loading("Reading the status"));
  const [status, hourly] = await Promise.all([api("GET /api/status"), api("GET /api/status/hourly")]);
  if (!ctx.current()) return;
  const refresh = () => void opsView(ctx);
  const queueStates = ["waiting", "delayed", "active", "failed", "completed"];
  replace(
    body,
    h("p", { class: "muted" }, `As of ${when(status.at)}. `, h("a", { href: "/ops/queues", target: "_blank", rel: "noopener" }, "Open the queue dashboard"), " (a new tab; sign in with any user name and an ops key as the password)."),
    ...status.warnings.map((warning) => h("p", { class: "notice error", role: "alert" }, warning)),
    h(
      "section",
      { "aria-labelledby": "sending-heading", class: "now" },
      h("h2", { id: "sending-heading" }, "Sending"),
      sendingState(status),
      killSwitch(ctx, status, refresh),
    ),
    h(
      "ul",
      { class: "stats", "aria-label": "Outbox and the last hour" },
      h("li", null, h("span", { class: "stat" }, count(status.outbox.due)), " due now"),
      h("li", null, h("span", { class: "stat" }, `${count(status.outbox.lagSeconds)} s`), " oldest due waiting"),
      h("li", null, h("span", { class: "stat" }, count(status.outbox.inFlight)), " in flight"),
      h("li", null, h("span", { class: "stat" }, count(status.lastHour.sent)), " sent in the last hour"),
      h("li", null, h("span", { class: "stat" }, count(status.lastHour.failed)), " failed in the last hour"),
      h("li", null, h("span", { class: "stat" }, status.lastHour.avgSendLatencySeconds === null ? "—" : `${status.lastHour.avgSendLatencySeconds} s`), status.lastHour.avgSendLatencySeconds === null ? " average delay after due (no sends in the last hour)" : " average delay after due"),
      h("li", null, h("span", { class: "stat" }, count(status.lastHour.eventsReceived)), " events received in the last hour"),
      h("li", null, h("span", { class: "stat" }, count(status.uncertainTotal)), " uncertain (see rekindle uncertain)"),
    ),
    hourlyChart(hourly),
    table(
      "Queues",
      ["Queue", ...queueStates],
      Object.entries(status.queues).map(([name, counts]) => [name, ...queueStates.map((state) => count(counts[state] ?? 0))]),
      { numeric: [1, 2, 3, 4, 5] },
    ),
    table(
      "Periodic tasks",
      ["Task", "Last run", "Took", "Next run", "Result"],
      status.tasks.map((t) => [
        t.name,
        t.runningBy ? `running on ${t.runningBy}` : t.lastStartedAt ? when(t.lastStartedAt) : "never",
        t.lastDurationMs === null ? "—" : `${count(t.lastDurationMs)} ms`,
        when(t.nextRunAt),
        t.lastError ? badge(`failed: ${t.lastError}`, "bad") : t.lastFinishedAt ? badge("ok", "ok") : "—",
      ]),
      { numeric: [2] },
    ),
    table(
      "Campaigns",
      ["Campaign", "State", "Detail"],
      status.campaigns.map((c) => [h("a", { href: href("campaigns", c.id) }, c.id), badge(c.state, STATE[c.state] ?? "neutral"), c.detail ?? ""]),
    ),
  );
}
