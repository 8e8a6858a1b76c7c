export { customerScope, pause, PauseInput, resume, type Scope, stop, StopInput } from "./holds.js";
export { auditEntries, type AuditFilter } from "./audit.js";
export { uncertainMessages } from "./uncertain.js";
export { customerTimeline, type Timeline, type TimelineEntry, type TimelineOptions } from "./timeline.js";
export { collectStatus, type Status } from "./status.js";
export { becauseWords, eventSummary, messageSummary, outcomeWords } from "./timeline-words.js";
export { auditActionWords, auditChangeWords } from "./audit-words.js";
export { hourlySends, type SendHour } from "./hourly-sends.js";
