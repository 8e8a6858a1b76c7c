export { addMonths, ensureEventPartitions, forgetEventPartitions, monthOf } from "./event-partitions.js";
export { insertEvents, type EventRow, type StoredEvent, unmatchedGroupSql } from "./insert-events.js";
