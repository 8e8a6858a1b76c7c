export { listSuppressions, suppress, unsuppress } from "./suppressions.js";
/** The inputs are the API's (src/api): the CLI parses with the same schemas as the routes. */
export { SuppressInput, UnsuppressInput } from "../api/index.js";
