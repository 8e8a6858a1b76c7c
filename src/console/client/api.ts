import type { ApiRoute, BodyOf, ParamsOf, QueryOf, ResponseOf } from "../../api/index.js";
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

/** What one call sends besides the route: its path's parameters, query and body, and a key other than the session's. */
type CallOptions<R extends ApiRoute> = { query?: QueryOf<R>; body?: BodyOf<R>; key?: string } & (keyof ParamsOf<R> extends never ? { params?: never } : { params: ParamsOf<R> });

/**
 * One call to Rekindle's API with the session's key as a bearer token, named by its route as the
 * server registers it (`GET /api/campaigns/:id`): the parameters, query, body and answer are typed
 * by the route's schemas in src/api (imported as types only: the bundle carries none of them).
 */
export async function api<R extends ApiRoute>(route: R, ...[init]: keyof ParamsOf<R> extends never ? [CallOptions<R>?] : [CallOptions<R>]): Promise<ResponseOf<R>> {
  const [method = "GET", pattern = ""] = route.split(" ");
  const params: Record<string, string> = init?.params ?? {};
  const path = pattern.replace(/:(\w+)/g, (_, name: string) => encodeURIComponent(params[name] ?? ""));
  const key = init?.key ?? session.key();
  const response = await fetch(path + query(init?.query ?? {}), {
    method,
    headers: {
      accept: "application/json",
      ...(key && { authorization: `Bearer ${key}` }),
      ...(init?.body !== undefined && { "content-type": "application/json" }),
    },
    ...(init?.body !== undefined && { body: JSON.stringify(init.body) }),
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
    if (response.status === 401 && init?.key === undefined) onUnauthorized(failure.message);
    throw failure;
  }
  // The server checks its answers against the same schemas (satisfies AnswerOf<route>); parsing them
  // again here would put zod in the bundle for no new guarantee.
  return body as ResponseOf<R>;
}

/** `?a=1&b=2` from the defined entries. */
export function query(params: Record<string, string | number | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) if (value !== undefined && value !== null && value !== "") search.set(name, String(value));
  const text = search.toString();
  return text ? `?${text}` : "";
}
