import type { ConditionResult, EntryCheck, EntryExplanation } from "../campaigns/index.js";

const mark = (passed: boolean) => (passed ? "✓" : "✗");
const stamp = (iso: string) => `${iso.slice(0, 16).replace("T", " ")} UTC`;

function tree(result: ConditionResult, depth: number): string[] {
  return [`${"  ".repeat(depth)}${mark(result.passed)} ${result.text}`, ...(result.children ?? []).flatMap((child) => tree(child, depth + 1))];
}

function line(check: EntryCheck): string[] {
  // A tree of one test says no more than the check's own line.
  const conditions = check.conditions?.children ? tree(check.conditions, 3) : [];
  return [`  ${mark(check.passed)} ${check.title}: ${check.detail}`, ...conditions];
}

/** `rekindle dry-run <campaign> --customer <id>`: each test with ✓ or ✗ and its values, then the verdict and what would change it. */
export function formatExplanation(explanation: EntryExplanation): string {
  const { checks, conclusion } = explanation;
  const basis = explanation.basis === "scan" ? "as the scan would run now" : "over the events received in the last hour";
  const first = checks.find((check) => check.test === conclusion.firstFailure);
  const verdict = conclusion.wouldEnter
    ? first
      ? `Would enter now, but no email would go out: ${first.title}.`
      : "Would enter now."
    : `Would not enter${first ? `: ${first.title}` : " now, although each test passes on its own"}.`;
  return [
    `${explanation.customerId} in ${explanation.campaignId} at ${stamp(explanation.at)} (${basis})`,
    "Entering:",
    ...checks.filter((check) => check.stops === "entry").flatMap(line),
    "Once entered, their emails:",
    ...checks.filter((check) => check.stops === "email").flatMap(line),
    verdict,
    ...(conclusion.next ? [`Next: ${conclusion.next.text}.`] : []),
    "",
  ].join("\n");
}
