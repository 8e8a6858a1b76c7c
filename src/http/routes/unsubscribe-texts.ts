import { chooseLocale } from "../../render/index.js";

/**
 * What the unsubscribe page says, in one language. Arguments arrive HTML-escaped; `kind` is what
 * `kind()` made of the email's category.
 */
export interface UnsubscribeTexts {
  invalidTitle: string;
  invalidBody: string;
  title: string;
  /** The emails of a category, as a plural noun phrase: `dunning emails`, `betalningspåminnelser`. */
  kind(category: string): string;
  question(company: string, email: string): string;
  legend: string;
  onlyKind(kind: string, example: string): string;
  billingNotice(example: string): string;
  all(company: string): string;
  button: string;
  doneTitle: string;
  doneAll(email: string, company: string): string;
  doneKind(email: string, kind: string, company: string): string;
}

const EN: UnsubscribeTexts = {
  invalidTitle: "This link is not valid",
  invalidBody: "The unsubscribe link is incomplete or was changed. Use the link from the email itself.",
  title: "Unsubscribe",
  kind: (category) => `${category} emails`,
  question: (company, email) => `Which emails should ${company} stop sending to <strong>${email}</strong>?`,
  legend: "Unsubscribe from",
  onlyKind: (kind, example) => `Only ${kind} like “${example}”`,
  billingNotice: (example) => `“${example}” is a notice about your account's billing; it is sent whatever your email preferences.`,
  all: (company) => `All emails from ${company} (notices about your account's billing excepted)`,
  button: "Unsubscribe",
  doneTitle: "You are unsubscribed",
  doneAll: (email, company) => `${email} will get no more emails from ${company} (except notices about your account's billing).`,
  doneKind: (email, kind, company) => `${email} will get no more ${kind} from ${company}.`,
};

/** The starter campaigns' categories, in Swedish; any other is named as it is. */
const SV_KINDS: Record<string, string> = {
  dunning: "betalningspåminnelser",
  winback: "mejl om att komma tillbaka",
  onboarding: "mejl om att komma igång",
  loyalty: "mejl om förmåner för trogna kunder",
};

const SV: UnsubscribeTexts = {
  invalidTitle: "Länken fungerar inte",
  invalidBody: "Länken för att avsluta prenumerationen är ofullständig eller har ändrats. Använd länken i mejlet.",
  title: "Avsluta prenumeration",
  kind: (category) => SV_KINDS[category] ?? `mejl i kategorin ${category}`,
  question: (company, email) => `Vilka mejl ska ${company} sluta skicka till <strong>${email}</strong>?`,
  legend: "Sluta skicka",
  onlyKind: (kind, example) => `Bara ${kind}, som ”${example}”`,
  billingNotice: (example) => `”${example}” gäller betalningen för ditt konto och skickas oavsett vilka mejl du vill ha.`,
  all: (company) => `Alla mejl från ${company} (utom meddelanden om betalningen för ditt konto)`,
  button: "Avsluta prenumeration",
  doneTitle: "Prenumerationen är avslutad",
  doneAll: (email, company) => `${email} får inga fler mejl från ${company} (utom meddelanden om betalningen för ditt konto).`,
  doneKind: (email, kind, company) => `${email} får inga fler ${kind} från ${company}.`,
};

/** The languages the page is shipped in; another is answered in English. */
const TEXTS = new Map<string | null, { lang: string; texts: UnsubscribeTexts }>([
  [null, { lang: "en", texts: EN }],
  ["en", { lang: "en", texts: EN }],
  ["sv", { lang: "sv", texts: SV }],
]);

/** The page in the language of an email (`sv`, `sv-SE`, `en-GB`); English for one it is not shipped in. */
export function unsubscribeTexts(locale: string | null): { lang: string; texts: UnsubscribeTexts } {
  return chooseLocale(TEXTS, locale) ?? { lang: "en", texts: EN };
}

/**
 * For a link whose email is unknown (a broken token): the first shipped language the browser
 * asks for in `Accept-Language`, else `fallback`.
 */
export function textsForBrowser(acceptLanguage: string | undefined, fallback: string): { lang: string; texts: UnsubscribeTexts } {
  const asked = (acceptLanguage ?? "")
    .split(",")
    .map((part) => {
      const [tag = "", ...params] = part.trim().split(";");
      const q = Number(params.find((p) => p.trim().startsWith("q="))?.trim().slice(2) ?? 1);
      return { tag: tag.trim(), q: Number.isFinite(q) ? q : 0 };
    })
    .filter((entry) => entry.tag && entry.tag !== "*" && entry.q > 0)
    .sort((a, b) => b.q - a.q);
  for (const { tag } of asked) {
    const found = chooseLocale(new Map([...TEXTS].filter(([key]) => key !== null)), tag);
    if (found) return found;
  }
  return unsubscribeTexts(fallback);
}
