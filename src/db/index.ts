export { DatabaseUnavailableError } from "./database-unavailable-error.js";
export { DatabaseInUseError, MIGRATIONS_FOLDER, openDatabase, queryRows, type Database, type DatabaseOptions, type Db, type Tx } from "./database.js";
export { pendingMigrations } from "./pending-migrations.js";
export { bigintArray, textArray } from "./sql/text-array.js";
export * from "./schema/index.js";
export { MicroBatcher } from "./micro-batcher.js";
export { isTransientDbError, retryTransient, type RetryOptions } from "./transient.js";
