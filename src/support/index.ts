export { customerScope, pause, resume, type Scope, stop } from "./holds.js";
export { auditEntries, type AuditFilter } from "./audit.js";
export { uncertainMessages } from "./uncertain.js";
/** The inputs are the API's (src/api): the CLI parses with the same schemas as the routes. */
export { PauseInput, StopInput } from "../api/index.js";
export { customerTimeline, type Timeline, type TimelineEntry, type TimelineOptions } from "./timeline.js";
export { collectStatus, type Status } from "./status.js";
export { becauseWords, eventSummary, messageSummary, outcomeWords } from "./timeline-words.js";
export { auditActionWords, auditChangeWords } from "./audit-words.js";
export { hourlySends, type SendHour } from "./hourly-sends.js";
