import { errorText } from "./dialog.js";
import { type Child, h, replace } from "./dom.js";
import { when } from "./format.js";
import { href } from "./router.js";
import type { Me, Problem } from "../../api/index.js";

/** What a view is given: the signed-in person, the route's parts, and the page's main region. */
export interface Context {
  me: Me;
  params: Record<string, string>;
  query: URLSearchParams;
  main: HTMLElement;
  /** False once the person has navigated elsewhere: late answers must not draw over the next page. */
  current(): boolean;
  /** Runs when the view is left (stops timers). */
  onLeave(cleanup: () => void): void;
}

/** A parameter of the page's route (`:id`): a view asking for one its route lacks is a bug, said as such. */
export function routeParam(ctx: Context, name: string): string {
  const value = ctx.params[name];
  if (value === undefined) throw new Error(`This page's address has no :${name}.`);
  return value;
}

/**
 * Sets the page: its title (the tab's too), then the content, in a body the view may fill again
 * later (returned); focus goes to the heading so a screen reader announces the new page.
 */
export function page(ctx: Context, title: string, ...content: Child[]): HTMLDivElement {
  document.title = `${title} · Rekindle`;
  const heading = h("h1", { tabindex: -1 }, title);
  const body = h("div", { class: "page-body" }, ...content);
  replace(ctx.main, heading, body);
  heading.focus({ preventScroll: true });
  return body;
}

/** A moment as a local, readable date, its ISO value in `datetime` and in the title (shown on hover). */
export const moment = (iso: string) => h("time", { datetime: iso, title: iso }, when(iso));

export const loading = (what = "Loading") => h("p", { class: "loading", role: "status" }, `${what}…`);

export const failure = (error: unknown) => h("div", { class: "notice error", role: "alert" }, errorText(error));

export type Tone = "ok" | "warn" | "bad" | "neutral";
export const badge = (text: string, tone: Tone = "neutral") => h("span", { class: `badge ${tone}` }, text);

/** Definition list of label → value, skipping empty values. */
export function facts(entries: [string, Child][]): HTMLDListElement {
  return h(
    "dl",
    { class: "facts" },
    entries.filter(([, v]) => v !== null && v !== undefined && v !== "").map(([k, v]) => h("div", null, h("dt", null, k), h("dd", null, v))),
  );
}

/** A table in a scroll box of its own, so a narrow screen scrolls the table and not the page; the box is focusable for keyboard scrolling. */
export function table(caption: string, headers: string[], rows: Child[][], options: { captionHidden?: boolean; numeric?: number[] } = {}): HTMLDivElement {
  const numeric = (i: number) => (options.numeric?.includes(i) ? "number" : null);
  return h(
    "div",
    { class: "table-scroll", tabindex: 0, role: "region", "aria-label": caption },
    h(
      "table",
      null,
      h("caption", { class: options.captionHidden ? "visually-hidden" : null }, caption),
      h("thead", null, h("tr", null, headers.map((text, i) => h("th", { scope: "col", class: numeric(i) }, text)))),
      h("tbody", null, rows.map((cells) => h("tr", null, cells.map((cell, i) => (i === 0 ? h("th", { scope: "row" }, cell) : h("td", { class: numeric(i) }, cell)))))),
    ),
  );
}

/** A campaign file's problems, each where a marketer can find it: file, line and column, the setting, the reason. */
export function problemList(problems: Problem[]): HTMLUListElement {
  return h(
    "ul",
    { class: "problems" },
    problems.map((p) =>
      h(
        "li",
        null,
        h("code", { class: "where" }, `${p.file}:${p.line}:${p.column}`),
        " ",
        p.path && p.path !== "(file)" ? h("code", null, p.path) : null,
        p.path && p.path !== "(file)" ? " " : null,
        h("span", null, p.message),
      ),
    ),
  );
}

/** The tabs of one campaign's pages: the ones the role may open. */
export function campaignTabs(ctx: Context, id: string, currentTab: "overview" | "studio" | "audience"): HTMLElement {
  const tabs: [typeof currentTab, string, string, boolean][] = [
    ["overview", "Overview", href("campaigns", id), true],
    ["studio", "Studio", href("campaigns", id, "studio"), ctx.me.may.studio],
    ["audience", "Audience", href("campaigns", id, "audience"), ctx.me.may.audience],
  ];
  return h(
    "nav",
    { class: "tabs", "aria-label": "Campaign" },
    h(
      "ul",
      null,
      tabs.filter(([, , , allowed]) => allowed).map(([tab, label, to]) => h("li", null, h("a", { href: to, "aria-current": tab === currentTab ? "page" : null }, label))),
    ),
  );
}

/** The page's polite announcements (“Paused.”): read out by screen readers, shown for a few seconds. */
export function announce(message: string, tone: Tone = "ok"): void {
  const region = document.getElementById("announcements");
  if (!region) return;
  const note = h("p", { class: `toast ${tone}` }, message);
  region.append(note);
  setTimeout(() => note.remove(), 6_000);
}
