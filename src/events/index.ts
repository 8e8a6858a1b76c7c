export { addMonths, ensureEventPartitions, monthOf, partitionName } from "./event-partitions.js";
export { insertEvents, type EventRow, type StoredEvent } from "./insert-events.js";
