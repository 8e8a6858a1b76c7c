export { dropEventPartitions } from "./drop-event-partitions.js";
export { forgetMessageIds } from "./forget-message-ids.js";
export { maintainEvents, MONTHS_AHEAD, type EventMaintenanceOptions, type EventMaintenanceResult } from "./maintain-events.js";
