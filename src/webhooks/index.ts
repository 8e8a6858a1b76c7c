export { DestinationRefusedError, guardedFetcher, parseAllowance, type Allowance } from "./guarded-fetch.js";
