export { Scheduler, type PeriodicTask, type SchedulerOptions, type TaskRun } from "./scheduler.js";
export { listTasks, type TaskStatus } from "./task-sql.js";
