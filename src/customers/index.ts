export { canonicalLocale, isTimeZone, mergeProfilePatches, traitsToProfile, type ProfilePatch } from "./profile.js";
export { ensureCustomers } from "./sql/ensure-customers.js";
export { applyProfilePatches, type CustomerPatch, recordActivitySql } from "./sql/apply-profile-patches.js";
export { CustomerInput, PaymentMethodInput, SubscriptionInput } from "./customer-input.js";
export { getCustomer, type CustomerView } from "./get-customer.js";
export { searchCustomers, type CustomerMatch } from "./search-customers.js";
export { putCustomer, type Origin, type PutCustomerResult } from "./put-customer.js";
export { changeSubscription, type StateEvent, type SubscriptionChange } from "./subscription-change.js";
