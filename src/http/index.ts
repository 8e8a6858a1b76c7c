export { type AppOptions, buildApp } from "./server.js";
export { CONSOLE_DIR, CONSOLE_PATH } from "./routes/console.js";
export { HttpError } from "./http-error.js";
