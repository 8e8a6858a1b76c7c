/** A client route: its path pattern under /console, e.g. `/campaigns/:id/studio`. */
export interface Match {
  pattern: string;
  params: Record<string, string>;
  query: URLSearchParams;
}

export const BASE = "/console";

function matchOne(pattern: string, path: string): Record<string, string> | undefined {
  const want = pattern.split("/").filter(Boolean);
  const got = path.split("/").filter(Boolean);
  if (want.length !== got.length) return undefined;
  const params: Record<string, string> = {};
  for (const [i, part] of want.entries()) {
    const segment = got[i];
    if (segment === undefined) return undefined;
    if (part.startsWith(":")) params[part.slice(1)] = decodeURIComponent(segment);
    else if (part !== segment) return undefined;
  }
  return params;
}

/** The first pattern that fits the current location, or undefined. */
export function match(patterns: readonly string[], location: Location): Match | undefined {
  const path = location.pathname.startsWith(BASE) ? location.pathname.slice(BASE.length) || "/" : location.pathname;
  for (const pattern of patterns) {
    const params = matchOne(pattern, path);
    if (params) return { pattern, params, query: new URLSearchParams(location.search) };
  }
  return undefined;
}

/** `/campaigns/${id}` under the console, with each segment encoded. */
export const href = (...segments: string[]) => `${BASE}/${segments.map(encodeURIComponent).join("/")}`;

let onNavigate: () => void = () => {};
export const whenNavigated = (handler: () => void) => {
  onNavigate = handler;
};

/** Goes to a console address without reloading the page; `replace` keeps the history entry. */
export function navigate(to: string, options: { replace?: boolean } = {}): void {
  if (options.replace) history.replaceState(null, "", to);
  else history.pushState(null, "", to);
  onNavigate();
}

/** Links to console addresses navigate in place (a modified click still opens a new tab). */
export function interceptLinks(root: Document): void {
  root.addEventListener("click", (event) => {
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    const link = (event.target as Element | null)?.closest("a");
    if (!link || link.target || link.hasAttribute("download")) return;
    const url = new URL(link.href, location.href);
    if (url.origin !== location.origin || !(url.pathname === BASE || url.pathname.startsWith(`${BASE}/`))) return;
    event.preventDefault();
    navigate(url.pathname + url.search);
  });
  window.addEventListener("popstate", () => onNavigate());
}
