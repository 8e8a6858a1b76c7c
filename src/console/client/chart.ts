import { type Child, h, uid } from "./dom.js";
import { table } from "./ui.js";

const SVG = "http://www.w3.org/2000/svg";

/** An SVG element, as `h()` makes HTML ones: attributes by name, text always as text. */
export function s<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number | null | undefined> | null, ...children: (SVGElement | string | null | undefined | false)[]): SVGElementTagNameMap[K] {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs ?? {})) if (value !== null && value !== undefined) element.setAttribute(name, String(value));
  for (const child of children) if (child !== null && child !== undefined && child !== false) element.append(child);
  return element;
}

/** One stacked series of bars: its name (in the legend) and the CSS class that colours it. */
export interface BarSeries {
  name: string;
  class: string;
  values: number[];
}

/** A line over the bars on its own 0–100% scale (a rate), with gaps where it is null. */
export interface LineSeries {
  name: string;
  class: string;
  values: (number | null)[];
}

export interface BarChart {
  /** The chart's name: its caption, the picture's accessible name, the table's caption. */
  title: string;
  /** What the chart shows, in a sentence or two: read before the picture, and by screen readers. */
  summary: string;
  /** Each bar's label, in full; `axis` the short form under the axis; `figures` its tooltip, the bar's figures in words. */
  labels: { full: string; axis: string; figures: string }[];
  /** Bar labels to show under the axis (the others are in the tooltips and the table). */
  axisTicks: number[];
  bars: BarSeries[];
  line?: LineSeries;
  /** The same figures as a table, for reading and for screen readers. */
  table: { headers: string[]; rows: Child[][]; numeric: number[] };
}

/** A round top for the scale, at least the largest bar, whose half (the middle line) is a whole number too: 2, 4, 6, 8, 10, 20, 40… */
export function niceMax(max: number): number {
  if (max <= 2) return 2;
  const power = 10 ** Math.floor(Math.log10(max));
  // max < 10 × power, so the last candidate always fits.
  return [1, 2, 4, 6, 8].map((m) => m * power).find((top) => top >= max) ?? 10 * power;
}

/**
 * A bar chart (stacked series, optionally a line for a rate) drawn as inline SVG, with everything
 * that is text in HTML around it — the scale, the axis labels, the legend — so it stays legible at a
 * phone's width while the picture stretches. The picture is one image with an accessible name;
 * the figures are in a sentence above it and a table below it.
 */
export function barChart(chart: BarChart): HTMLElement {
  const n = chart.labels.length;
  const totals = chart.labels.map((_, i) => chart.bars.reduce((sum, series) => sum + (series.values[i] ?? 0), 0));
  const top = niceMax(Math.max(0, ...totals));
  const slot = 10;
  const height = 100;
  const y = (value: number) => height - (value / top) * height;
  const titleId = uid("chart-title");
  const bars = chart.labels.map((label, i) => {
    let base = 0;
    const pieces = chart.bars.map((series) => {
      const value = series.values[i] ?? 0;
      const rect = value > 0 ? s("rect", { class: series.class, x: i * slot + 1.5, width: slot - 3, y: y(base + value), height: y(base) - y(base + value) }) : null;
      base += value;
      return rect;
    });
    // The whole slot is the hover target, so a day with nothing still says so.
    return s("g", { class: "bar", "data-index": i }, s("title", null, label.figures), s("rect", { class: "slot", x: i * slot, width: slot, y: 0, height }), ...pieces);
  });
  let line: SVGPathElement | null = null;
  if (chart.line) {
    let path = "";
    let drawing = false;
    chart.line.values.forEach((rate, i) => {
      if (rate === null) {
        drawing = false;
        return;
      }
      const point = `${i * slot + slot / 2} ${(height - Math.min(1, Math.max(0, rate)) * height).toFixed(2)}`;
      // A point alone draws as a dot (a zero-length segment with round caps).
      path += drawing ? ` L ${point}` : ` M ${point} L ${point}`;
      drawing = true;
    });
    line = s("path", { class: `line ${chart.line.class}`, d: path.trim() });
  }
  const picture = s(
    "svg",
    { role: "img", "aria-labelledby": titleId, viewBox: `0 0 ${n * slot} ${height}`, preserveAspectRatio: "none", class: "chart-svg" },
    s("title", { id: titleId }, `${chart.title}. ${chart.summary}`),
    s("line", { class: "grid", x1: 0, x2: n * slot, y1: height / 2, y2: height / 2 }),
    s("line", { class: "grid", x1: 0, x2: n * slot, y1: 0.5, y2: 0.5 }),
    ...bars,
    line,
    s("line", { class: "baseline", x1: 0, x2: n * slot, y1: height, y2: height }),
  );
  const tick = (i: number) => {
    const label = chart.labels[i];
    if (!label) return [];
    const position = i === 0 ? "left: 0" : i === n - 1 ? "right: 0" : `left: ${(((i + 0.5) / n) * 100).toFixed(2)}%; transform: translateX(-50%)`;
    return [h("span", { style: position }, label.axis)];
  };
  const swatch = (cls: string, name: string) => h("li", null, h("span", { class: `swatch ${cls}`, "aria-hidden": "true" }), name);
  return h(
    "figure",
    { class: "chart" },
    h("figcaption", null, chart.title),
    h("p", { class: "chart-summary" }, chart.summary),
    h(
      "div",
      { class: `chart-plot${chart.line ? " with-rate" : ""}` },
      h("div", { class: "chart-scale", "aria-hidden": "true" }, h("span", null, String(top)), h("span", null, String(top / 2)), h("span", null, "0")),
      h("div", { class: "chart-area" }, picture),
      chart.line ? h("div", { class: "chart-scale rate", "aria-hidden": "true" }, h("span", null, "100%"), h("span", null, "50%"), h("span", null, "0%")) : null,
      h("div", { class: "chart-ticks", "aria-hidden": "true" }, chart.axisTicks.flatMap(tick)),
    ),
    h("ul", { class: "chart-legend" }, chart.bars.map((series) => swatch(series.class, series.name)), chart.line ? swatch(`line ${chart.line.class}`, chart.line.name) : null),
    h("details", { class: "chart-table" }, h("summary", null, "The figures as a table"), table(chart.title, chart.table.headers, chart.table.rows, { numeric: chart.table.numeric })),
  );
}
