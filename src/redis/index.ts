export { connectRedis, logOutages, redisAnswers } from "./connect.js";
export { DEFAULT_REDIS_URL, RedisUnavailableError, redisSearchPath, resolveRedis, type RedisServer } from "./local-redis.js";
