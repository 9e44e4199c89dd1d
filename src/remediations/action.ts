/**
 * What every remediation action declares about itself. Each action is one file in this folder
 * exporting one `ActionSpec`; `index.ts` lists them explicitly. The name is the same everywhere:
 * the YAML `action:` value, the metric label, the log field, the file name.
 */

/** Kinds a policy's `target` can name. */
export const TARGET_KINDS = ['Deployment', 'Pod'] as const;
export type TargetKind = (typeof TARGET_KINDS)[number];

/** One RBAC rule, as in a Role. */
export interface RbacRule {
  readonly apiGroups: readonly string[];
  readonly resources: readonly string[];
  readonly verbs: readonly string[];
}

/** A JSON Schema object for an action's `params` (validated by ajv with defaults applied). */
export interface ParamsSchema {
  readonly type: 'object';
  readonly additionalProperties: false;
  readonly description?: string;
  readonly properties: Readonly<Record<string, unknown>>;
  readonly required?: readonly string[];
}

export interface ActionSpec {
  readonly name: string;
  /** One paragraph for the reference docs. */
  readonly description: string;
  /** Target kinds the action works on; empty when it needs no Kubernetes target (notify). */
  readonly targetKinds: readonly TargetKind[];
  readonly params: ParamsSchema;
  /**
   * Checks across params that JSON Schema says badly ("exactly one of to, by, factor"); returns
   * problems as `[param, message]`, param '' for the whole params object.
   */
  readonly checkParams?: (params: Readonly<Record<string, unknown>>) => [string, string][];
  /** What the action needs in each target namespace; deploy/k8s RBAC is the union (a test compares). */
  readonly rbac: readonly RbacRule[];
  /** A step using this action, as an SRE would write it. */
  readonly example: Readonly<Record<string, unknown>>;
}

/** A duration as policies write it: `30s`, `5m`, `1h30m`, `2d`. */
export const durationSchema = {
  type: 'string',
  pattern: '^([0-9]+(ms|s|m|h|d))+$',
  description: 'A duration: a number and a unit (ms, s, m, h, d), e.g. 30s, 5m, 1h30m.',
} as const;

/** A Kubernetes object name (DNS-1123 subdomain), or a template rendering one. */
export const nameSchema = { type: 'string', minLength: 1, maxLength: 253 } as const;
