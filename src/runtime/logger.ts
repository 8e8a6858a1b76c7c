import { pino, type Logger } from "pino";

/** JSON lines on stdout (pipe through `npx pino-pretty` to read them in a terminal). */
export function createLogger(level: string): Logger {
  return pino({ level, base: { service: "rekindle", pid: process.pid } });
}
