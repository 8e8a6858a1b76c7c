export {
  ConfigError,
  DEVELOPMENT_API_KEY,
  DEVELOPMENT_WRITE_KEY,
  loadConfig,
  loadProcessConfig,
  type Config,
} from "./config.js";
export { Environment } from "./environment.js";
export { resolveSecretKey } from "./secret-key.js";
export { configSecrets } from "./secrets.js";
