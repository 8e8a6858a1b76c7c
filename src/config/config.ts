import { Temporal } from "temporal-polyfill";
import type { CapRule, SendWindow } from "../policy/index.js";
import { durationMs } from "../time/index.js";
import { Environment } from "./environment.js";
import { displayName, senderProblems } from "./sender-identity.js";

/** Configuration after defaults are applied: what the rest of the code receives. */
export interface Config {
  env: Environment["NODE_ENV"];
  http: {
    host: string;
    port: number;
    /** API_PROCESSES: how many `rekindle api` processes share the port. */
    processes: number;
    publicUrl: string;
    /** HTTP_HEADERS_TIMEOUT, HTTP_BODY_TIMEOUT and HTTP_REQUEST_TIMEOUT, in milliseconds. */
    timeouts: { headersMs: number; bodyMs: number; requestMs: number };
  };
  database: { url: string | undefined; poolSize: number; connectionOptions: string | undefined };
  redis: {
    /** REDIS_URL when it is a URL. */
    url: string | undefined;
    /** REDIS_URL=local: always start a redis-server of Rekindle's own, never look for one on 127.0.0.1:6379. */
    local: boolean;
    prefix: string;
  };
  mail: {
    smtpUrl: string;
    maxConnections: number;
    from: string;
    unsubscribeMailto: string | undefined;
    /** Set when DKIM signing is configured; the key is read at start-up when given as a file. */
    dkim: { domain: string; selector: string; privateKey: string | undefined; privateKeyFile: string | undefined } | undefined;
  };
  secretKey: string | undefined;
  /** APP_SIGNING_SECRET: signs cancel-flow webhooks and card-update redirects to the app. */
  appSigningSecret: string | undefined;
  writeKeys: string[];
  apiKeys: string[];
  /** True where a development default stands in for a key the operator did not set. */
  usingDevelopmentKeys: boolean;
  dataDir: string;
  /** PATH, where a local redis-server is looked for when no Redis answers. */
  searchPath: string;
  campaigns: { templatesDir: string; scanInterval: string; scanConcurrency: number };
  webhooks: { allowPrivate: string[] };
  stripe: {
    secrets: string[];
    toleranceSeconds: number;
    metadataKey: string;
    /** STRIPE_SECRET_KEY: set when Rekindle may call Stripe's API. */
    secretKey: string | undefined;
    /** STRIPE_API_URL, without a trailing slash. */
    apiUrl: string;
  };
  cancelFlow: {
    /** How decisions are applied: CANCEL_FLOW_APPLY, or what the configuration allows. */
    apply: "stripe" | "webhook" | "support";
    webhookUrl: string | undefined;
    sessionTtlMs: number;
    cardLinkTtlMs: number;
  };
  delivery: {
    defaultTimeZone: string;
    /** DEFAULT_LOCALE: the language of the default template variants. */
    defaultLocale: string;
    companyName: string;
    links: { app: string; billing: string };
    dispatchInterval: string;
    dispatchHorizon: string;
    sendConcurrency: number;
    sendAttempts: number;
    sendBackoffMs: number;
    sendLease: string;
    queueLeaseMs: number;
    databaseRetryMs: number;
    resultRetryMs: number;
    frequencyCap: CapRule[];
    frequencyCapExempt: string[];
    sendWindow: SendWindow | undefined;
    rateLimit: { max: number; durationMs: number } | undefined;
  };
  logLevel: Environment["LOG_LEVEL"];
  worker: { taskLeaseMs: number };
  eventRetention: string;
  eventDedupeWindow: string;
  shutdownTimeout: string;
}

export const DEVELOPMENT_WRITE_KEY = "rekindle-dev-write-key";
export const DEVELOPMENT_MAIL_FROM = "Rekindle <rekindle@localhost>";
export const DEVELOPMENT_API_KEY = "rekindle-dev-api-key-0001";

/** Thrown when the environment does not parse; its message names every bad variable. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
  constructor(readonly problems: { variable: string; message: string }[]) {
    super(
      "Rekindle cannot start: the configuration is invalid.\n" +
        problems.map((p) => `  ${p.variable}: ${p.message}`).join("\n"),
    );
  }
}

/** The process's own environment: the one place `process.env` is read. */
export function loadProcessConfig(): Config {
  return loadConfig(process.env);
}

