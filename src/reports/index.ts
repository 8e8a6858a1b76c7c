export { CAMPAIGN_WORDS, campaignReport, MIN_GROUP, upliftOf, type CampaignReport, type GroupFigures, type Uplift, type UpliftWords } from "./uplift.js";
export { churnByMonth, customerChurnByMonth, type MonthChurn, type MonthCustomers } from "./churn.js";
export { cancelFlowReport, type CancelFlowReport, type CurrencyMrr, type MonthCancellations, type OfferFigures, type ReasonFigures, type SaveGroup } from "./cancel-flow.js";
export { campaignDays, type CampaignDay, type CampaignDays, type CampaignDaysOptions } from "./campaign-days.js";
export { lastDays, lastHours, periodsJson, type Period } from "./periods.js";
