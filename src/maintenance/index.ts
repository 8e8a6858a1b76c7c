export { pruneEvents } from "./prune-events.js";
