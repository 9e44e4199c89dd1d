import type { Severity, SeverityConfig, SeverityRule } from '../incidents/severity';
import { ACTION_SPECS_BY_NAME } from '../remediations/index';
import { DEFAULT_SEVERITY_SPEC } from './defaults';
import { MatcherSyntaxError, parseMatcher, type Matcher } from './matchers';
import { parseNumeric, validateNumericCondition, type NumericCondition } from './numeric';
import {
  TEMPLATE_ROOTS,
  type CompiledParam,
  type CompiledPolicy,
  type CompiledStep,
  type PolicySet,
} from './policy';
import type { PolicyFileSpec, PolicySpec } from './schema';
import { compileTemplate, TemplateSyntaxError, type Template } from './template';

export type PathSegment = string | number;

/** Reports a problem at a path; `offsetInValue` points inside a string value (a matcher's column). */
export type Report = (
  path: readonly PathSegment[],
  message: string,
  offsetInValue?: number,
) => void;

/**
 * Compiles a schema-valid policies file into the structures the server decides with, reporting
 * every problem the schema cannot see (matcher syntax, templates, cross-references). Pure.
 */
export function compilePolicyFile(
  spec: PolicyFileSpec,
  report: Report,
): Pick<PolicySet, 'severity' | 'policies' | 'sinks' | 'safety' | 'ladders'> {
  const severity = compileSeverity(spec.severity ?? {}, report);
  const sinks = spec.sinks;
  for (const [name, sink] of Object.entries(sinks)) {
    const given = [sink.url, sink.urlFile, sink.urlEnv].filter((v) => v !== undefined).length;
    if (given !== 1)
      report(['sinks', name], 'give the URL in exactly one of url, urlFile or urlEnv');
  }
  const seen = new Map<string, number>();
  const policies: CompiledPolicy[] = [];
  spec.policies.forEach((policy, i) => {
    const first = seen.get(policy.name);
    if (first !== undefined) {
      report(
        ['policies', i, 'name'],
        `duplicate policy name "${policy.name}" (first at policies[${first}])`,
      );
    }
    seen.set(policy.name, i);
    const compiled = compilePolicy(policy, ['policies', i], Object.keys(sinks), report);
    if (compiled !== undefined) policies.push(compiled);
  });
  const safety = spec.safety;
  const ladders = spec.escalation.ladders.map((ladder, i) => {
    ladder.rungs.forEach((rung, j) => {
      if (!(rung.sink in sinks)) {
        report(
          ['escalation', 'ladders', i, 'rungs', j, 'sink'],
          `no sink named "${rung.sink}" under sinks:`,
        );
      }
    });
    return {
      name: ladder.name,
      match: compileMatchers(ladder.match ?? [], ['escalation', 'ladders', i, 'match'], report),
      rungs: ladder.rungs.map((rung) => ({
        ...(rung.who === undefined ? {} : { who: rung.who }),
        sink: rung.sink,
        afterMs: durationMs(rung.after),
        minSeverity: rung.minSeverity as Severity,
      })),
    };
  });
  return {
    severity,
    policies,
    sinks,
    safety: {
      protectedNamespaces: safety.protectedNamespaces,
      optOutAnnotation: safety.optOutAnnotation,
      blastRadius: {
        perNamespace: safety.blastRadius.perNamespace,
        cluster: safety.blastRadius.cluster,
        windowMs: durationMs(safety.blastRadius.window),
      },
      circuitBreaker: {
        failures: safety.circuitBreaker.failures,
        openForMs: durationMs(safety.circuitBreaker.openFor),
      },
      lockTimeoutMs: durationMs(safety.lockTimeout),
    },
    ladders,
  };
}

function compilePolicy(
  spec: PolicySpec,
  path: readonly PathSegment[],
  sinkNames: readonly string[],
  report: Report,
): CompiledPolicy | undefined {
  const failures: string[] = [];
  const fail: Report = (p, message, offset) => {
    failures.push(message);
    report(p, message, offset);
  };
  const match = compileMatchers(spec.match, [...path, 'match'], fail);
  const value =
    spec.value === undefined ? undefined : compileCondition(spec.value, [...path, 'value'], fail);
  const target =
    spec.target === undefined
      ? undefined
      : {
          kind: spec.target.kind,
          namespace: template(spec.target.namespace, [...path, 'target', 'namespace'], fail),
          name: template(spec.target.name, [...path, 'target', 'name'], fail),
        };
  const steps: CompiledStep[] = spec.steps.map((step, j) => {
    const stepPath = [...path, 'steps', j];
    const action = ACTION_SPECS_BY_NAME.get(step.action);
    const params = step.params as Record<string, unknown>;
    if (action !== undefined) {
      if (action.targetKinds.length > 0) {
        if (spec.target === undefined) {
          fail(
            [...stepPath, 'action'],
            `${action.name} needs a target (kind ${action.targetKinds.join(' or ')})`,
          );
        } else if (!action.targetKinds.includes(spec.target.kind)) {
          fail(
            [...path, 'target', 'kind'],
            `${action.name} (steps[${j}]) acts on ${action.targetKinds.join(' or ')}, not ${spec.target.kind}`,
          );
        }
      }
      for (const [param, message] of action.checkParams?.(params) ?? []) {
        fail(param === '' ? [...stepPath, 'params'] : [...stepPath, 'params', param], message);
      }
    }
    if (
      step.action === 'notify' &&
      typeof params.sink === 'string' &&
      !params.sink.includes('{{')
    ) {
      if (!sinkNames.includes(params.sink)) {
        fail([...stepPath, 'params', 'sink'], `no sink named "${params.sink}" under sinks:`);
      }
    }
    return {
      action: step.action,
      params: compileParams(params, [...stepPath, 'params'], fail) as Record<string, CompiledParam>,
      verifyMs: durationMs(step.verify),
    };
  });
  if (failures.length > 0) return undefined;
  return {
    name: spec.name,
    ...(spec.description === undefined ? {} : { description: spec.description }),
    match,
    ...(value === undefined ? {} : { value }),
    minSeverity: spec.minSeverity as Severity,
    on: spec.on,
    ...(target === undefined ? {} : { target }),
    steps,
    cooldownMs: durationMs(spec.cooldown),
    budget: { max: spec.budget.max, perMs: durationMs(spec.budget.per) },
    dryRun: spec.dryRun,
    autoResolve: spec.autoResolve,
  };
}

