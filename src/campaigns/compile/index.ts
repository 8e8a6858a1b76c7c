export { conditionSql, propertiesSql } from "./condition-sql.js";
export { dryRunSql, enrollSql } from "./enrollment-sql.js";
export { SqlScope } from "./scope.js";
export { eventCandidatesSql, eventSelectionSql, scanCandidatesSql, type EventSelection } from "./trigger-sql.js";
export { dueSql, scheduleCtes } from "./schedule-sql.js";
