import { session } from "./session.js";

/** A refusal from the API, as its error handler renders it: code, message, and each problem with its path. */
export class ApiError extends Error {
  override readonly name = "ApiError";
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly problems: { path: string; message: string }[] = [],
  ) {
    super(message);
  }
}

/** Called when the key is refused (revoked, or the session was lost): the page goes back to sign-in. */
let onUnauthorized: (message: string) => void = () => {};
export const whenUnauthorized = (handler: (message: string) => void) => {
  onUnauthorized = handler;
};

/** One call to Rekindle's API with the session's key as a bearer token. */
export async function api<T>(path: string, init: { method?: string; body?: unknown; key?: string } = {}): Promise<T> {
  const key = init.key ?? session.key();
  const response = await fetch(path, {
    method: init.method ?? "GET",
    headers: {
      accept: "application/json",
      ...(key && { authorization: `Bearer ${key}` }),
      ...(init.body !== undefined && { "content-type": "application/json" }),
    },
    ...(init.body !== undefined && { body: JSON.stringify(init.body) }),
  });
  const text = await response.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    throw new ApiError(response.status, "bad_response", `Rekindle answered ${response.status} with something that is not JSON.`);
  }
  if (!response.ok) {
    const error = (body as { error?: { code?: string; message?: string; problems?: { path: string; message: string }[] } } | undefined)?.error;
    const failure = new ApiError(response.status, error?.code ?? "error", error?.message ?? `Rekindle answered ${response.status}.`, error?.problems ?? []);
    if (response.status === 401 && init.key === undefined) onUnauthorized(failure.message);
    throw failure;
  }
  return body as T;
}

/** `?a=1&b=2` from the defined entries. */
export function query(params: Record<string, string | number | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) if (value !== undefined && value !== null && value !== "") search.set(name, String(value));
  const text = search.toString();
  return text ? `?${text}` : "";
}

export const enc = encodeURIComponent;
