/**
 * The policies file's schema as the docs walk it, with the hints the walker needs for it: examples
 * for the fields the schema gives none for, and the runbook severity defaults that code (not the
 * schema) applies.
 */
import type { ActionSpec } from '../../policies/action-spec';
import { DEFAULT_SEVERITY_SPEC } from '../../policies/defaults';
import { buildPolicySchema } from '../../policies/schema';
import { ACTIONS } from '../../remediations/actions/index';
import type { ExampleHints, SchemaNode } from './schema-walker';

/** Where `npm run generate` writes the schema for editors, relative to the repository root. */
export const SCHEMA_FILE = 'deploy/k8s/policy.schema.json';

/** The schema as the walker reads it; `as const` objects are structurally plain JSON Schema. */
export const POLICY_FILE_SCHEMA = buildPolicySchema(ACTIONS) as SchemaNode;

/**
 * Examples for the fields that `src/policies/schema.ts` gives no `examples` for (nor any of
 * their ancestors), by path or path suffix. Each one belongs in the schema as `examples`; a test
 * fails when the schema has made an entry unnecessary, and checks each against its field.
 */
export const FALLBACK_EXAMPLES: ReadonlyMap<string, unknown> = new Map<string, unknown>([
  ['sinks', { oncall: { type: 'slack', urlFile: '/etc/remediator/sinks/oncall-url' } }],
  ['sinks.<name>.url', 'https://chat.example.com/hooks/oncall'],
  ['sinks.<name>.urlEnv', 'ONCALL_WEBHOOK_URL'],
  ['value.label', 'quantile'],
  ['value.atLeast', 0.5],
  ['value.below', 0.9],
  ['value.atMost', 2],
  ['value.equals', 0],
  ['policies[].name', 'service-disruption'],
  ['policies[].description', 'Roll back a recent rollout, else restart; then page on-call.'],
  // The first action's own example, so that the step's action and params agree.
  ['policies[].steps', ACTIONS.slice(0, 1).map((a) => a.example)],
]);

/** The runbook severity defaults, which apply per key of `severity` when the file omits it. */
const SEVERITY_DEFAULTS: ReadonlyMap<string, unknown> = new Map<string, unknown>([
  ['severity', DEFAULT_SEVERITY_SPEC],
  ...Object.entries(DEFAULT_SEVERITY_SPEC).map(([key, value]): [string, unknown] => [
    `severity.${key}`,
    value,
  ]),
]);

/** The hints the policies file's docs use. */
export const POLICY_FILE_HINTS: ExampleHints = {
  fallbacks: FALLBACK_EXAMPLES,
  externalDefaults: SEVERITY_DEFAULTS,
};

/** An action's params schema as the walker reads it (its properties are JSON Schema too). */
export function paramsNode(action: ActionSpec): SchemaNode {
  return action.params as SchemaNode;
}
