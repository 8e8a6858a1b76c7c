export { cardLinkPreviewUrl, cardLinkUrl } from "./card-link-url.js";
export { CARD_LINK_OPENED, type CardLinkOutcome, createCardLinkOpener } from "./open-card-link.js";
export { signedBillingUrl } from "./signed-billing-url.js";