function compileParams(
  value: unknown,
  path: readonly PathSegment[],
  report: Report,
): CompiledParam {
  if (typeof value === 'string') return template(value, path, report);
  if (Array.isArray(value)) return value.map((v, i) => compileParams(v, [...path, i], report));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, CompiledParam> = {};
    for (const [k, v] of Object.entries(value)) out[k] = compileParams(v, [...path, k], report);
    return out;
  }
  return value as number | boolean | null;
}

function template(source: string, path: readonly PathSegment[], report: Report): Template {
  try {
    return compileTemplate(source, { allowedRoots: TEMPLATE_ROOTS });
  } catch (err) {
    if (!(err instanceof TemplateSyntaxError)) throw err;
    report(path, err.reason, err.column);
    return compileTemplate('');
  }
}

/** `5m` → 300000. The schema already checked the form. */
export function durationMs(text: string): number {
  const parsed = parseNumeric(text);
  if (!parsed.ok) throw new Error(`not a duration: ${text}`);
  return Math.round(parsed.value * 1000);
}

type SeveritySpec = NonNullable<PolicyFileSpec['severity']>;

/** Each key given replaces the runbook default for that key. */
export function compileSeverity(given: SeveritySpec, report: Report): SeverityConfig {
  const fromDefaults = given.rules === undefined;
  const rulesSpec: SeveritySpec['rules'] & object =
    given.rules ?? (DEFAULT_SEVERITY_SPEC.rules as unknown as SeveritySpec['rules'] & object);
  const rules: SeverityRule[] = [];
  const onProblem: Report = fromDefaults ? throwing : report;
  rulesSpec.forEach((rule, i) => {
    const path = ['severity', 'rules', i];
    if (rule.when === undefined && rule.value === undefined) {
      onProblem(path, 'a rule needs `when` matchers, a `value` condition, or both');
    }
    const when = compileMatchers(rule.when ?? [], [...path, 'when'], onProblem);
    const value =
      rule.value === undefined
        ? undefined
        : compileCondition(rule.value, [...path, 'value'], onProblem);
    rules.push({ level: rule.level as Severity, when, ...(value === undefined ? {} : { value }) });
  });
  const multiple = given.multipleAlerts ?? DEFAULT_SEVERITY_SPEC.multipleAlerts;
  return {
    rules,
    multipleAlerts: { atLeast: multiple.atLeast, level: multiple.level as Severity },
    default: (given.default ?? DEFAULT_SEVERITY_SPEC.default) as Severity,
  };
}

const throwing: Report = (path, message) => {
  throw new Error(`built-in default at ${formatPath(path)}: ${message}`);
};

function compileMatchers(
  texts: readonly string[],
  path: readonly PathSegment[],
  report: Report,
): Matcher[] {
  const matchers: Matcher[] = [];
  texts.forEach((text, j) => {
    try {
      matchers.push(parseMatcher(text));
    } catch (err) {
      if (!(err instanceof MatcherSyntaxError)) throw err;
      report([...path, j], err.message, err.column);
    }
  });
  return matchers;
}

type ConditionSpec = { label?: string; annotation?: string } & Partial<
  Omit<NumericCondition, 'source' | 'key'>
>;

function compileCondition(
  spec: ConditionSpec,
  path: readonly PathSegment[],
  report: Report,
): NumericCondition | undefined {
  if ((spec.label === undefined) === (spec.annotation === undefined)) {
    report(path, 'a value condition reads exactly one of `label` or `annotation`');
    return undefined;
  }
  const condition: NumericCondition = {
    source: spec.label === undefined ? 'annotation' : 'label',
    key: spec.label ?? spec.annotation ?? '',
    ...(spec.above === undefined ? {} : { above: spec.above }),
    ...(spec.atLeast === undefined ? {} : { atLeast: spec.atLeast }),
    ...(spec.below === undefined ? {} : { below: spec.below }),
    ...(spec.atMost === undefined ? {} : { atMost: spec.atMost }),
    ...(spec.equals === undefined ? {} : { equals: spec.equals }),
  };
  const problems = validateNumericCondition(condition);
  for (const message of problems) report(path, message);
  return problems.length === 0 ? condition : undefined;
}

/** `['severity', 'rules', 2, 'when', 0]` → `severity.rules[2].when[0]`. */
export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}
