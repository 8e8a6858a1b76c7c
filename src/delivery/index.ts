export { dispatchDue, sendJobId } from "./dispatch.js";
export { createSender, RetryableSendError, type SendOutcome } from "./send-message.js";
export { unsubscribeToken, verifyUnsubscribeToken } from "./unsubscribe-token.js";
export { previewStep, testSend, type PreviewResult } from "./preview.js";
