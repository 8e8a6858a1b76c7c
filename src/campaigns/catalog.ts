import type { Campaign, EventTrigger, ExitGoal } from "./definition/index.js";
import { isEventTrigger } from "./definition/index.js";
import type { TemplateSet } from "./load/compile-campaign-templates.js";
import type { CampaignFileProblem } from "./load/parse-campaign-file.js";

/** A valid campaign as this process runs it. */
export interface LoadedCampaign {
  id: string;
  versionId: number;
  contentHash: string;
  definition: Campaign;
  directory: string;
  /** The campaign's emails, compiled once for this version. */
  templates: TemplateSet;
}

/** Event types that count as a customer being active (not state changes reported by billing or the API). */
export const ACTIVITY_TYPES = ["track", "page", "screen"] as const;

/**
 * The campaigns this process knows: valid ones by id, refused ones with their problems, and the
 * indexes the matcher needs (which campaigns listen to which event names).
 */
export class CampaignCatalog {
  #campaigns = new Map<string, LoadedCampaign>();
  #invalid = new Map<string, CampaignFileProblem[]>();
  #revision = 0;

  constructor(loaded: LoadedCampaign[] = [], invalid: { id: string; problems: CampaignFileProblem[] }[] = []) {
    this.replace(loaded, invalid);
  }

  replace(loaded: LoadedCampaign[], invalid: { id: string; problems: CampaignFileProblem[] }[] = []): void {
    this.#campaigns = new Map(loaded.map((campaign) => [campaign.id, campaign]));
    this.#invalid = new Map(invalid.map((entry) => [entry.id, entry.problems]));
    this.#revision++;
  }

  /** Counts the times the campaigns were (re)loaded: a page showing them (Studio) polls it to know when to fetch them again. */
  get revision(): number {
    return this.#revision;
  }

  get(id: string): LoadedCampaign | undefined {
    return this.#campaigns.get(id);
  }

  all(): LoadedCampaign[] {
    return [...this.#campaigns.values()];
  }

  /** Campaigns that may enroll: valid and enabled in their file. */
  running(): LoadedCampaign[] {
    return this.all().filter((campaign) => campaign.definition.enabled);
  }

  invalid(): { id: string; problems: CampaignFileProblem[] }[] {
    return [...this.#invalid].map(([id, problems]) => ({ id, problems }));
  }

  /** Running campaigns started by events, for an event of this name and source. */
  listeningTo(event: { name: string; type: string; source: string }): LoadedCampaign[] {
    return this.running().filter(({ definition: { trigger } }) => isEventTrigger(trigger) && triggerListensTo(trigger, event));
  }

  /** Running campaigns with an exit goal on this event name. */
  exitingOn(name: string): { campaign: LoadedCampaign; goals: Extract<ExitGoal, { event: string }>[] }[] {
    return this.running().flatMap((campaign) => {
      const goals = campaign.definition.exit.filter((goal): goal is Extract<ExitGoal, { event: string }> => "event" in goal && goal.event === name);
      return goals.length > 0 ? [{ campaign, goals }] : [];
    });
  }
}

/** Whether an event of this name, type and source may start this trigger (its SQL decides the rest). */
export function triggerListensTo(trigger: EventTrigger, event: { name: string; type: string; source: string }): boolean {
  switch (trigger.type) {
    case "event":
      return trigger.name === event.name;
    case "returned_after_pause":
      return event.name === "subscription_resumed" || ((ACTIVITY_TYPES as readonly string[]).includes(event.type) && event.source === "segment");
    default:
      return trigger.event === event.name;
  }
}
