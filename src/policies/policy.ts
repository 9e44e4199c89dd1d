import type { Severity, SeverityConfig } from '../incidents/severity';
import type { TargetKind } from '../remediations/action';
import type { ActionName } from '../remediations/index';
import type { Matcher } from './matchers';
import type { NumericCondition } from './numeric';
import type { SinkSpec } from './schema';
import type { Template } from './template';

/** A params value with every string compiled to a template. */
export type CompiledParam =
  Template | number | boolean | null | readonly CompiledParam[] | CompiledParamMap;

/** An interface, not a Record: a recursive type alias cannot refer to itself through Record. */
export interface CompiledParamMap {
  readonly [key: string]: CompiledParam;
}

export interface CompiledStep {
  readonly action: ActionName;
  readonly params: CompiledParamMap;
  readonly verifyMs: number;
}

export interface CompiledTarget {
  readonly kind: TargetKind;
  readonly namespace: Template;
  readonly name: Template;
}

/** One policy, validated and compiled: ready to match and render, many times. */
export interface CompiledPolicy {
  readonly name: string;
  readonly description?: string;
  readonly match: readonly Matcher[];
  readonly value?: NumericCondition;
  readonly minSeverity: Severity;
  /** The alert transitions the policy acts on: `firing` by default, `resolved` on request. */
  readonly on: readonly ('firing' | 'resolved')[];
  readonly target?: CompiledTarget;
  readonly steps: readonly CompiledStep[];
  readonly cooldownMs: number;
  readonly budget: { readonly max: number; readonly perMs: number };
  readonly dryRun: boolean;
  readonly autoResolve: boolean;
}

export interface SafetyConfig {
  readonly protectedNamespaces: readonly string[];
  readonly optOutAnnotation: string;
  readonly blastRadius: {
    readonly perNamespace: number;
    readonly cluster: number;
    readonly windowMs: number;
  };
  readonly circuitBreaker: { readonly failures: number; readonly openForMs: number };
  readonly lockTimeoutMs: number;
}

export interface EscalationRung {
  readonly who?: string;
  readonly sink: string;
  readonly afterMs: number;
  readonly minSeverity: Severity;
}

export interface EscalationLadder {
  readonly name: string;
  /** Empty: the default ladder. */
  readonly match: readonly Matcher[];
  readonly rungs: readonly EscalationRung[];
}

/** Validated, compiled policies: what the running server decides with. */
export interface PolicySet {
  /** The file it came from, or `(defaults)`. */
  readonly source: string;
  /** SHA-256 of the file's text (empty for the defaults), to tell reloads apart in logs. */
  readonly digest: string;
  readonly severity: SeverityConfig;
  readonly policies: readonly CompiledPolicy[];
  readonly sinks: Readonly<Record<string, SinkSpec>>;
  readonly safety: SafetyConfig;
  readonly ladders: readonly EscalationLadder[];
}

/** What templates may read: `labels.x`, `annotations.x`, `severity`, `incident.id`, `alert.fingerprint`. */
export const TEMPLATE_ROOTS = ['labels', 'annotations', 'severity', 'incident', 'alert'] as const;
