import type { V1NetworkPolicy } from '@kubernetes/client-node';
import type { FromSchema } from 'json-schema-to-ts';
import { KubeError } from '../../kube/errors';
import { MANAGED_BY } from '../../kube/port';
import type { ActionSpec } from '../../policies/action-spec';
import type { Action, ActionContext, ActionDecision, ActionResult } from '../action';
import { asModel, type Plain } from './history';

/** Security incident: cut a pod off the network, keep it running for forensics. */
const isolateSpec = {
  name: 'isolate',
  description:
    'Quarantines a pod for a security incident: labels it with the quarantine label (removing `removeLabels`, e.g. the label its Service selects, so it leaves the endpoints) and creates a deny-all NetworkPolicy (both Ingress and Egress) selecting that label. The pod keeps running for forensics. Never undone automatically: a human lifts the quarantine.',
  targetKinds: ['Pod'],
  remediates: true,
  params: {
    type: 'object',
    additionalProperties: false,
    properties: {
      quarantineLabel: {
        type: 'string',
        minLength: 1,
        default: 'remediator.dev/quarantine',
        description: 'Label set to "true" on the pod and selected by the NetworkPolicy.',
      },
      removeLabels: {
        type: 'array',
        items: { type: 'string', minLength: 1 },
        default: [],
        description:
          'Labels to remove from the pod, e.g. the one its Service and ReplicaSet select.',
      },
    },
  },
  rbac: [
    { apiGroups: [''], resources: ['pods'], verbs: ['get', 'patch'] },
    { apiGroups: ['networking.k8s.io'], resources: ['networkpolicies'], verbs: ['get', 'create'] },
  ],
  example: { action: 'isolate', params: { removeLabels: ['app'] } },
} as const satisfies ActionSpec;

export type IsolateParams = FromSchema<
  typeof isolateSpec.params,
  { keepDefaultedPropertiesOptional: true }
>;

/** One deny-all policy per namespace, shared by every quarantined pod there. */
export const QUARANTINE_POLICY = 'remediator-quarantine';

/** What `apply()` and `reconcile()` need; journaled before the write. */
export interface IsolateIntent {
  readonly namespace: string;
  readonly pod: string;
  readonly quarantineLabel: string;
  readonly removeLabels: readonly string[];
  readonly policy: Plain<V1NetworkPolicy>;
  /** Merge patch of the pod's labels. */
  readonly podPatch: object;
}

/**
 * The deny-all policy: it selects the quarantine label and lists both policy types with no
 * rules, so no traffic is allowed in or out (left out, policyTypes would default to Ingress only).
 */
export function quarantinePolicy(
  namespace: string,
  quarantineLabel: string,
): Plain<V1NetworkPolicy> {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: {
      name: QUARANTINE_POLICY,
      namespace,
      labels: { ...MANAGED_BY },
    },
    spec: {
      podSelector: { matchLabels: { [quarantineLabel]: 'true' } },
      policyTypes: ['Ingress', 'Egress'],
    },
  };
}

/** Why an existing policy of that name does not isolate pods with the label, or undefined. */
function policyProblem(policy: V1NetworkPolicy, quarantineLabel: string): string | undefined {
  const spec = policy.spec;
  const selector = spec?.podSelector;
  const selectsLabel =
    selector?.matchLabels?.[quarantineLabel] === 'true' &&
    Object.keys(selector.matchLabels).length === 1 &&
    (selector.matchExpressions ?? []).length === 0;
  if (!selectsLabel) return `it does not select exactly ${quarantineLabel}=true`;
  const types = spec?.policyTypes ?? [];
  if (!types.includes('Ingress') || !types.includes('Egress')) {
    return `its policyTypes are [${types.join(', ')}], not both Ingress and Egress`;
  }
  if ((spec?.ingress ?? []).length > 0 || (spec?.egress ?? []).length > 0) {
    return 'it allows some traffic (it has ingress or egress rules)';
  }
  return undefined;
}

