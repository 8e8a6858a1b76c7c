export { APPLY_BACKOFF_MS, applyDueDecisions, type ApplyDeps, type DecisionPayload } from "./apply-decisions.js";
export { chooseOffer, inHoldout } from "./choose-offer.js";
export { CancelFlow, CancelTexts, Offer, Reason } from "./definition.js";
export { CancelFlowHolder } from "./flow-holder.js";
export { CANCEL_FLOW_FOLDER, loadCancelFlow, type FlowLoad, type FlowTexts, type LoadedFlow, type TextValues } from "./load-flow.js";
export { expired, invalid, PAGE_CSP, pageHtml, sessionPage } from "./page.js";
export { abandonExpired, acceptOffer, confirmCancel, createSession, decisionFor, getSession, giveReason, keepSubscription, type Transition } from "./sessions.js";
export { actOnSession, cancelPageUrl, resolveLocale, startCancelSession, textValues, type PageAction, type StartResult } from "./serve-session.js";
