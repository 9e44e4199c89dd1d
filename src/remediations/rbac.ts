import type { RbacRule } from './action';
import { ACTION_SPECS } from './index';

/**
 * What the executor itself needs in a target namespace, whatever the actions: the audit Event on
 * the changed object, and reading a target's annotations for the opt-out gate (and its uid for
 * the Event).
 */
export const EXECUTOR_TARGET_RULES: readonly RbacRule[] = [
  { apiGroups: ['events.k8s.io'], resources: ['events'], verbs: ['create'] },
  { apiGroups: ['apps'], resources: ['deployments'], verbs: ['get'] },
  { apiGroups: [''], resources: ['pods'], verbs: ['get'] },
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
 * The union of what every registered action declares and what the executor needs, merged per
 * (API group, resource) with verbs sorted: exactly what deploy/k8s grants in target namespaces.
 */
export function targetNamespaceRules(): RbacRule[] {
  const declared: readonly RbacRule[] = ACTION_SPECS.flatMap((a): readonly RbacRule[] => a.rbac);
  return mergeRules([...declared, ...EXECUTOR_TARGET_RULES]);
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
