export { insertEvents, type EventRow, type StoredEvent } from "./insert-events.js";
