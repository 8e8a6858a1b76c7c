/**
 * The one spelling of a request's path that routing, access and logs see. A client can write a
 * path many ways (`/%61pi/keys`, `//api/keys/`, `/v1/../api/keys`); each is brought to its
 * canonical form here before the router looks at it, so no spelling reaches a route another
 * spelling would not. Access itself never reads the URL (it reads the matched route's roles), so
 * this is about one answer per route, not the last line of defence.
 *
 * - percent-encoded unreserved characters (letters, digits, `-._~`) are decoded; other escapes
 *   keep their meaning (an encoded `/` stays one) with their hex in upper case;
 * - runs of `/` become one; `.` and `..` segments are resolved (never above the root);
 * - a trailing `/` is dropped (the root aside).
 *
 * Case is handled by the router (case-insensitive for the fixed parts of a route, parameters
 * keep theirs: customer ids and tokens are case-sensitive). `;` is an ordinary character of a
 * segment, as RFC 3986 has it: `/api/keys;x` is no route. The query string is left alone.
 */
export function canonicalUrl(url: string): string {
  const queryAt = url.indexOf("?");
  const rawPath = queryAt === -1 ? url : url.slice(0, queryAt);
  const query = queryAt === -1 ? "" : url.slice(queryAt);
  const decoded = rawPath.replace(/%([0-9A-Fa-f]{2})/g, (escape, hex: string) => {
    const char = String.fromCharCode(Number.parseInt(hex, 16));
    return /^[A-Za-z0-9._~-]$/.test(char) ? char : escape.toUpperCase();
  });
  const segments: string[] = [];
  for (const segment of decoded.split("/")) {
    if (segment === "" || segment === ".") continue;
    if (segment === "..") segments.pop();
    else segments.push(segment);
  }
  return `/${segments.join("/")}${query}`;
}
