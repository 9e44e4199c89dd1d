import type { RbacRule } from '../policies/action-spec';
import { ACTIONS } from './actions/index';

/**
 * What the executor itself needs in a target namespace, whatever the actions: the audit Event on
 * the changed object; reading a target of any kind for its opt-out annotation (and its uid for
 * the Event); and finding a target named through a pod (the pod, then its ReplicaSet) or an HPA
 * (listed, as the scale action lists them).
 */
export const EXECUTOR_TARGET_RULES: readonly RbacRule[] = [
  { apiGroups: ['events.k8s.io'], resources: ['events'], verbs: ['create'] },
  {
    apiGroups: ['apps'],
    resources: ['deployments', 'statefulsets', 'daemonsets', 'replicasets'],
    verbs: ['get'],
  },
  { apiGroups: [''], resources: ['pods'], verbs: ['get'] },
  { apiGroups: ['autoscaling'], resources: ['horizontalpodautoscalers'], verbs: ['list'] },
  { apiGroups: ['serving.kserve.io'], resources: ['inferenceservices'], verbs: ['get'] },
];

/**
 * In remediator's own namespace: the Leases that hold locks, cooldowns, budgets, counts, and the
 * claims by which one replica sends a notice for all (deleted after retention).
 */
export const OWN_NAMESPACE_RULES: readonly RbacRule[] = [
  {
    apiGroups: ['coordination.k8s.io'],
    resources: ['leases'],
    verbs: ['create', 'delete', 'get', 'list', 'update'],
  },
];

/**
 * For `gitops:`, in the namespaces the GitOps objects live in (not the workload's): Flux's
 * Kustomizations and HelmReleases where its labels say (often `flux-system`), Argo CD's
 * Applications in `--argocd-namespace` (or, for apps in any namespace, the one the tracking id
 * names). They are read (to confirm an owner), patched (to suspend it, and back at `gitops
 * resume`), and given an Event. deploy/k8s/gitops-namespaces.yaml binds it per namespace.
 */
export const GITOPS_CLUSTER_RULES: readonly RbacRule[] = [
  { apiGroups: ['argoproj.io'], resources: ['applications'], verbs: ['get', 'patch'] },
  { apiGroups: ['events.k8s.io'], resources: ['events'], verbs: ['create'] },
  { apiGroups: ['helm.toolkit.fluxcd.io'], resources: ['helmreleases'], verbs: ['get', 'patch'] },
  {
    apiGroups: ['kustomize.toolkit.fluxcd.io'],
    resources: ['kustomizations'],
    verbs: ['get', 'patch'],
  },
];

/**
 * The union of what every registered action declares and what the executor needs, merged per
 * (API group, resource) with verbs sorted: exactly what deploy/k8s grants in target namespaces.
 */
export function targetNamespaceRules(): RbacRule[] {
  const declared: readonly RbacRule[] = ACTIONS.flatMap((a): readonly RbacRule[] => a.rbac);
  return mergeRules([...declared, ...EXECUTOR_TARGET_RULES]);
}

/** One granted (API group, resource) with its verbs and who needs each: action names or `executor`. */
export interface RbacGrant {
  readonly apiGroup: string;
  readonly resource: string;
  readonly verbs: readonly { readonly verb: string; readonly neededBy: readonly string[] }[];
}

/**
 * `targetNamespaceRules()` with, for each verb, the actions (or the executor) that declare it: the
 * table docs/kubernetes-api.md shows, so that a reader can tell why each permission is there.
 */
export function targetNamespaceGrants(): RbacGrant[] {
  const declarers: [string, readonly RbacRule[]][] = [
    ...ACTIONS.map((a): [string, readonly RbacRule[]] => [a.name, a.rbac]),
    ['executor', EXECUTOR_TARGET_RULES],
  ];
  return targetNamespaceRules().map((rule) => {
    const apiGroup = rule.apiGroups[0] ?? '';
    const resource = rule.resources[0] ?? '';
    return {
      apiGroup,
      resource,
      verbs: rule.verbs.map((verb) => ({
        verb,
        neededBy: declarers
          .filter(([, rules]) =>
            rules.some(
              (r) =>
                r.apiGroups.includes(apiGroup) &&
                r.resources.includes(resource) &&
                r.verbs.includes(verb),
            ),
          )
          .map(([name]) => name),
      })),
    };
  });
}

/** Merges rules per (apiGroup, resource) into a canonical, sorted list. */
export function mergeRules(rules: readonly RbacRule[]): RbacRule[] {
  const verbs = new Map<string, Set<string>>();
  for (const rule of rules) {
    for (const group of rule.apiGroups) {
      for (const resource of rule.resources) {
        const key = `${group}\u0000${resource}`;
        const set = verbs.get(key) ?? new Set<string>();
        for (const verb of rule.verbs) set.add(verb);
        verbs.set(key, set);
      }
    }
  }
  return [...verbs]
    .map(([key, set]) => {
      const [group = '', resource = ''] = key.split('\u0000');
      return { apiGroups: [group], resources: [resource], verbs: [...set].sort() };
    })
    .sort((a, b) =>
      `${a.apiGroups[0] ?? ''}/${a.resources[0] ?? ''}`.localeCompare(
        `${b.apiGroups[0] ?? ''}/${b.resources[0] ?? ''}`,
      ),
    );
}
