/**
 * The value, or a thrown error naming what was missing: for a row, campaign or file a test or the
 * bench set up itself, where absence means the setup went wrong, not something to carry on with.
 */
export function present<T>(value: T | null | undefined, what: string): T {
  if (value === null || value === undefined) throw new Error(`${what} is missing`);
  return value;
}
