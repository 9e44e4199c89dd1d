import {
  parseSeverity,
  type Severity,
  type SeverityConfig,
  type SeverityRule,
} from '../incidents/severity';
import { OWNER_SOURCES, type ActionSpec, type OwnerSourceField } from './action-spec';
import { DEFAULT_SEVERITY_SPEC } from './defaults';
import { durationMs } from '../labels/durations';
import { MatcherSyntaxError, parseMatcher, type Matcher } from '../labels/matchers';
import { validateNumericCondition, type Bounds, type NumericCondition } from '../labels/numeric';
import {
  TEMPLATE_ROOTS,
  type CompiledCheck,
  type CompiledParam,
  type CompiledPolicy,
  type CompiledStep,
  type ApprovalConfig,
  type PolicySet,
  type SilenceConfig,
} from './policy';
import { promqlEscapeFor, promqlSyntaxProblem } from './promql';
import type { PolicyFileSpec, PolicySpec } from './schema';
import {
  compileTemplate,
  TemplateSyntaxError,
  type Template,
  type TemplateContext,
} from './template';

export type PathSegment = string | number;

/** Reports a problem at a path; `offsetInValue` points inside a string value (a matcher's column). */
export type Report = (
  path: readonly PathSegment[],
  message: string,
  offsetInValue?: number,
) => void;

/**
 * Whether the schema found nothing wrong at `path` or inside it. The compiler reads a value only
 * where this holds, so that a file with schema problems still gets every semantic problem of its
 * well-formed parts reported in the same run (a bad matcher beside a misspelt key).
 */
export type SchemaValid = (path: readonly PathSegment[]) => boolean;

const everywhere: SchemaValid = () => true;

/**
 * What the server that loads the policies can ask: a policy that needs a source it has not got
 * (a PromQL verification without `--prometheus-url`, a silence without `--alertmanager-url`) is
 * a problem, so that it is refused at start-up and on reload rather than failing at 3 a.m.
 * Undefined for the offline commands, which run no step.
 */
export interface ServerSources {
  readonly prometheus: boolean;
  readonly alertmanager: boolean;
  /** Optional: a server without MLflow refuses `restore-model` steps with `mlflow:`. */
  readonly mlflow?: boolean;
}

/** What the policies are checked against besides the language itself. */
export interface CompileOptions {
  /** The server's sources; undefined for the offline commands. */
  readonly sources?: ServerSources | undefined;
  /**
   * Another judge of a query's syntax (`remediator check --prometheus-url`: Prometheus' own
   * parser), given the query with a placeholder for every value: its error, or undefined.
   */
  readonly queryProblem?: ((query: string) => string | undefined) | undefined;
  /** Told every query (placeholders for its values) that parses, e.g. to ask Prometheus later. */
  readonly onQuery?: ((query: string) => void) | undefined;
}

type Compiled = Pick<
  PolicySet,
  'severity' | 'policies' | 'sinks' | 'safety' | 'ladders' | 'status' | 'view'
>;

/**
 * Compiles a policies file into the structures the server decides with, reporting every problem
 * the schema cannot see (matcher syntax, templates, cross-references). Pure. When the schema found
 * problems (`valid` says where), the parts it found well-formed are still checked, and the result
 * is undefined: a file with problems is never used.
 */
