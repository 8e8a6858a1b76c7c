export { addMonths, ensureEventPartitions, forgetEventPartitions, monthOf, partitionStart } from "./event-partitions.js";
export { insertEvents, type EventRow, type StoredEvent, unmatchedGroupSql } from "./insert-events.js";
