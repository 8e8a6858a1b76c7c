import { describe, expect, it } from "vitest";
import { formatDay, formatMoney, formattingLocale, type RecipientRow, renderContextOf } from "./build-render-context.js";

const extra = (formatLocale: string) => ({
  campaign: { id: "c", name: "C", category: "winback" },
  facts: {},
  company: { name: "Acme", url: "https://acme.example" },
  links: { unsubscribe: "https://u", billing: "https://b", updateCard: "https://c", app: "https://a" },
  defaultTimeZone: "Europe/Berlin",
  formatLocale,
});
const customer = (locale: string | null): RecipientRow => ({ customer_id: 1, external_id: "x", email: "x@example.com", name: "Xe", locale, timezone: null, plan: null, traits: {} });
const subscription = { status: "active", plan: "pro", mrr_minor: 30000, currency: "EUR", current_period_end: "2026-12-18T10:00:00Z" };

describe("money and dates in an email", () => {
  it("are in the language of the email sent, refined by the customer's region only within that language", () => {
    expect(formattingLocale("en", "de-DE")).toBe("en");
    expect(formattingLocale("en", "en-GB")).toBe("en-GB");
    expect(formattingLocale("sv", "sv-FI")).toBe("sv-FI");
    expect(formattingLocale("sv", "sv")).toBe("sv");
    expect(formattingLocale("en", null)).toBe("en");
    expect(formattingLocale("sv", "SV-se")).toBe("SV-se");
  });

  it("a German customer reading the English email gets English money and dates", () => {
    const context = renderContextOf(customer("de-DE"), subscription, null, extra(formattingLocale("en", "de-DE")));
    expect(context.subscription).toMatchObject({ mrr: "€300.00", currentPeriodEnd: "December 18, 2026" });
    // Their own locale is still theirs to use in the template.
    expect(context.customer.locale).toBe("de-DE");
  });

  it("a Swedish customer reading the Swedish email gets Swedish ones", () => {
    const context = renderContextOf(customer("sv-SE"), subscription, null, extra(formattingLocale("sv", "sv-SE")));
    expect(context.subscription).toMatchObject({ mrr: "300,00\u00a0€", currentPeriodEnd: "18 december 2026" });
  });

  it("fall back to plain figures for a currency or zone Intl does not know", () => {
    expect(formatMoney(1234, "XYZ1", "en")).toBe("12.34 XYZ1");
    expect(formatDay("2026-12-18T10:00:00Z", "en", "Mars/Olympus")).toBe("2026-12-18");
  });
});
