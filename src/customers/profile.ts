import { z } from "zod";
import { isTimeZone } from "../time/index.js";
import { inTimeRange } from "../validation/index.js";

export { isTimeZone };

/**
 * Changes to a customer's profile columns. Absent fields are left as they are; `traits` is merged
 * key by key, and a trait set to null is removed.
 */
export interface ProfilePatch {
  email?: string;
  name?: string;
  locale?: string;
  timezone?: string;
  plan?: string;
  signedUpAt?: Date;
  traits?: Record<string, unknown>;
}

export function canonicalLocale(value: string): string | undefined {
  try {
    return Intl.getCanonicalLocales(value.replace(/_/g, "-"))[0];
  } catch {
    return undefined;
  }
}

const Email = z.email();

/** Traits that have a column of their own (Segment's reserved trait names, and common spellings). */
const MAPPED_TRAITS = new Set([
  "email",
  "name",
  "firstName",
  "lastName",
  "first_name",
  "last_name",
  "locale",
  "language",
  "timezone",
  "timeZone",
  "plan",
  "createdAt",
  "created_at",
]);

function text(value: unknown): string | undefined {
  if (typeof value === "string" && value.trim() !== "") return value.trim();
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  return undefined;
}

/** Segment's `createdAt` trait: an ISO-8601 string or Unix seconds, within 1970–2099 (else it stays a trait). */
function signupTime(value: unknown): Date | undefined {
  if (typeof value === "number" && Number.isFinite(value)) {
    // Seconds, as Segment documents; a value this large can only be milliseconds.
    const date = new Date(value > 1e11 ? value : value * 1000);
    return inTimeRange(date) ? date : undefined;
  }
  if (typeof value === "string" && value.trim() !== "") {
    const date = new Date(value);
    return inTimeRange(date) ? date : undefined;
  }
  return undefined;
}

/**
 * Maps Segment identify traits (and the locale and timezone analytics.js puts in `context`) onto
 * profile columns. A value that is not usable for its column (an email that is not one, an
 * unknown time zone) is kept in `traits` rather than dropped, so nothing the client sent is lost.
 */
export function traitsToProfile(traits: Record<string, unknown>, context: Record<string, unknown> = {}): ProfilePatch {
  const patch: ProfilePatch = {};
  const rest: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(traits)) {
    if (!MAPPED_TRAITS.has(key)) rest[key] = value;
  }

  const email = text(traits.email);
  if (email !== undefined) {
    if (Email.safeParse(email).success) patch.email = email;
    else rest.email = traits.email;
  }

  const first = text(traits.firstName) ?? text(traits.first_name);
  const last = text(traits.lastName) ?? text(traits.last_name);
  const name = text(traits.name) ?? ([first, last].filter(Boolean).join(" ") || undefined);
  if (name !== undefined) patch.name = name;
  if (first !== undefined) rest.firstName = first;
  if (last !== undefined) rest.lastName = last;

  const localeText = text(traits.locale) ?? text(traits.language) ?? text(context.locale);
  if (localeText !== undefined) {
    const locale = canonicalLocale(localeText);
    if (locale) patch.locale = locale;
    else rest.locale = localeText;
  }

  const timezone = text(traits.timezone) ?? text(traits.timeZone) ?? text(context.timezone);
  if (timezone !== undefined) {
    if (isTimeZone(timezone)) patch.timezone = timezone;
    else rest.timezone = timezone;
  }

  const plan = text(traits.plan);
  if (plan !== undefined) patch.plan = plan;

  const createdAt = traits.createdAt ?? traits.created_at;
  if (createdAt !== undefined) {
    const signedUpAt = signupTime(createdAt);
    if (signedUpAt) patch.signedUpAt = signedUpAt;
    else rest.createdAt = createdAt;
  }

  if (Object.keys(rest).length > 0) patch.traits = rest;
  return patch;
}

/** Folds patches in order: later fields win, traits merge. */
export function mergeProfilePatches(patches: ProfilePatch[]): ProfilePatch {
  const merged: ProfilePatch = {};
  for (const patch of patches) {
    const { traits, ...fields } = patch;
    Object.assign(merged, fields);
    if (traits) merged.traits = { ...merged.traits, ...traits };
  }
  return merged;
}
