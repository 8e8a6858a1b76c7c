import type { CampaignFileProblem } from "../campaigns/index.js";
import type { FlowLoad, LoadedFlow } from "./load-flow.js";

/** The cancel flow this process serves; replaced in place when the templates are reloaded. */
export class CancelFlowHolder {
  #state: FlowLoad = { type: "absent" };

  replace(state: FlowLoad): void {
    this.#state = state;
  }

  /** The running flow, or undefined when there is none or it is invalid. */
  current(): LoadedFlow | undefined {
    return this.#state.type === "valid" ? this.#state.loaded : undefined;
  }

  /** Why there is no running flow, in words (with file and line when the flow is invalid). */
  unavailable(): { reason: string; problems: CampaignFileProblem[] } | undefined {
    if (this.#state.type === "valid") return undefined;
    if (this.#state.type === "absent") return { reason: "No cancel flow is defined: add templates/_cancel/flow.yaml (see the README's Cancel flow section).", problems: [] };
    return { reason: "The cancel flow is invalid and does not run; fix the problems listed.", problems: this.#state.problems };
  }
}
