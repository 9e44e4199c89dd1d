import { parse, stringify } from 'yaml';
import { policySchema, safetySchema, stepSchema } from '../../../src/policies/schema';

/**
 * The alert rules and the shipped policies, rewritten so that minutes pass in seconds.
 *
 * Rules (alert-rules/*.rules.yml, whose durations are written literally for this): every range
 * window `[<n>m]` becomes `[<n>s]` and `[<n>h]` becomes `[<n*60>s]`, every `for: <n>m` becomes
 * `for: <n>s`: a minute of the real rules is a second here. With a 1 s scrape interval the
 * shortest window, `[5m]` → `[5s]`, still holds five scrapes (rate() needs two).
 *
 * Policies (deploy/k8s/policies/runbook.yaml): every duration (verify, cooldown, budget.per,
 * onlyIfChangedWithin, escalation `after`, the safety limits) is divided by `timeScale` (10 by
 * default: a 5m verify window becomes 30 s, long enough for an alert to resolve through Prometheus
 * and Alertmanager), the schema's defaults included (they are written out, scaled), so that every
 * clock in remediator runs at the same speed; and every sink's URL source becomes a URL on the
 * test's local receiver.
 */

export function rewriteRuleDurations(text: string): string {
  const rewritten = text
    .replace(/\[(\d+)m\]/g, (_m, n: string) => `[${n}s]`)
    .replace(/\[(\d+)h\]/g, (_m, n: string) => `[${Number(n) * 60}s]`)
    .replace(/^(\s*)for: (\d+)m\s*$/gm, (_m, indent: string, n: string) => `${indent}for: ${n}s`);
  // Anything left in minutes or hours means the rules stopped following the convention.
  const leftover = /\[\d+(?!s\])[a-z]+\]|^\s*for: (?!\d+s\s*$).*$/m.exec(rewritten);
  if (leftover !== null) {
    throw new Error(
      `the rules contain a duration the end-to-end rewrite does not handle: ${JSON.stringify(leftover[0].trim())} (see the conventions at the top of alert-rules/service.rules.yml)`,
    );
  }
  return rewritten;
}

const UNIT_MS: Record<string, number> = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000, ms: 1 };

/** `1h30m` → 5 400 000; throws on anything else. */
export function parseDuration(text: string): number {
  const parts = [...text.matchAll(/(\d+)(ms|d|h|m|s)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text) {
    throw new Error(`not a duration: ${JSON.stringify(text)}`);
  }
  return parts.reduce((sum, p) => sum + Number(p[1]) * (UNIT_MS[p[2] ?? 's'] ?? 0), 0);
}

/** Whole seconds (at least 1 s) or milliseconds below a second, as the policy schema writes them. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(1, Math.round(ms))}ms`;
  return `${Math.round(ms / 1000)}s`;
}

export interface PolicyRewrite {
  /** Base URL of the sink receiver: sink `oncall` posts to `<sinkBaseUrl>/sinks/oncall`. */
  sinkBaseUrl: string;
  /** Every duration is divided by this; default 10. */
  timeScale?: number;
  /** Last changes to the parsed document (e.g. a `safety:` section), after the rewrite. */
  transform?: (doc: PolicyDocument) => void;
  /**
   * Keep the shipped policies' `approval:` (Sev1 rollbacks and model restores wait for a human).
   * Off by default: the files that test what the policies do on their own (an outage, a model
   * rollback, a crash) would otherwise each have to play the Incident Commander;
   * approval.e2e.test.ts keeps them, with their timeouts scaled like every other duration.
   */
  approvals?: boolean;
}

/** The policies file as far as the rewrite touches it; everything else passes through. */
export interface PolicyDocument {
  sinks?: Record<string, Record<string, unknown>>;
  safety?: {
    blastRadius?: { window?: string; [key: string]: unknown };
    circuitBreaker?: { openFor?: string; [key: string]: unknown };
    lockTimeout?: string;
    [key: string]: unknown;
  };
  escalation?: { ladders?: { rungs?: { after?: string }[] }[] };
  policies?: {
    name: string;
    cooldown?: string;
    budget?: { max?: number; per?: string };
    steps: { action: string; verify?: string; params?: Record<string, unknown> }[];
    [key: string]: unknown;
  }[];
  [key: string]: unknown;
}

export function rewritePolicies(text: string, options: PolicyRewrite): string {
  const scale = options.timeScale ?? 10;
  const doc = parse(text) as PolicyDocument;
  const shorten = (d: string): string => formatDuration(parseDuration(d) / scale);
  for (const [name, sink] of Object.entries(doc.sinks ?? {})) {
    delete sink.url;
    delete sink.urlFile;
    delete sink.urlEnv;
    sink.url = `${options.sinkBaseUrl}/sinks/${name}`;
  }
  const defaults = {
    verify: stepSchema.properties.verify.default,
    cooldown: policySchema.properties.cooldown.default,
    budgetPer: policySchema.properties.budget.properties.per.default,
    window: safetySchema.properties.blastRadius.properties.window.default,
    openFor: safetySchema.properties.circuitBreaker.properties.openFor.default,
    lockTimeout: safetySchema.properties.lockTimeout.default,
  };
  const safety = (doc.safety ??= {});
  safety.blastRadius = {
    ...safety.blastRadius,
    window: shorten(safety.blastRadius?.window ?? defaults.window),
  };
  safety.circuitBreaker = {
    ...safety.circuitBreaker,
    openFor: shorten(safety.circuitBreaker?.openFor ?? defaults.openFor),
  };
  safety.lockTimeout = shorten(safety.lockTimeout ?? defaults.lockTimeout);
  for (const policy of doc.policies ?? []) {
    policy.cooldown = shorten(policy.cooldown ?? defaults.cooldown);
    policy.budget = { ...policy.budget, per: shorten(policy.budget?.per ?? defaults.budgetPer) };
    const approval = policy.approval as { timeout?: string } | undefined;
    if (approval !== undefined && options.approvals !== true) delete policy.approval;
    else if (approval !== undefined)
      approval.timeout = shorten(
        approval.timeout ?? policySchema.properties.approval.properties.timeout.default,
      );
    for (const step of policy.steps) {
      step.verify = shorten(step.verify ?? defaults.verify);
      const within = step.params?.onlyIfChangedWithin;
      if (typeof within === 'string' && step.params !== undefined)
        step.params.onlyIfChangedWithin = shorten(within);
    }
  }
  for (const ladder of doc.escalation?.ladders ?? []) {
    for (const rung of ladder.rungs ?? []) {
      if (rung.after !== undefined) rung.after = shorten(rung.after);
    }
  }
  options.transform?.(doc);
  return `# Generated by test/e2e from deploy/k8s/policies/runbook.yaml: durations divided by ${scale}, sinks on the local receiver.\n${stringify(doc, { lineWidth: 0 })}`;
}
