export { formatPath, zodProblems, type Checked, type Problem } from "./problem.js";
export { Timestamp } from "./timestamp.js";