export function compilePolicyFile(
  spec: PolicyFileSpec,
  report: Report,
  actions: ReadonlyMap<string, ActionSpec>,
  valid: SchemaValid = everywhere,
  place: (path: readonly PathSegment[]) => string = formatPath,
  options: CompileOptions = {},
): Compiled | undefined {
  const severity = compileSeverity(isMap(spec.severity) ? spec.severity : {}, report, valid);
  const sinks = isMap(spec.sinks) ? spec.sinks : {};
  for (const [name, sink] of Object.entries(sinks)) {
    if (!isMap(sink)) continue;
    const given = [sink.url, sink.urlFile, sink.urlEnv].filter((v) => v !== undefined).length;
    if (given !== 1)
      report(['sinks', name], 'give the URL in exactly one of url, urlFile or urlEnv');
  }
  const seen = new Map<string, number>();
  const policies: CompiledPolicy[] = [];
  (Array.isArray(spec.policies) ? spec.policies : []).forEach((policy, i) => {
    if (!isMap(policy)) return;
    if (typeof policy.name === 'string') {
      const first = seen.get(policy.name);
      if (first !== undefined) {
        report(
          ['policies', i, 'name'],
          `duplicate policy name "${policy.name}" (first at ${place(['policies', first])})`,
        );
      }
      seen.set(policy.name, i);
    }
    const path = ['policies', i];
    const compiled = compilePolicy(
      policy,
      path,
      { sinkNames: Object.keys(sinks), actions, options },
      report,
      valid,
    );
    if (compiled !== undefined) policies.push(compiled);
  });
  const ladders = compileLadders(spec.escalation, sinks, report, valid);
  const statusSpec = isMap(spec.status) ? spec.status : undefined;
  const components = (Array.isArray(statusSpec?.components) ? statusSpec.components : []).map(
    (component, i) => ({
      name: isMap(component) ? component.name : '',
      match: isMap(component)
        ? compileMatchers(component.match, ['status', 'components', i, 'match'], report, valid)
        : [],
    }),
  );
  if (severity === undefined || ladders === undefined || !valid([])) return undefined;
  const safety = spec.safety;
  const status = spec.status;
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
      maxPlansPerNotification: safety.maxPlansPerNotification,
    },
    ladders,
    status: {
      title: status.title,
      components,
      componentLabel: status.componentLabel,
      outageSeverity: level(status.outageSeverity),
      publicAnnotations: status.publicAnnotations,
    },
    view: redactSinkUrls(spec),
  };
}

/** The validated file with every sink's `url` (a secret) replaced: what may be shown. */
function redactSinkUrls(spec: PolicyFileSpec): Record<string, unknown> {
  const view = structuredClone(spec) as Record<string, unknown>;
  const sinks = view.sinks;
  if (isMap(sinks)) {
    for (const sink of Object.values(sinks)) {
      if (isMap(sink) && sink.url !== undefined) sink.url = '[redacted]';
    }
  }
  return view;
}

