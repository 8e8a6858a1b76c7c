export { campaignReport, MIN_GROUP, upliftOf, type CampaignReport, type GroupFigures } from "./uplift.js";
export { churnByMonth, type MonthChurn } from "./churn.js";
