export { aOrAn } from "./a-or-an.js";
export { durationWords } from "./duration-words.js";
export { isTimeZone, localTimeZone, timeWords, type TimeWords } from "./time-words.js";
export { valueWords } from "./value-words.js";
