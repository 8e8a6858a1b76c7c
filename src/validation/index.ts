export { formatPath, zodProblems, type Checked, type Problem } from "./problem.js";
export { EARLIEST, inTimeRange, LATEST, Timestamp } from "./timestamp.js";
export { inputProblems, MAX_DEPTH, stringProblem } from "./input-rules.js";
export { closestName, editDistance, normalizeName } from "./did-you-mean.js";
export { keysAt } from "./schema-keys.js";
