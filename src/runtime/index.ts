export { buildDeps, type Runtime } from "./build-deps.js";
export { createJobHandlers, periodicTasks, scanLanes } from "./job-handlers.js";
export { createLogger } from "./logger.js";
export { requireMigrated, startApi, startWorker, type Service } from "./processes.js";
export { reloadCampaigns } from "./campaigns.js";
