/** The variables that make up who emails come from, as the environment gives them. */
export interface SenderVariables {
  MAIL_FROM?: string | undefined;
  COMPANY_NAME?: string | undefined;
  APP_URL?: string | undefined;
  BILLING_URL?: string | undefined;
}

/** The display name of a From header (`Acme <hello@acme.example>` → `Acme`), if it has one. */
export function displayName(from: string): string | undefined {
  return from.match(/^\s*"?([^"<]+?)"?\s*</)?.[1];
}

/** The address of a From header, with or without a display name. */
function senderAddress(from: string): string {
  return (from.match(/<([^>]*)>/)?.[1] ?? from).trim();
}

/**
 * What production refuses of the sender identity: the development defaults would otherwise reach
 * customers as `From: Rekindle <rekindle@localhost>`, signed "Rekindle", with the billing link
 * pointing at Rekindle itself instead of the product.
 */
export function senderProblems(e: SenderVariables): { variable: string; message: string }[] {
  const problems: { variable: string; message: string }[] = [];
  const example = 'e.g. "Acme <hello@acme.example>"';
  if (e.MAIL_FROM === undefined) {
    problems.push({ variable: "MAIL_FROM", message: `required when NODE_ENV=production: the sender of your emails, ${example}` });
  } else if (!/@[^@\s]+\.[^@\s]+$/.test(senderAddress(e.MAIL_FROM)) || /@(localhost|.+\.localhost|localhost\.localdomain)$/i.test(senderAddress(e.MAIL_FROM))) {
    problems.push({ variable: "MAIL_FROM", message: `"${senderAddress(e.MAIL_FROM)}" is not an address mail can be sent from; production needs one at your own domain, ${example}` });
  }
  // An explicit COMPANY_NAME=Rekindle is a choice; the same name taken from the default sender is not.
  const named = displayName(e.MAIL_FROM ?? "");
  if (e.COMPANY_NAME === undefined && (named === undefined || named.toLowerCase() === "rekindle")) {
    problems.push({ variable: "COMPANY_NAME", message: "required when NODE_ENV=production (or a display name other than Rekindle in MAIL_FROM): the name your emails sign with" });
  }
  if (e.APP_URL === undefined) problems.push({ variable: "APP_URL", message: "required when NODE_ENV=production: your product, where {{links.app}} and {{company.url}} in emails point" });
  if (e.BILLING_URL === undefined) {
    problems.push({ variable: "BILLING_URL", message: "required when NODE_ENV=production: where customers manage billing ({{links.billing}}, the dunning email's \"Update payment details\")" });
  }
  return problems;
}
