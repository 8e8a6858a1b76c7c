/** What became of a message: expected outcomes are values; infrastructure faults are thrown. */
export type SendOutcome =
  | { type: "sent"; smtpMessageId: string }
  | { type: "done"; next: string }
  | { type: "skipped"; reason: string }
  | { type: "deferred"; until: Date; reason: string }
  | { type: "failed"; reason: string; detail?: string }
  | { type: "not-ready"; status: string }
  /** SMTP answered, but the answer could not be written within RESULT_RETRY: the row will be reported `uncertain`. */
  | { type: "not-recorded"; status: "sent" | "failed"; detail: string };

/** Thrown for a transient failure so that the queue retries the job with backoff. */
export class RetryableSendError extends Error {
  override readonly name = "RetryableSendError";
}
