export { CapRule, capAllowsAt, capRemaining, nextOpening, SendDays, SendWindowText, type SendWindow } from "./policy.js";
