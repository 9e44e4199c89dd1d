/**
 * Why a policy or a step did not act: one closed set, shared by the planner (which decides the
 * plan-time reasons), the executor (the gates), the journal, `remediator test` expectations and
 * the `reason` label of `remediator_skips_total`. It imports nothing, so every stage may use it.
 */

/**
 * Reasons decided when the plan is made, before anything runs, in the order they are checked:
 * the policy's `value` condition, its `minSeverity`, its templates, the rendered target's
 * Kubernetes name rules, then the number of plans one notification may make
 * (`safety.maxPlansPerNotification`).
 */
export const PLAN_SKIP_CODES = [
  'value_condition_not_met',
  'severity_below_minimum',
  'template_missing_value',
  'invalid_target',
  'too_many_plans',
] as const;
export type PlanSkipCode = (typeof PLAN_SKIP_CODES)[number];

/** Every reason: the plan-time ones first, then the executor's gates in the order they run. */
export const SKIP_CODES = [
  ...PLAN_SKIP_CODES,
  'paused',
  'circuit_open',
  'protected_namespace',
  'owner_not_found',
  'opted_out',
  'gitops_managed',
  'blast_radius',
  'cooldown',
  'budget',
  'locked',
  'not_applicable',
  'already_resolved',
] as const;
export type SkipCode = (typeof SKIP_CODES)[number];
