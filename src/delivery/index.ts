export { dispatchDue, sendJobId } from "./dispatch.js";
export { RetryableSendError, type SendOutcome } from "./outcome.js";
export { createSender } from "./send-message.js";
export { unsubscribeToken, verifyUnsubscribeToken } from "./unsubscribe-token.js";
export { previewStep, testSend, type PreviewResult } from "./preview.js";
export { composeEmail, mailDomain, type Addressee, type Composed, type ComposeOptions } from "./compose-email.js";
export { releasePaused, skipStopped } from "./outbox.js";
