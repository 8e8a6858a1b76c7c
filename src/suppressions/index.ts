export { listSuppressions, SuppressInput, suppress, UnsuppressInput, unsuppress } from "./suppressions.js";
