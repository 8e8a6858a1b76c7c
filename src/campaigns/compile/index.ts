export { attributeSql, conditionSql, countedEventsSql, CUSTOMER_SINCE, propertiesSql } from "./condition-sql.js";
export { dryRunSql, enrollSql, holdoutSql, reentrySql } from "./enrollment-sql.js";
export { duration, SqlScope, textList } from "./scope.js";
export { eventCandidatesSql, likePattern, narrowSelection, oldestTriggeringTime, scanCandidatesSql, scanMomentsSql, type ScanCandidates, type EventSelection, type SelectedEvent, selectedEventsSql, selectedRange, setAsideBeforeMatching } from "./trigger-sql.js";
export { dueSql, scheduleCtes } from "./schedule-sql.js";
