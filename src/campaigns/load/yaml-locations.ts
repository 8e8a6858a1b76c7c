import { isMap, isPair, isScalar, isSeq, type Document, type LineCounter, type Node } from "yaml";

export interface Location {
  line: number;
  column: number;
}

/**
 * The line and column in a YAML document of the value at `path`, or of the deepest part of the
 * path that exists (the parent of a missing key). With `key`, the key itself inside that map:
 * where a typo'd key stands.
 */
export function locate(doc: Document, lineCounter: LineCounter, path: readonly PropertyKey[], key?: string): Location {
  let node: unknown = doc.contents;
  let found: Node | undefined = isNodeWithRange(node) ? node : undefined;
  for (const segment of path) {
    if (isMap(node)) {
      const pair = node.items.find((item) => isPair(item) && isScalar(item.key) && String(item.key.value) === String(segment));
      if (!pair) break;
      node = pair.value;
      // A key with no value (`steps:`) has no value node: point at the key.
      found = isNodeWithRange(node) ? node : isNodeWithRange(pair.key) ? pair.key : found;
    } else if (isSeq(node) && typeof segment === "number") {
      node = node.items[segment];
      if (!isNodeWithRange(node)) break;
      found = node;
    } else break;
  }
  if (key !== undefined && isMap(node)) {
    const pair = node.items.find((item) => isPair(item) && isScalar(item.key) && String(item.key.value) === key);
    if (pair && isNodeWithRange(pair.key)) found = pair.key;
  }
  const offset = found?.range?.[0] ?? 0;
  const position = lineCounter.linePos(offset);
  return { line: position.line, column: position.col };
}

function isNodeWithRange(value: unknown): value is Node & { range: [number, number, number] } {
  return typeof value === "object" && value !== null && Array.isArray((value as { range?: unknown }).range);
}
