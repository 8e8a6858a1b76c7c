/**
 * When a message happened, as Segment computes it: the client's `timestamp`, shifted by the
 * difference between our clock and the client's at sending (`receivedAt - sentAt`). A client
 * whose clock runs an hour fast thus lands its events at the right time; a backfill that sends
 * old timestamps keeps them. Without `timestamp`, the message happened when it was sent.
 */
export function occurredAt(input: { timestamp?: Date | undefined; sentAt?: Date | undefined; receivedAt: Date }): Date {
  const { timestamp, sentAt, receivedAt } = input;
  if (timestamp === undefined) return receivedAt;
  if (sentAt === undefined) return timestamp;
  return new Date(timestamp.getTime() + (receivedAt.getTime() - sentAt.getTime()));
}
