export { pause, PauseInput, resume, type Scope, stop, StopInput } from "./holds.js";
export { customerTimeline, type Timeline, type TimelineEntry } from "./timeline.js";
export { collectStatus, type Status } from "./status.js";
