export { connectRedis, logOutages, redisAnswers } from "./connect.js";
export { DEFAULT_REDIS_URL, freePort, RedisUnavailableError, redisSearchPath, resolveRedis, type RedisServer } from "./local-redis.js";
