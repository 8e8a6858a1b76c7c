export { IsoDuration, addDuration, durationMs, subtractDuration, parseDuration } from "./duration.js";
export { FixedClock, systemClock, type Clock } from "./clock.js";
export { isTimeZone, TimeZone } from "./time-zone.js";
