export { connectRedis, logOutages, redisAnswers, redisProblem } from "./connect.js";
export { DEFAULT_REDIS_URL, freePort, redisSearchPath, resolveRedis } from "./local-redis.js";
export { RedisUnavailableError } from "./redis-unavailable-error.js";
export type { RedisServer } from "./redis-server.js";
