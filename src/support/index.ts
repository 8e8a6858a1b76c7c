export { pause, PauseInput, resume, type Scope, stop, StopInput } from "./holds.js";
