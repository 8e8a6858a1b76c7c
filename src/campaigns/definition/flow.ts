import type { Campaign } from "./campaign.js";
import type { Step } from "./step.js";
import { END } from "./step.js";

export type ActionStep = Exclude<Step, { type: "wait" }>;
export type WaitStepDef = Extract<Step, { type: "wait" }>;

/** What happens from a point in the sequence: the waits to sit through, then the step to run (or the end). */
export interface Plan {
  waits: WaitStepDef[];
  /** Undefined: the sequence is over. */
  target: ActionStep | undefined;
}

/** The step after `step` when it does not jump: its `next`, else the step below it, else the end. */
export function following(campaign: Campaign, stepId: string): string {
  const index = campaign.steps.findIndex((s) => s.id === stepId);
  const step = campaign.steps[index];
  if (step && step.type !== "branch" && step.next !== undefined) return step.next;
  return campaign.steps[index + 1]?.id ?? END;
}

/** Where each step can go next: the edges of the campaign's flow. */
export function successors(campaign: Campaign, step: Step): string[] {
  if (step.type === "branch") return [step.then, step.else ?? following(campaign, step.id)];
  return [following(campaign, step.id)];
}

/** From a step id (or `end`), the waits up to the next step that does something. */
export function planFrom(campaign: Campaign, stepId: string): Plan {
  const waits: WaitStepDef[] = [];
  let id = stepId;
  for (let guard = 0; guard <= campaign.steps.length; guard++) {
    if (id === END) return { waits, target: undefined };
    const step = campaign.steps.find((s) => s.id === id);
    if (!step) return { waits, target: undefined };
    if (step.type !== "wait") return { waits, target: step };
    waits.push(step);
    id = following(campaign, step.id);
  }
  return { waits, target: undefined };
}

/** A loop in the flow, as the ids along it, or undefined. Every step is sent at most once per enrollment, so loops are refused. */
export function findLoop(campaign: Campaign): string[] | undefined {
  const state = new Map<string, "visiting" | "done">();
  const path: string[] = [];
  const visit = (id: string): string[] | undefined => {
    if (id === END) return undefined;
    if (state.get(id) === "visiting") return [...path.slice(path.indexOf(id)), id];
    if (state.get(id) === "done") return undefined;
    const step = campaign.steps.find((s) => s.id === id);
    if (!step) return undefined;
    state.set(id, "visiting");
    path.push(id);
    for (const next of successors(campaign, step)) {
      const loop = visit(next);
      if (loop) return loop;
    }
    path.pop();
    state.set(id, "done");
    return undefined;
  };
  for (const step of campaign.steps) {
    const loop = visit(step.id);
    if (loop) return loop;
  }
  return undefined;
}
