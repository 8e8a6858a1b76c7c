export {
  ConfigError,
  DEVELOPMENT_API_KEY,
  DEVELOPMENT_WRITE_KEY,
  Environment,
  loadConfig,
  loadProcessConfig,
  type Config,
} from "./config.js";
export { resolveSecretKey } from "./secret-key.js";
export { configSecrets } from "./secrets.js";
