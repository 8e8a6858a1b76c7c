export { isJobName, Jobs, QUEUE_NAMES, type JobAttempt, type JobHandlers, type JobName, type JobPayload, type QueueName } from "./jobs.js";
export { Queues } from "./queues.js";
export { Workers, type WorkersOptions } from "./workers.js";