async function plan(ctx: ActionContext): Promise<ActionDecision> {
  const target = ctx.target;
  if (target?.kind !== 'Pod') return { kind: 'skip', reason: 'isolate needs a Pod target' };
  const { namespace, name } = target;
  const params = ctx.params as IsolateParams;
  const quarantineLabel =
    params.quarantineLabel ?? isolateSpec.params.properties.quarantineLabel.default;
  const removeLabels = (params.removeLabels ?? []).filter((l) => l !== quarantineLabel);
  const pod = await ctx.kube.readPod(namespace, name);
  const existing = await readPolicy(ctx, namespace);
  const where = `NetworkPolicy ${namespace}/${QUARANTINE_POLICY}`;
  if (existing !== undefined) {
    const problem = policyProblem(existing, quarantineLabel);
    // Labelling the pod would take it out of its Service but leave its traffic open.
    if (problem !== undefined) {
      return {
        kind: 'skip',
        reason: `cannot isolate pod ${namespace}/${name}: ${where} exists but ${problem}; fix or delete it`,
      };
    }
  }
  const labels = pod.metadata?.labels ?? {};
  const toRemove = removeLabels.filter((l) => Object.hasOwn(labels, l));
  if (existing !== undefined && labels[quarantineLabel] === 'true' && toRemove.length === 0) {
    return {
      kind: 'skip',
      reason: `pod ${namespace}/${name} is already quarantined (${quarantineLabel}=true, ${where} in place)`,
    };
  }
  const podLabels: Record<string, string | null> = { [quarantineLabel]: 'true' };
  for (const label of removeLabels) podLabels[label] = null;
  const intent: IsolateIntent = {
    namespace,
    pod: name,
    quarantineLabel,
    removeLabels,
    policy: quarantinePolicy(namespace, quarantineLabel),
    podPatch: { metadata: { labels: podLabels } },
  };
  const removing = toRemove.length > 0 ? `, remove ${toRemove.join(', ')}` : '';
  return {
    kind: 'act',
    summary: `quarantine pod ${namespace}/${name}: ${existing ? '' : `create deny-all ${where}, `}label ${quarantineLabel}=true${removing}`,
    intent: { ...intent },
    regarding: {
      apiVersion: 'v1',
      kind: 'Pod',
      namespace,
      name,
      ...(pod.metadata?.uid ? { uid: pod.metadata.uid } : {}),
    },
  };
}

async function readPolicy(ctx: ActionContext, namespace: string) {
  try {
    return await ctx.kube.readNetworkPolicy(namespace, QUARANTINE_POLICY);
  } catch (err) {
    if (err instanceof KubeError && err.reason === 'not_found') return undefined;
    throw err;
  }
}

async function apply(
  ctx: ActionContext,
  raw: Readonly<Record<string, unknown>>,
): Promise<ActionResult> {
  const intent = raw as unknown as IsolateIntent;
  const options = { dryRun: ctx.dryRun };
  // The policy first, so that a labelled pod is never left unprotected. Always POST: it is
  // cheap, and it covers a policy deleted since plan(); AlreadyExists means it is there.
  let created = true;
  try {
    await ctx.kube.createNetworkPolicy(
      intent.namespace,
      asModel<V1NetworkPolicy>(intent.policy),
      options,
    );
  } catch (err) {
    if (!(err instanceof KubeError && err.alreadyExists)) throw err;
    created = false;
  }
  await ctx.kube.patchPod(intent.namespace, intent.pod, intent.podPatch, options);
  const removed =
    intent.removeLabels.length > 0 ? `, without ${intent.removeLabels.join(', ')}` : '';
  const policy = created
    ? `${ctx.dryRun ? 'would create' : 'created'} NetworkPolicy ${QUARANTINE_POLICY}`
    : `NetworkPolicy ${QUARANTINE_POLICY} already present`;
  const what = `pod ${intent.namespace}/${intent.pod} (${intent.quarantineLabel}=true${removed}; ${policy})`;
  return {
    summary: ctx.dryRun ? `would isolate ${what}` : `isolated ${what}`,
    data: { policyCreated: created },
  };
}

/** Done when the pod carries the quarantine label (and not the removed ones) and the policy exists. */
async function reconcile(
  ctx: ActionContext,
  raw: Readonly<Record<string, unknown>>,
): Promise<'done' | 'not_done' | 'unknown'> {
  const intent = raw as unknown as IsolateIntent;
  try {
    const pod = await ctx.kube.readPod(intent.namespace, intent.pod);
    const labels = pod.metadata?.labels ?? {};
    const labelled =
      labels[intent.quarantineLabel] === 'true' &&
      intent.removeLabels.every((l) => !Object.hasOwn(labels, l));
    const policy = await readPolicy(ctx, intent.namespace);
    return labelled && policy !== undefined ? 'done' : 'not_done';
  } catch (err) {
    if (err instanceof KubeError) return 'unknown';
    throw err;
  }
}

/** The `isolate` action. Never undone here: a human lifts the quarantine. */
export const isolate: Action = { ...isolateSpec, plan, apply, reconcile };
