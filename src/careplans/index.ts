/**
 * @module careplans — plan definitions (mappings/careplans/*.yaml), the planner (a change-feed
 * consumer), the scheduler (node-cron sweep) and reply triage. See docs/careplans.md.
 */
export { ManualClock, systemClock, parseOffsetMs, dueAt, type Clock } from './clock.js';
export { loadPlanRegistry, type PlanRegistry, type PlanRegistryOptions, type PlanLoadProblem, type ReloadReport } from './plan-registry.js';
export type { CarePlanDefinition, ActivityDefinition, TriageRule, TriageLevel } from './plan-types.js';
export { careplanMigrations, careplanTables, type CareplanActivityRow, type CareplanTables, type ActivityState } from './schedule-table.js';
export { planChanges, type PlannerDeps } from './planner.js';
export { createScheduler, claimDue, type Scheduler, type SchedulerDeps, type SweepReport } from './scheduler.js';
export { startCareplanWorkers, runPlanner, tickBookkeeping, PLANNER_CONSUMER, type CareplanWorkers, type CareplanWorkerDeps } from './workers.js';
export { classifyReply, replyContent } from './triage-classify.js';
export type { CareplanStore, ChangeEntry, ConsumeChangeFeed, MayContact, MayContactMany, ContactDecision, ContactQuery } from './store-port.js';
export { createCareplanService, type CareplanService, type CareplanServiceOptions } from './careplan-service.js';
export { careplanRoutes, planDefinitionApply, type CareplanRoutesOptions } from './plan-definition-apply.js';
export { toPlanDefinition } from './plan-definition-resource.js';
