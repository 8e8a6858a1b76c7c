export { buildApp } from "./server.js";
export { HttpError } from "./http-error.js";