/** Values from YAML are plain JSON; this tells a map from a list, a scalar or nothing. */
export function isMap(value: unknown): value is Record<string, unknown> & object {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

type LadderSpec = PolicyFileSpec['escalation']['ladders'][number];

function compileLadders(
  escalation: PolicyFileSpec['escalation'] | undefined,
  sinks: Readonly<Record<string, unknown>>,
  report: Report,
  valid: SchemaValid,
): PolicySet['ladders'] | undefined {
  const specs: unknown[] =
    isMap(escalation) && Array.isArray(escalation.ladders) ? escalation.ladders : [];
  const matchers = specs.map((spec, i) => {
    const path = ['escalation', 'ladders', i];
    if (!isMap(spec)) return [];
    const ladder = spec as LadderSpec;
    (Array.isArray(ladder.rungs) ? ladder.rungs : []).forEach((rung, j) => {
      const sinkPath = [...path, 'rungs', j, 'sink'];
      if (isMap(rung) && valid(sinkPath) && !Object.hasOwn(sinks, rung.sink)) {
        report(sinkPath, `no sink named "${rung.sink}" under sinks:`);
      }
    });
    return compileMatchers(ladder.match, [...path, 'match'], report, valid);
  });
  if (!valid(['escalation'])) return undefined;
  return (specs as LadderSpec[]).map((ladder, i) => ({
    name: ladder.name,
    match: matchers[i] ?? [],
    rungs: ladder.rungs.map((rung) => ({
      ...(rung.who === undefined ? {} : { who: rung.who }),
      sink: rung.sink,
      afterMs: durationMs(rung.after),
      minSeverity: level(rung.minSeverity),
    })),
  }));
}

/** A level the schema has checked (`2`, `Sev2`, `sev2`). */
function level(written: number | string): Severity {
  const parsed = parseSeverity(written);
  if (parsed === undefined) throw new Error(`not a severity level: ${JSON.stringify(written)}`);
  return parsed;
}

/** What a policy is compiled against besides itself. */
interface PolicyContext {
  readonly sinkNames: readonly string[];
  readonly actions: ReadonlyMap<string, ActionSpec>;
  readonly options: CompileOptions;
}

function compilePolicy(
  spec: PolicySpec,
  path: readonly PathSegment[],
  { sinkNames, actions, options }: PolicyContext,
  report: Report,
  valid: SchemaValid,
): CompiledPolicy | undefined {
  const failures: string[] = [];
  const fail: Report = (p, message, offset) => {
    failures.push(message);
    report(p, message, offset);
  };
  const at = (...segments: PathSegment[]): PathSegment[] => [...path, ...segments];
  const match = compileMatchers(spec.match, at('match'), fail, valid);
  const value =
    spec.value !== undefined && valid(at('value'))
      ? compileCondition(spec.value, at('value'), fail)
      : undefined;
  const target = isMap(spec.target) ? spec.target : undefined;
  const kind = target !== undefined && valid(at('target', 'kind')) ? target.kind : undefined;
  const targetTemplate = (key: 'namespace' | 'name' | OwnerSourceField): Template | undefined => {
    const text = target?.[key];
    return text !== undefined && valid(at('target', key))
      ? template(text, at('target', key), fail)
      : undefined;
  };
  const namespace = targetTemplate('namespace');
  const named = target === undefined ? undefined : compileTargetName(target, kind, at, fail);
  const name = named === undefined ? undefined : targetTemplate(named.field);

  const steps = (Array.isArray(spec.steps) ? spec.steps : []).map((step, j) => {
    const stepPath = at('steps', j);
    if (!isMap(step)) return undefined;
    const action = valid([...stepPath, 'action']) ? actions.get(step.action) : undefined;
    const params = isMap(step.params) ? step.params : {};
    if (action !== undefined && action.targetKinds.length > 0) {
      if (spec.target === undefined) {
        fail(
          [...stepPath, 'action'],
          `${action.name} needs a target (kind ${orList(action.targetKinds)})`,
        );
      } else if (kind !== undefined && !action.targetKinds.includes(kind)) {
        fail(
          at('target', 'kind'),
          `${action.name} (steps[${j}]) acts on ${orList(action.targetKinds)}, not ${kind}`,
        );
      }
    }
    if (action !== undefined && valid([...stepPath, 'params'])) {
      for (const [param, message] of action.checkParams?.(params) ?? []) {
        fail(param === '' ? [...stepPath, 'params'] : [...stepPath, 'params', param], message);
      }
    }
    if (
      action !== undefined &&
      options.sources !== undefined &&
      options.sources.mlflow !== true &&
      action.needsModelRegistry?.(params) === true
    ) {
      fail(
        [...stepPath, 'params', 'mlflow'],
        'a model registry step needs MLflow: start remediator with --mlflow-url (REMEDIATOR_MLFLOW_URL)',
      );
    }
    if (
      step.action === 'notify' &&
      valid([...stepPath, 'params', 'sink']) &&
      typeof params.sink === 'string' &&
      !params.sink.includes('{{') &&
      !sinkNames.includes(params.sink)
    ) {
      fail([...stepPath, 'params', 'sink'], `no sink named "${params.sink}" under sinks:`);
    }
    const compiled = compileParams(params, [...stepPath, 'params'], fail);
    const verify =
      isMap(step.verify) && valid([...stepPath, 'verify'])
        ? compileCheck(step.verify, [...stepPath, 'verify'], options, fail)
        : undefined;
    if (!valid(stepPath)) return undefined;
    const result: CompiledStep = {
      action: step.action,
      params: compiled as Record<string, CompiledParam>,
      verifyMs: durationMs(typeof step.verify === 'string' ? step.verify : step.verify.window),
      ...(verify === undefined ? {} : { check: verify }),
    };
    return result;
  });
  const silence = valid(at('silence'))
    ? compileSilence(spec.silence, at('silence'), options.sources, fail)
    : undefined;
  const approval =
    spec.approval !== undefined && valid(at('approval'))
      ? compileApproval(spec, at('approval'), sinkNames, fail)
      : undefined;
  if (failures.length > 0 || !valid(path)) return undefined;
  return {
    name: spec.name,
    ...(spec.description === undefined ? {} : { description: spec.description }),
    match,
    ...(value === undefined ? {} : { value }),
    minSeverity: level(spec.minSeverity),
    on: spec.on,
    continue: spec.continue,
    ...(kind === undefined || namespace === undefined || name === undefined
      ? {}
      : { target: { kind, namespace, name, ...(named?.from ? { from: named.from } : {}) } }),
    steps: steps.filter((step) => step !== undefined),
    cooldownMs: durationMs(spec.cooldown),
    budget: { max: spec.budget.max, perMs: durationMs(spec.budget.per) },
    dryRun: spec.dryRun,
    autoResolve: spec.autoResolve,
    ...(silence === undefined ? {} : { silence }),
    ...(approval === undefined ? {} : { approval }),
    gitops: spec.gitops,
  };
}

/** Longest approval wait: a request older than a day is no longer about the incident it asks for. */
const MAX_APPROVAL_TIMEOUT_MS = 24 * 3_600_000;

/**
 * `approval: { minSeverity, timeout, sinks }`, its sinks defaulting to those of the policy's
 * notify steps; undefined after a problem.
 */
function compileApproval(
  spec: PolicySpec,
  path: readonly PathSegment[],
  sinkNames: readonly string[],
  fail: Report,
): ApprovalConfig | undefined {
  const given = spec.approval;
  if (given === undefined) return undefined;
  const timeoutMs = durationMs(given.timeout);
  if (timeoutMs <= 0 || timeoutMs > MAX_APPROVAL_TIMEOUT_MS) {
    fail([...path, 'timeout'], `an approval timeout must be more than 0s and at most 24h`);
    return undefined;
  }
  const fromSteps = spec.steps.flatMap((step) => {
    const sink = step.action === 'notify' && isMap(step.params) ? step.params.sink : undefined;
    return typeof sink === 'string' && !sink.includes('{{') ? [sink] : [];
  });
  const sinks = given.sinks ?? [...new Set(fromSteps)];
  if (sinks.length === 0) {
    fail(
      path,
      'an approval request must go somewhere: list sinks under approval.sinks, or give the policy a notify step',
    );
    return undefined;
  }
  const unknown = sinks.filter((sink) => !sinkNames.includes(sink));
  if (unknown.length > 0) {
    fail(
      [...path, 'sinks'],
      `no sink named ${unknown.map((u) => `"${u}"`).join(', ')} under sinks:`,
    );
    return undefined;
  }
  return {
    ...(given.minSeverity === undefined ? {} : { minSeverity: level(given.minSeverity) }),
    timeoutMs,
    sinks,
  };
}

type VerifySpec = Exclude<PolicySpec['steps'][number]['verify'], string>;

/**
 * A step's `verify: { window, query, … }`: the query compiled as a template whose values are
 * escaped for PromQL and parsed as PromQL (with placeholders for its values), its bounds, and the
 * rules between window, interval and for. Undefined without a query or after a problem.
 */
function compileCheck(
  spec: VerifySpec,
  path: readonly PathSegment[],
  options: CompileOptions,
  fail: Report,
): CompiledCheck | undefined {
  const { sources } = options;
  const bounds: Bounds = {
    ...(spec.above === undefined ? {} : { above: spec.above }),
    ...(spec.atLeast === undefined ? {} : { atLeast: spec.atLeast }),
    ...(spec.below === undefined ? {} : { below: spec.below }),
    ...(spec.atMost === undefined ? {} : { atMost: spec.atMost }),
  };
  const given = Object.keys(bounds).length > 0;
  if (spec.query === undefined) {
    const extra = ['name', 'above', 'atLeast', 'below', 'atMost', 'interval', 'for'].filter(
      (key) => (spec as Record<string, unknown>)[key] !== undefined,
    );
    if (extra.length > 0)
      fail(path, `${extra.join(', ')} ${extra.length === 1 ? 'needs' : 'need'} a \`query\``);
    return undefined;
  }
  const problems: string[] = [];
  const problem = (at: readonly PathSegment[], message: string, offset?: number): void => {
    problems.push(message);
    fail(at, message, offset);
  };
  if (!given) problem(path, 'a query needs bounds: above, atLeast, below or atMost');
  const windowMs = durationMs(spec.window);
  const intervalMs = spec.interval === undefined ? undefined : durationMs(spec.interval);
  const forMs = spec.for === undefined ? 0 : durationMs(spec.for);
  if (intervalMs !== undefined && (intervalMs <= 0 || intervalMs >= windowMs)) {
    problem(
      [...path, 'interval'],
      `interval must be more than 0s and less than the window (${spec.window})`,
    );
  }
  if (spec.for !== undefined && intervalMs === undefined) {
    problem([...path, 'for'], '`for` needs an `interval`: the query runs once otherwise');
  } else if (forMs > windowMs) {
    problem(
      [...path, 'for'],
      `for (${spec.for ?? ''}) cannot be longer than the window (${spec.window})`,
    );
  }
  if (sources !== undefined && !sources.prometheus) {
    problem(
      [...path, 'query'],
      'verifying by a PromQL query needs Prometheus: start remediator with --prometheus-url (REMEDIATOR_PROMETHEUS_URL)',
    );
  }
  const query = promqlTemplate(spec.query, [...path, 'query'], options, problem);
  if (query === undefined || problems.length > 0) return undefined;
  return {
    query,
    name: spec.name ?? 'value',
    bounds,
    ...(intervalMs === undefined ? {} : { intervalMs }),
    forMs,
  };
}

/**
 * A query template: compiled with PromQL escaping, then parsed as PromQL with each value a
 * placeholder that fits where it stands (a plain token outside strings).
 */
function promqlTemplate(
  source: string,
  path: readonly PathSegment[],
  options: CompileOptions,
  fail: Report,
): Template | undefined {
  let compiled: Template;
  try {
    compiled = compileTemplate(source, {
      allowedRoots: TEMPLATE_ROOTS,
      escapeFor: promqlEscapeFor,
    });
  } catch (err) {
    if (!(err instanceof TemplateSyntaxError)) throw err;
    fail(path, err.reason, err.column);
    return undefined;
  }
  const placeholders: Record<string, unknown> = {};
  for (const root of TEMPLATE_ROOTS) placeholders[root] = placeholderMap();
  const sample = compiled.render(placeholders as TemplateContext);
  const text = sample.ok ? sample.value : source;
  const syntax = promqlSyntaxProblem(text);
  if (syntax !== undefined) {
    // Where the problem is in the rendered sample, mapped back to the text as written when
    // the two agree up to there (no template before it).
    const offset =
      text.slice(0, syntax.offset) === source.slice(0, syntax.offset) ? syntax.offset : undefined;
    fail(path, syntax.message, offset);
    return undefined;
  }
  const judged = options.queryProblem?.(text);
  if (judged !== undefined) {
    fail(path, `Prometheus cannot parse the query: ${judged}`);
    return undefined;
  }
  options.onQuery?.(text);
  return compiled;
}

/** Every key reads `x1`: a value that fits anywhere a template may print one in a query. */
function placeholderMap(): TemplateContext {
  return new Proxy(
    {},
    {
      getOwnPropertyDescriptor: () => ({
        value: 'x1',
        enumerable: true,
        configurable: true,
        writable: false,
      }),
    },
  );
}

/** `silence: true` or `{ for }`; undefined for `false` or after a problem. */
function compileSilence(
  spec: PolicySpec['silence'],
  path: readonly PathSegment[],
  sources: ServerSources | undefined,
  fail: Report,
): SilenceConfig | undefined {
  if (spec === false) return undefined;
  if (sources !== undefined && !sources.alertmanager) {
    fail(
      path,
      'silencing alerts needs Alertmanager: start remediator with --alertmanager-url (REMEDIATOR_ALERTMANAGER_URL)',
    );
    return undefined;
  }
  return spec === true || spec.for === undefined ? {} : { forMs: durationMs(spec.for) };
}

type TargetSpec = NonNullable<PolicySpec['target']>;

/**
 * Which key names the target (`name`, `fromPod` or `fromHpa`: exactly one), and, for the last
 * two, the kind of the object it is found through; reports a target that names none, several, or
 * a kind that cannot be found that way. Undefined after a problem.
 */
function compileTargetName(
  target: TargetSpec,
  kind: TargetSpec['kind'] | undefined,
  at: (...segments: PathSegment[]) => PathSegment[],
  fail: Report,
):
  | { field: 'name' | OwnerSourceField; from?: (typeof OWNER_SOURCES)[OwnerSourceField]['kind'] }
  | undefined {
  const given = (['name', ...Object.keys(OWNER_SOURCES)] as ('name' | OwnerSourceField)[]).filter(
    (key) => target[key] !== undefined,
  );
  const [field] = given;
  if (field === undefined || given.length > 1) {
    fail(
      at('target'),
      `give exactly one of \`name\` (the object itself), \`fromPod\` (the owner of a pod) or \`fromHpa\` (what an HPA scales)${given.length > 1 ? `, not ${given.join(' and ')}` : ''}`,
    );
    return undefined;
  }
  if (field === 'name') return { field };
  const source = OWNER_SOURCES[field];
  if (kind !== undefined && !(source.owners as readonly string[]).includes(kind)) {
    fail(
      at('target', field),
      kind === 'Pod'
        ? `a Pod target is named by \`name\`; \`${field}\` finds the ${orList(source.owners)} that owns a pod`
        : `\`${field}\` finds a ${orList(source.owners)}, not a ${kind}`,
    );
    return undefined;
  }
  return { field, from: source.kind };
}

/** `a, b or c`. */
function orList(items: readonly string[]): string {
  return items.length < 2
    ? items.join('')
    : `${items.slice(0, -1).join(', ')} or ${items.at(-1) ?? ''}`;
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

type SeveritySpec = NonNullable<PolicyFileSpec['severity']>;
type SeverityRuleSpec = NonNullable<SeveritySpec['rules']>[number];

/** The runbook's rules, compiled once: they are checked by a test, never by a user's file. */
let defaultRules: readonly SeverityRule[] | undefined;

function compiledDefaultRules(): readonly SeverityRule[] {
  defaultRules ??= compileRules(
    DEFAULT_SEVERITY_SPEC.rules as unknown as SeverityRuleSpec[],
    throwing,
    everywhere,
  );
  return defaultRules;
}

/**
 * Each key given replaces the runbook default for that key; with `extends: defaults`, the rules
 * given are added to the default ones. Undefined when the schema found a problem in `severity`.
 */
export function compileSeverity(
  given: SeveritySpec,
  report: Report,
  valid: SchemaValid = everywhere,
): SeverityConfig | undefined {
  const own = Array.isArray(given.rules) ? compileRules(given.rules, report, valid) : undefined;
  if (!valid(['severity'])) return undefined;
  const extending = given.extends === 'defaults';
  const multiple = given.multipleAlerts ?? DEFAULT_SEVERITY_SPEC.multipleAlerts;
  return {
    rules: own === undefined || extending ? [...compiledDefaultRules(), ...(own ?? [])] : own,
    multipleAlerts: {
      atLeast: multiple.atLeast,
      level: level(multiple.level),
      minAlertSeverity: level(multiple.minAlertSeverity),
    },
    default: level(given.default ?? DEFAULT_SEVERITY_SPEC.default),
  };
}

function compileRules(
  specs: readonly SeverityRuleSpec[],
  report: Report,
  valid: SchemaValid,
): SeverityRule[] {
  const rules: SeverityRule[] = [];
  specs.forEach((rule, i) => {
    const path = ['severity', 'rules', i];
    if (!isMap(rule)) return;
    // (Not when the schema found a problem in the rule: a misspelt `when` would say it twice.)
    if (valid(path) && rule.when === undefined && rule.value === undefined) {
      report(path, 'a rule needs `when` matchers, a `value` condition, or both');
    }
    const when = compileMatchers(rule.when, [...path, 'when'], report, valid);
    const value =
      rule.value !== undefined && valid([...path, 'value'])
        ? compileCondition(rule.value, [...path, 'value'], report)
        : undefined;
    if (!valid(path)) return;
    rules.push({ level: level(rule.level), when, ...(value === undefined ? {} : { value }) });
  });
  return rules;
}

const throwing: Report = (path, message) => {
  throw new Error(`built-in default at ${formatPath(path)}: ${message}`);
};

/** The matchers of a list the schema may have found problems in; each valid one is parsed. */
function compileMatchers(
  texts: readonly string[] | undefined,
  path: readonly PathSegment[],
  report: Report,
  valid: SchemaValid,
): Matcher[] {
  const matchers: Matcher[] = [];
  (Array.isArray(texts) ? texts : []).forEach((text, j) => {
    if (!valid([...path, j]) || typeof text !== 'string') return;
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
