/**
 * "Why not?": one customer against one campaign, test by test, in the order enrollment applies them.
 *
 * Terminology:
 * - check: one test (`trigger`, `audience`…), whether it passed, and the values involved in words.
 * - stops: what a failed check keeps from happening — the customer entering (`entry`), or only the
 *   emails going out while they still enter (`email`: pauses, suppressions, the holdout).
 * - next: what would make a failed check pass, and when, where that can be worked out.
 */

/** The tests, in the order they are reported. */
export type CheckName = "campaign" | "trigger" | "reentry" | "audience" | "goal" | "block" | "address" | "pause" | "suppression" | "holdout";

/** One test of an audience condition tree, with its result for the customer; `all`/`any`/`not` hold their children. */
export interface ConditionResult {
  kind: "all" | "any" | "not" | "attribute" | "event";
  passed: boolean;
  /** The test and the customer's value, e.g. "subscription.status should be one of active, trialing; it is canceled". */
  text: string;
  children?: ConditionResult[];
}

/** What would make a failed check pass: in words, and the moment when it can be worked out. */
export interface NextChance {
  text: string;
  at?: string;
}

/** What a trigger found for the customer, in words, with what would make it match. */
export interface TriggerWords {
  detail: string;
  next?: NextChance;
}

export interface EntryCheck {
  test: CheckName;
  /** The test in a few words, e.g. "Trigger: card expiring within 30 days". */
  title: string;
  passed: boolean;
  /** The customer's values against what the test looks for, and the verdict. */
  detail: string;
  stops: "entry" | "email";
  /** The audience tree with each test's result (audience only). */
  conditions?: ConditionResult;
  /** Failed checks only, when derivable. */
  next?: NextChance;
}

export interface EntryExplanation {
  campaignId: string;
  customerId: string;
  /** The moment explained (ISO). */
  at: string;
  /** `scan`: as the scan would run now; `recent-events`: over the events received in the dry run's window (the last hour). */
  basis: "scan" | "recent-events";
  checks: EntryCheck[];
  conclusion: {
    /** The engine's own answer (the dry run's statement for this customer), not a re-derivation of the checks. */
    wouldEnter: boolean;
    /** Whether the first email would go out now once entered: not paused, suppressed, held out, or without an address. */
    wouldBeEmailed: boolean;
    /** "would enter now", or "would not enter: <first failing test>: <its detail>". */
    summary: string;
    /** The first failing check that keeps them out (or, when they enter, that keeps the email from going out). */
    firstFailure: CheckName | null;
    next: NextChance | null;
  };
}
