import type { Deps } from "../../src/deps/index.js";
import { present } from "../helpers/present.js";

/** A starter campaign's email in its default language, as the loaded campaigns hold it. */
export function starterTemplate(deps: Pick<Deps, "campaigns">, campaignId: string, name: string) {
  const campaign = present(deps.campaigns.get(campaignId), `the starter campaign ${campaignId}`);
  const variants = present(campaign.templates.get(name), `the email ${name} of ${campaignId}`);
  return present(variants.get(null), `the default-language ${name} of ${campaignId}`);
}
