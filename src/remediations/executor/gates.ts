import type { PlannedTarget, RenderedTarget } from '../../policies/planner';
import type { SafetyConfig } from '../../policies/policy';
import type { SkipCode } from '../../skip-codes';
import type { AttemptRecord } from '../coordination/attempts';

export interface Skip {
  readonly code: SkipCode;
  readonly reason: string;
}

/** Skips that humans should hear about: automation wanted to act and a limit stopped it. */
export const ESCALATING_SKIPS: ReadonlySet<SkipCode> = new Set([
  'circuit_open',
  'blast_radius',
  'budget',
  'gitops_managed',
]);

export function protectedNamespace(
  target: PlannedTarget | undefined,
  safety: SafetyConfig,
): Skip | undefined {
  if (target === undefined || !safety.protectedNamespaces.includes(target.namespace))
    return undefined;
  return {
    code: 'protected_namespace',
    reason: `namespace ${target.namespace} is protected (safety.protectedNamespaces)`,
  };
}

export function optedOut(
  annotations: Readonly<Record<string, string>> | undefined,
  safety: SafetyConfig,
): Skip | undefined {
  const value = annotations?.[safety.optOutAnnotation];
  if (value?.toLowerCase() !== 'true') return undefined;
  return {
    code: 'opted_out',
    reason: `the target has the annotation ${safety.optOutAnnotation}: "true"`,
  };
}

export function cooldownOrBudget(
  record: AttemptRecord,
  now: number,
  cooldownMs: number,
  budget: { readonly max: number; readonly perMs: number },
): Skip | undefined {
  const last = record.attempts.at(-1);
  if (last !== undefined && now - last < cooldownMs) {
    const left = Math.ceil((cooldownMs - (now - last)) / 1000);
    return {
      code: 'cooldown',
      reason: `in cooldown for another ${left}s (last attempt ${new Date(last).toISOString()})`,
    };
  }
  const recent = record.attempts.filter((t) => now - t < budget.perMs).length;
  if (recent >= budget.max) {
    return {
      code: 'budget',
      reason: `attempt budget used up: ${recent} of ${budget.max} in the last ${Math.round(budget.perMs / 60_000)}m`,
    };
  }
  return undefined;
}

export function blastRadius(
  counts: { readonly namespace: number; readonly cluster: number },
  target: RenderedTarget | undefined,
  safety: SafetyConfig,
): Skip | undefined {
  const { perNamespace, cluster, windowMs } = safety.blastRadius;
  const window = `${Math.round(windowMs / 60_000)}m`;
  if (counts.cluster >= cluster) {
    return {
      code: 'blast_radius',
      reason: `${counts.cluster} plans already acted in the cluster in the last ${window} (limit ${cluster})`,
    };
  }
  if (target !== undefined && counts.namespace >= perNamespace) {
    return {
      code: 'blast_radius',
      reason: `${counts.namespace} plans already acted in namespace ${target.namespace} in the last ${window} (limit ${perNamespace})`,
    };
  }
  return undefined;
}