/** Parses the environment once. Empty strings count as unset, as most shells and .env files intend. */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const cleaned = Object.fromEntries(
    Object.keys(Environment.shape)
      .map((key) => [key, env[key]?.trim()] as const)
      .filter(([, value]) => value !== undefined && value !== ""),
  );
  const result = Environment.safeParse(cleaned);
  const problems: { variable: string; message: string }[] = [];
  if (!result.success) {
    for (const issue of result.error.issues) {
      problems.push({ variable: String(issue.path[0] ?? "environment"), message: issue.message });
    }
    throw new ConfigError(problems);
  }
  const e = result.data;
  const dkimSet = [e.DKIM_DOMAIN, e.DKIM_SELECTOR, e.DKIM_PRIVATE_KEY ?? e.DKIM_PRIVATE_KEY_FILE].filter((v) => v !== undefined).length;
  if (dkimSet !== 0 && dkimSet !== 3) {
    for (const variable of ["DKIM_DOMAIN", "DKIM_SELECTOR", "DKIM_PRIVATE_KEY"] as const) {
      const value = variable === "DKIM_PRIVATE_KEY" ? (e.DKIM_PRIVATE_KEY ?? e.DKIM_PRIVATE_KEY_FILE) : e[variable];
      if (value === undefined) problems.push({ variable, message: "DKIM needs DKIM_DOMAIN, DKIM_SELECTOR and DKIM_PRIVATE_KEY (or DKIM_PRIVATE_KEY_FILE) together" });
    }
    throw new ConfigError(problems);
  }
  const apply = e.CANCEL_FLOW_APPLY ?? (e.STRIPE_SECRET_KEY ? "stripe" : e.CANCEL_WEBHOOK_URL ? "webhook" : "support");
  if (apply === "stripe" && !e.STRIPE_SECRET_KEY) throw new ConfigError([{ variable: "CANCEL_FLOW_APPLY", message: "stripe needs STRIPE_SECRET_KEY" }]);
  if (apply === "webhook" && !e.CANCEL_WEBHOOK_URL) throw new ConfigError([{ variable: "CANCEL_FLOW_APPLY", message: "webhook needs CANCEL_WEBHOOK_URL" }]);
  if (e.CANCEL_WEBHOOK_URL && !e.APP_SIGNING_SECRET) throw new ConfigError([{ variable: "APP_SIGNING_SECRET", message: "required with CANCEL_WEBHOOK_URL: your app checks each delivery's signature with it" }]);
  if (durationMs(e.HTTP_HEADERS_TIMEOUT) > durationMs(e.HTTP_BODY_TIMEOUT)) {
    throw new ConfigError([{ variable: "HTTP_HEADERS_TIMEOUT", message: "must not be longer than HTTP_BODY_TIMEOUT (the headers are part of the request)" }]);
  }
  if (e.NODE_ENV === "production") {
    for (const variable of ["SECRET_KEY", "WRITE_KEYS", "API_KEYS", "PUBLIC_URL"] as const) {
      if (e[variable] === undefined) problems.push({ variable, message: "required when NODE_ENV=production" });
    }
    if (e.STRIPE_SECRET_KEY?.startsWith("sk_test_") || e.STRIPE_SECRET_KEY?.startsWith("rk_test_")) problems.push({ variable: "STRIPE_SECRET_KEY", message: "is a test-mode key; production needs a live one" });
    if (e.SMTP_URL === "log") problems.push({ variable: "SMTP_URL", message: "required when NODE_ENV=production (smtp:// or smtps://)" });
    // Unsubscribe links must be https for mailbox providers to offer one-click unsubscribe.
    if (e.PUBLIC_URL?.startsWith("http://")) problems.push({ variable: "PUBLIC_URL", message: "must be https:// when NODE_ENV=production" });
    problems.push(...senderProblems(e));
    if (problems.length > 0) throw new ConfigError(problems);
  }
  return {
    env: e.NODE_ENV,
    http: {
      host: e.HOST,
      port: e.PORT,
      processes: e.API_PROCESSES,
      publicUrl: (e.PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, ""),
      timeouts: { headersMs: durationMs(e.HTTP_HEADERS_TIMEOUT), bodyMs: durationMs(e.HTTP_BODY_TIMEOUT), requestMs: durationMs(e.HTTP_REQUEST_TIMEOUT) },
    },
    database: { url: e.DATABASE_URL, poolSize: e.DATABASE_POOL_SIZE, connectionOptions: e.PGOPTIONS },
    redis: { url: e.REDIS_URL === "local" ? undefined : e.REDIS_URL, local: e.REDIS_URL === "local", prefix: e.REDIS_PREFIX },
    mail: {
      smtpUrl: e.SMTP_URL,
      maxConnections: e.SMTP_MAX_CONNECTIONS ?? Math.min(e.SEND_CONCURRENCY, 10),
      from: e.MAIL_FROM ?? DEVELOPMENT_MAIL_FROM,
      unsubscribeMailto: e.UNSUBSCRIBE_MAILTO,
      dkim:
        e.DKIM_DOMAIN && e.DKIM_SELECTOR
          ? { domain: e.DKIM_DOMAIN, selector: e.DKIM_SELECTOR, privateKey: e.DKIM_PRIVATE_KEY?.replace(/\\n/g, "\n"), privateKeyFile: e.DKIM_PRIVATE_KEY_FILE }
          : undefined,
    },
    secretKey: e.SECRET_KEY,
    appSigningSecret: e.APP_SIGNING_SECRET,
    writeKeys: e.WRITE_KEYS ?? [DEVELOPMENT_WRITE_KEY],
    apiKeys: e.API_KEYS ?? [DEVELOPMENT_API_KEY],
    usingDevelopmentKeys: e.WRITE_KEYS === undefined || e.API_KEYS === undefined,
    dataDir: e.DATA_DIR,
    searchPath: env.PATH ?? "",
    campaigns: { templatesDir: e.TEMPLATES_DIR, scanInterval: e.SCAN_INTERVAL, scanConcurrency: e.SCAN_CONCURRENCY },
    webhooks: { allowPrivate: e.WEBHOOK_ALLOW_PRIVATE },
    stripe: {
      secrets: e.STRIPE_WEBHOOK_SECRETS ?? [],
      toleranceSeconds: Math.round(Temporal.Duration.from(e.STRIPE_TOLERANCE).total({ unit: "seconds" })),
      metadataKey: e.STRIPE_CUSTOMER_ID_METADATA,
      secretKey: e.STRIPE_SECRET_KEY,
      apiUrl: e.STRIPE_API_URL.replace(/\/+$/, ""),
    },
    cancelFlow: {
      apply,
      webhookUrl: e.CANCEL_WEBHOOK_URL,
      sessionTtlMs: durationMs(e.CANCEL_SESSION_TTL),
      cardLinkTtlMs: durationMs(e.CARD_LINK_TTL),
    },
    delivery: {
      defaultTimeZone: e.DEFAULT_TIMEZONE,
      defaultLocale: e.DEFAULT_LOCALE,
      companyName: e.COMPANY_NAME ?? displayName(e.MAIL_FROM ?? DEVELOPMENT_MAIL_FROM) ?? "Rekindle",
      links: {
        app: e.APP_URL ?? (e.PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, ""),
        billing: e.BILLING_URL ?? (e.PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, ""),
      },
      dispatchInterval: e.DISPATCH_INTERVAL,
      dispatchHorizon: e.DISPATCH_HORIZON,
      sendConcurrency: e.SEND_CONCURRENCY,
      sendAttempts: e.SEND_ATTEMPTS,
      sendBackoffMs: Math.round(Temporal.Duration.from(e.SEND_BACKOFF).total({ unit: "milliseconds" })),
      sendLease: e.SEND_LEASE,
      queueLeaseMs: durationMs(e.QUEUE_LEASE),
      databaseRetryMs: durationMs(e.DATABASE_RETRY),
      resultRetryMs: durationMs(e.RESULT_RETRY),
      frequencyCap: e.FREQUENCY_CAP === "none" ? [] : e.FREQUENCY_CAP,
      frequencyCapExempt: e.FREQUENCY_CAP_EXEMPT,
      rateLimit: e.SEND_RATE_LIMIT
        ? { max: e.SEND_RATE_LIMIT.count, durationMs: Math.round(Temporal.Duration.from(e.SEND_RATE_LIMIT.window).total({ unit: "milliseconds" })) }
        : undefined,
      sendWindow: e.SEND_WINDOW ? { start: e.SEND_WINDOW.slice(0, 5), end: e.SEND_WINDOW.slice(6), days: e.SEND_DAYS } : undefined,
    },
    logLevel: e.LOG_LEVEL,
    worker: { taskLeaseMs: durationMs(e.TASK_LEASE) },
    eventRetention: e.EVENT_RETENTION,
    eventDedupeWindow: e.EVENT_DEDUPE_WINDOW,
    shutdownTimeout: e.SHUTDOWN_TIMEOUT,
  };
}
