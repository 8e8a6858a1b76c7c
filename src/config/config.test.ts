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
