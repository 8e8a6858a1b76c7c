export { aOrAn } from "./a-or-an.js";
export { durationWords } from "./duration-words.js";
export { isTimeZone } from "../time/index.js";
export { localTimeZone, timeWords, type TimeWords } from "./time-words.js";
export { valueWords } from "./value-words.js";
