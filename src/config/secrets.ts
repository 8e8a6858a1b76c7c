import { type Config, DEVELOPMENT_API_KEY, DEVELOPMENT_WRITE_KEY } from "./config.js";

/**
 * Every secret value the configuration holds, for the logger to blank out wherever one turns up:
 * the keys, the signing secrets, the DKIM private key, and the passwords inside connection URLs.
 */
export function configSecrets(config: Config): string[] {
  const passwordOf = (url: string | undefined) => {
    if (!url) return [];
    try {
      const password = decodeURIComponent(new URL(url).password);
      return password ? [password] : [];
    } catch {
      return [];
    }
  };
  // The development keys are published in the README: blanking them would hide nothing, and hide
  // the key start-up prints to sign in with.
  const published = new Set([DEVELOPMENT_API_KEY, DEVELOPMENT_WRITE_KEY]);
  return [
    ...config.apiKeys.filter((key) => !published.has(key)),
    ...config.writeKeys.filter((key) => !published.has(key)),
    ...config.stripe.secrets,
    ...(config.secretKey ? [config.secretKey] : []),
    ...(config.appSigningSecret ? [config.appSigningSecret] : []),
    ...(config.stripe.secretKey ? [config.stripe.secretKey] : []),
    ...(config.mail.dkim?.privateKey ? [config.mail.dkim.privateKey] : []),
    ...passwordOf(config.mail.smtpUrl),
    ...passwordOf(config.database.url),
    ...passwordOf(config.redis.url),
  ].filter((secret) => secret.length >= 4);
}
