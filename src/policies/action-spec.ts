/**
 * What the policy language needs to know of an action, and nothing it does: its name, its params
 * schema, the targets it takes, the RBAC it needs. The language owns this interface and is handed
 * the catalogue (`remediations/actions`) as an argument, so that policies never import the code
 * that acts; each action implements it. The name is the same everywhere: the YAML `action:` value,
 * the metric label, the log field, the file name.
 */

/** Kinds a policy's `target` can name. */
export const TARGET_KINDS = [
  'Deployment',
  'StatefulSet',
  'DaemonSet',
  'Pod',
  // KServe's (serving.kserve.io/v1beta1), for restore-model.
  'InferenceService',
] as const;
export type TargetKind = (typeof TARGET_KINDS)[number];

/**
 * What a target can be found through, when the alert names that instead of the target itself:
 * a pod (`fromPod`: its controller, through a ReplicaSet for a Deployment) or an HPA (`fromHpa`:
 * what it scales). kubernetes-mixin's alerts name pods and HPAs, not Deployments.
 */
export const OWNER_SOURCES = {
  fromPod: { kind: 'Pod', owners: ['Deployment', 'StatefulSet', 'DaemonSet'] },
  fromHpa: { kind: 'HorizontalPodAutoscaler', owners: ['Deployment', 'StatefulSet'] },
} as const satisfies Record<string, { kind: string; owners: readonly TargetKind[] }>;
export type OwnerSourceField = keyof typeof OWNER_SOURCES;
export type OwnerSourceKind = (typeof OWNER_SOURCES)[OwnerSourceField]['kind'];

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
  /**
   * True when the action changes something to fix the incident: its step is then verified (did
   * the alerts resolve?), moves the incident to Resolving and counts for the circuit breaker.
   * Telling humans (notify) and diagnosing (run-job) fix nothing, so they are not judged.
   */
  readonly remediates: boolean;
  /**
   * True when the action writes to the target workload itself (its template, replicas or
   * autoscaler), which a GitOps controller managing it would revert: the policy's `gitops:`
   * then applies. Creating objects beside it (a Job, a NetworkPolicy) is not such a write.
   */
  readonly writesTarget?: boolean;
  /**
   * True when the action changes nothing in any cluster (notify): in a dry run it still runs, its
   * message marked as a dry run, unless `--dry-run-notify=false`.
   */
  readonly runsInDryRun?: boolean;
  readonly params: ParamsSchema;
  /**
   * Checks across params that JSON Schema says badly ("exactly one of to, by, factor"); returns
   * problems as `[param, message]`, param '' for the whole params object.
   */
  readonly checkParams?: (params: Readonly<Record<string, unknown>>) => [string, string][];
  /**
   * True when these params use a model registry (`restore-model` with `mlflow:`): a server
   * started without `--mlflow-url` refuses the policy at load, not at the first alert.
   */
  readonly needsModelRegistry?: (params: Readonly<Record<string, unknown>>) => boolean;
  /** What the action needs in each target namespace; deploy/k8s RBAC is the union (a test compares). */
  readonly rbac: readonly RbacRule[];
  /** A step using this action, as an SRE would write it. */
  readonly example: Readonly<Record<string, unknown>>;
}

/** Actions by name; fails at start-up, not at the first alert, if two claim one name. */
export function indexActions<T extends { readonly name: string }>(
  actions: readonly T[],
): ReadonlyMap<string, T> {
  const byName = new Map<string, T>();
  for (const action of actions) {
    if (byName.has(action.name))
      throw new Error(`two actions are named ${JSON.stringify(action.name)}`);
    byName.set(action.name, action);
  }
  return byName;
}
