export { ATTRIBUTES, attributeKind, OPERATORS, TRAIT_PREFIX, type AttributeKind, type Operator } from "./attributes.js";
export { Campaign, ExitGoal, Reentry } from "./campaign.js";
export { AttributeCondition, Condition, CountComparison, EventCountCondition, operatorOf, PropertyCondition } from "./condition.js";
export { BranchStep, EmailStep, END, Step, StepId, WaitStep, WebhookStep } from "./step.js";
export { EVENT_TRIGGERS, isEventTrigger, Trigger, type EventTrigger, type ScanTrigger, type TriggerType } from "./trigger.js";
export { findLoop, following, planFrom, successors, type ActionStep, type Plan, type WaitStepDef } from "./flow.js";
