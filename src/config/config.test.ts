import { describe, expect, it } from "vitest";
import { ConfigError, DEVELOPMENT_WRITE_KEY, loadConfig } from "./config.js";

describe("loadConfig", () => {
  it("runs on a laptop with nothing set", () => {
    const config = loadConfig({});
    expect(config.http.port).toBe(3000);
    expect(config.http.publicUrl).toBe("http://localhost:3000");
    expect(config.database.url).toBeUndefined();
    expect(config.writeKeys).toEqual([DEVELOPMENT_WRITE_KEY]);
    expect(config.usingDevelopmentKeys).toBe(true);
    expect(config.mail.smtpUrl).toBe("log");
  });

  it("sizes a worker's sending for throughput, with a connection count providers accept", () => {
    const { delivery, mail } = loadConfig({});
    expect(delivery.sendConcurrency).toBe(100);
    expect(delivery.dispatchInterval).toBe("PT1S");
    expect(mail.maxConnections).toBe(10);
    // Fewer jobs at once than connections: no more connections than jobs.
    expect(loadConfig({ SEND_CONCURRENCY: "4" }).mail.maxConnections).toBe(4);
    expect(loadConfig({ SMTP_MAX_CONNECTIONS: "20" }).mail.maxConnections).toBe(20);
  });

  it("names every bad variable in one message", () => {
    let caught: unknown;
    try {
      loadConfig({ PORT: "eighty", DATABASE_URL: "mysql://localhost/x", REDIS_URL: "nope", EVENT_RETENTION: "30 days" });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    const { message, problems } = caught as ConfigError;
    expect(problems.map((p) => p.variable).sort()).toEqual(["DATABASE_URL", "EVENT_RETENTION", "PORT", "REDIS_URL"]);
    expect(message).toContain("DATABASE_URL: expected a URL such as postgres://");
    expect(message).toContain("EVENT_RETENTION: expected an ISO-8601 duration");
  });

  it("takes the language of the default templates, English unless told", () => {
    expect(loadConfig({}).delivery.defaultLocale).toBe("en");
    expect(loadConfig({ DEFAULT_LOCALE: "sv" }).delivery.defaultLocale).toBe("sv");
    expect(() => loadConfig({ DEFAULT_LOCALE: "Swedish" })).toThrow(/DEFAULT_LOCALE: expected a locale such as en, en-GB or sv/);
  });

  it("demands the secrets in production", () => {
    expect(() => loadConfig({ NODE_ENV: "production" })).toThrow(/SECRET_KEY: required[\s\S]*WRITE_KEYS: required[\s\S]*SMTP_URL/);
  });

  describe("in production, the sender identity", () => {
    const secrets = {
      NODE_ENV: "production",
      SECRET_KEY: "s".repeat(40),
      WRITE_KEYS: "write-key-0123456789",
      API_KEYS: "api-key-0123456789ab",
      PUBLIC_URL: "https://rekindle.acme.example",
      SMTP_URL: "smtp://mail.acme.example:587",
    };
    const identity = { MAIL_FROM: "Acme <hello@acme.example>", APP_URL: "https://app.acme.example", BILLING_URL: "https://app.acme.example/billing" };
    const problems = (env: Record<string, string>) => {
      try {
        loadConfig(env);
        return [];
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        return (error as ConfigError).problems;
      }
    };

    it("is refused with only the secrets set, naming each variable that would have sent the development defaults", () => {
      const found = problems(secrets);
      expect(found.map((p) => p.variable)).toEqual(["MAIL_FROM", "COMPANY_NAME", "APP_URL", "BILLING_URL"]);
      expect(found.every((p) => p.message.startsWith("required when NODE_ENV=production"))).toBe(true);
    });

    it("refuses a sender at localhost, or with no domain, even when set", () => {
      for (const from of ["Rekindle <rekindle@localhost>", "Acme <hello@localhost>", "hello@mail.localhost", "Acme <hello>"]) {
        const found = problems({ ...secrets, ...identity, COMPANY_NAME: "Acme", MAIL_FROM: from });
        expect(found, from).toEqual([{ variable: "MAIL_FROM", message: expect.stringMatching(/is not an address mail can be sent from; production needs one at your own domain/) }]);
      }
    });

    it("takes the company from MAIL_FROM's display name, unless that is Rekindle's own", () => {
      expect(loadConfig({ ...secrets, ...identity }).delivery.companyName).toBe("Acme");
      expect(problems({ ...secrets, ...identity, MAIL_FROM: "Rekindle <billing@acme.example>" }).map((p) => p.variable)).toEqual(["COMPANY_NAME"]);
      expect(problems({ ...secrets, ...identity, MAIL_FROM: "billing@acme.example" }).map((p) => p.variable)).toEqual(["COMPANY_NAME"]);
      const config = loadConfig({ ...secrets, ...identity, MAIL_FROM: "billing@acme.example", COMPANY_NAME: "Acme Inc." });
      expect(config.delivery.companyName).toBe("Acme Inc.");
      expect(config.mail.from).toBe("billing@acme.example");
      expect(config.delivery.links).toEqual({ app: "https://app.acme.example", billing: "https://app.acme.example/billing" });
    });

    it("keeps the development defaults outside production", () => {
      const config = loadConfig({});
      expect(config.mail.from).toBe("Rekindle <rekindle@localhost>");
      expect(config.delivery.companyName).toBe("Rekindle");
      expect(config.delivery.links).toEqual({ app: "http://localhost:3000", billing: "http://localhost:3000" });
    });
  });

  it("takes REDIS_URL=local as Rekindle's own redis-server", () => {
    expect(loadConfig({ REDIS_URL: "local" }).redis).toMatchObject({ url: undefined, local: true });
    expect(loadConfig({ REDIS_URL: "redis://127.0.0.1:6380" }).redis).toMatchObject({ url: "redis://127.0.0.1:6380", local: false });
    expect(() => loadConfig({ REDIS_URL: "nearby" })).toThrow(/REDIS_URL: expected a URL such as redis:\/\/127\.0\.0\.1:6379 \(or local\)/);
  });

  it("splits key lists and treats empty values as unset", () => {
    const config = loadConfig({ WRITE_KEYS: " key-aaaaaaaaaaaaaaaa, key-bbbbbbbbbbbbbbbb ", PORT: "", PUBLIC_URL: "https://r.example.com/" });
    expect(config.writeKeys).toEqual(["key-aaaaaaaaaaaaaaaa", "key-bbbbbbbbbbbbbbbb"]);
    expect(config.http.port).toBe(3000);
    expect(config.http.publicUrl).toBe("https://r.example.com");
  });

  it("bounds how long a client may take, and refuses a header timeout longer than the whole request's", () => {
    expect(loadConfig({}).http.timeouts).toEqual({ headersMs: 10_000, bodyMs: 30_000, requestMs: 60_000 });
    expect(loadConfig({ HTTP_HEADERS_TIMEOUT: "PT2S", HTTP_BODY_TIMEOUT: "PT5S", HTTP_REQUEST_TIMEOUT: "PT2M" }).http.timeouts).toEqual({ headersMs: 2_000, bodyMs: 5_000, requestMs: 120_000 });
    expect(() => loadConfig({ HTTP_HEADERS_TIMEOUT: "PT1M" })).toThrow(/HTTP_HEADERS_TIMEOUT: must not be longer than HTTP_BODY_TIMEOUT/);
  });
});
