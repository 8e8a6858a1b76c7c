/**
 * The text fields of a `multipart/form-data` body (RFC 7578), as a mail client's one-click
 * unsubscribe sends them (RFC 8058 recommends this encoding). Files are skipped; a body that is
 * not well-formed gives the fields read before the fault. Small bodies only: the caller's body
 * limit bounds the work.
 */
export function multipartFields(body: Buffer, contentType: string): Record<string, string> {
  const boundary = contentType.match(/;\s*boundary=(?:"([^"]{1,70})"|([^;\s]{1,70}))/i);
  const fields: Record<string, string> = {};
  if (!boundary) return fields;
  const delimiter = `--${boundary[1] ?? boundary[2]}`;
  const text = body.toString("latin1");
  let at = text.indexOf(delimiter);
  while (at !== -1) {
    const start = at + delimiter.length;
    if (text.startsWith("--", start)) break;
    const next = text.indexOf(`\r\n${delimiter}`, start);
    if (next === -1) break;
    const part = text.slice(start, next).replace(/^\r\n/, "");
    const split = part.indexOf("\r\n\r\n");
    if (split !== -1) {
      const headers = part.slice(0, split);
      const disposition = headers.match(/^content-disposition:\s*form-data\s*;(.*)$/im)?.[1] ?? "";
      const name = disposition.match(/(?:^|;)\s*name="([^"]*)"/i)?.[1];
      if (name !== undefined && !/(?:^|;)\s*filename\*?=/i.test(disposition)) {
        fields[Buffer.from(name, "latin1").toString("utf8")] = Buffer.from(part.slice(split + 4), "latin1").toString("utf8");
      }
    }
    at = next + 2;
  }
  return fields;
}
