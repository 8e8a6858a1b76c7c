/**
 * The largest clock skew corrected. A client clock a day or more off says more about its `sentAt`
 * than about when things happened, and an unbounded shift would move events out of any sane range.
 */
export const MAX_SKEW_MS = 24 * 3_600_000;

/**
 * When a message happened, as Segment computes it: the client's `timestamp`, shifted by the
 * difference between our clock and the client's at sending (`receivedAt - sentAt`). A client
 * whose clock runs an hour fast thus lands its events at the right time; a backfill that sends
 * old timestamps keeps them. A skew beyond MAX_SKEW_MS is not corrected. Without `timestamp`,
 * the message happened when it was sent.
 */
export function occurredAt(input: { timestamp?: Date | undefined; sentAt?: Date | undefined; receivedAt: Date }): Date {
  const { timestamp, sentAt, receivedAt } = input;
  if (timestamp === undefined) return receivedAt;
  if (sentAt === undefined) return timestamp;
  const skew = receivedAt.getTime() - sentAt.getTime();
  return Math.abs(skew) > MAX_SKEW_MS ? timestamp : new Date(timestamp.getTime() + skew);
}
