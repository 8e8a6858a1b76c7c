import { asc, eq } from "drizzle-orm";
import { customerActivity, customers, type Db, paymentMethods, subscriptions } from "../db/index.js";

/** A customer as the API shows it: profile, subscriptions and cards, by external ids. */
export interface CustomerView {
  id: string;
  email: string | null;
  name: string | null;
  locale: string | null;
  timezone: string | null;
  plan: string | null;
  signedUpAt: Date | null;
  traits: Record<string, unknown>;
  lastSeenAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
  subscriptions: {
    id: string;
    status: string;
    plan: string | null;
    mrrMinor: number;
    currency: string;
    startedAt: Date | null;
    trialEndsAt: Date | null;
    currentPeriodEnd: Date | null;
    cancelAtPeriodEnd: boolean;
    pausedAt: Date | null;
    resumedAt: Date | null;
    canceledAt: Date | null;
  }[];
  paymentMethods: {
    id: string;
    brand: string | null;
    last4: string | null;
    expMonth: number;
    expYear: number;
    expiresOn: string | null;
    isDefault: boolean;
    detachedAt: Date | null;
  }[];
}

/** Reads one customer by external id, or undefined when there is none. */
export async function getCustomer(db: Db, externalId: string): Promise<CustomerView | undefined> {
  const [customer] = await db.select().from(customers).where(eq(customers.externalId, externalId));
  if (!customer) return undefined;
  const [subs, cards, activity] = await Promise.all([
    db.select().from(subscriptions).where(eq(subscriptions.customerId, customer.id)).orderBy(asc(subscriptions.id)),
    db.select().from(paymentMethods).where(eq(paymentMethods.customerId, customer.id)).orderBy(asc(paymentMethods.id)),
    db.select({ lastSeenAt: customerActivity.lastSeenAt }).from(customerActivity).where(eq(customerActivity.customerId, customer.id)),
  ]);
  return {
    id: customer.externalId,
    email: customer.email,
    name: customer.name,
    locale: customer.locale,
    timezone: customer.timezone,
    plan: customer.plan,
    signedUpAt: customer.signedUpAt,
    traits: customer.traits,
    lastSeenAt: activity[0]?.lastSeenAt ?? null,
    createdAt: customer.createdAt,
    updatedAt: customer.updatedAt,
    subscriptions: subs.map((s) => ({
      id: s.externalId,
      status: s.status,
      plan: s.plan,
      mrrMinor: s.mrrMinor,
      currency: s.currency,
      startedAt: s.startedAt,
      trialEndsAt: s.trialEndsAt,
      currentPeriodEnd: s.currentPeriodEnd,
      cancelAtPeriodEnd: s.cancelAtPeriodEnd,
      pausedAt: s.pausedAt,
      resumedAt: s.resumedAt,
      canceledAt: s.canceledAt,
    })),
    paymentMethods: cards.map((c) => ({
      id: c.externalId,
      brand: c.brand,
      last4: c.last4,
      expMonth: c.expMonth,
      expYear: c.expYear,
      expiresOn: c.expiresOn,
      isDefault: c.isDefault,
      detachedAt: c.detachedAt,
    })),
  };
}
