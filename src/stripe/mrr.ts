/** The parts of a Stripe subscription item that make up its price. */
export interface PricedItem {
  quantity?: number | null;
  price?: {
    unit_amount?: number | null;
    unit_amount_decimal?: string | null;
    currency?: string;
    recurring?: { interval: "day" | "week" | "month" | "year"; interval_count?: number } | null;
  } | null;
}

const PER_MONTH = { day: 365 / 12, week: 52 / 12, month: 1, year: 1 / 12 } as const;

/**
 * Monthly recurring revenue of a subscription's items, in the currency's minor units: each price
 * times its quantity, normalised to a month (a yearly 120.00 is 10.00 a month; weekly × 52/12).
 * Rounded once, at the end, so many small items do not drift.
 */
export function monthlyRecurringMinor(items: readonly PricedItem[]): number {
  let total = 0;
  for (const item of items) {
    const price = item.price;
    if (!price?.recurring) continue;
    const amount = price.unit_amount ?? (price.unit_amount_decimal ? Number(price.unit_amount_decimal) : 0);
    const quantity = item.quantity ?? 1;
    total += (amount * quantity * PER_MONTH[price.recurring.interval]) / (price.recurring.interval_count ?? 1);
  }
  return Math.round(total);
}
