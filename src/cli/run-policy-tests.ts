import { Document, isMap, isScalar, isSeq, visit } from 'yaml';
import type { PlanEntry, PlanSkip } from '../policies/planner';
import { simulate, type SimulationStep } from '../policies/simulate';
import { formatDuration } from '../labels/durations';
import { targetText } from '../policies/plan-view';
import {
  type Expectation,
  type PlanExpectation,
  type SkipExpectation,
  type TestFile,
} from './test-file';

/** An expectation that did not hold, and every way it did not. */
export interface ExpectationFailure {
  /** Index of the notification it was checked after. */
  readonly after: number;
  /** That notification's offset from the test's start, e.g. `30s`. */
  readonly at: string;
  /** `tests[0].expect[1]`. */
  readonly path: string;
  /** One block per field that differed: `severity: expected Sev1, got Sev2`, or several lines. */
  readonly mismatches: readonly string[];
}

export interface TestResult {
  readonly name: string;
  readonly failures: readonly ExpectationFailure[];
}

/** Runs every test of a file through the pure pipeline (`simulate`) and checks its expectations. */
export function runPolicyTests(testFile: TestFile): TestResult[] {
  return testFile.tests.map((test) => {
    const steps = simulate(testFile.policySet, test.notifications);
    const failures: ExpectationFailure[] = [];
    for (const expectation of test.expectations) {
      const step = steps[expectation.after];
      if (step === undefined) continue; // The loader refuses an `after` out of range.
      const mismatches = checkExpectation(expectation, step);
      if (mismatches.length > 0) {
        failures.push({
          after: expectation.after,
          at: formatDuration(test.offsets[expectation.after] ?? 0),
          path: expectation.path,
          mismatches,
        });
      }
    }
    return { name: test.name, failures };
  });
}

/** Policies no expectation of the file names in a plan or a skip: untested. */
export function untestedPolicies(testFile: TestFile): string[] {
  const named = new Set<string>();
  for (const test of testFile.tests) {
    for (const e of test.expectations) {
      for (const p of [...(e.plan ?? []), ...(e.skips ?? [])]) named.add(p.policy);
    }
  }
  return testFile.policySet.policies.map((p) => p.name).filter((name) => !named.has(name));
}

/** The report of one file's results, as `remediator test` prints it. */
export function formatResults(testFile: TestFile, results: readonly TestResult[]): string {
  const lines = [`Unit testing ${testFile.file} (policies: ${testFile.policySet.source})`];
  for (const result of results) {
    lines.push(`  ${result.failures.length === 0 ? 'PASS' : 'FAIL'}  ${result.name}`);
    for (const failure of result.failures) {
      lines.push(
        `    after notification ${failure.after} (at ${failure.at}), ${failure.path}:`,
        ...failure.mismatches.flatMap((m) => indent(m, 6)),
      );
    }
  }
  return `${lines.join('\n')}\n`;
}

/**
 * The policies that no expectation names, in words, over every test file of one run: several
 * files may test one set of policies (a directory: a test file per pack), so a policy counts as
 * tested when any file of the run that loads the same set names it.
 */
export function untestedNotes(testFiles: readonly TestFile[]): string[] {
  const bySet = new Map<string, TestFile[]>();
  for (const f of testFiles) {
    bySet.set(f.policySet.source, [...(bySet.get(f.policySet.source) ?? []), f]);
  }
  return [...bySet].flatMap(([source, files]) => {
    const untested = files
      .map((f) => new Set(untestedPolicies(f)))
      .reduce((all, next) => new Set([...all].filter((p) => next.has(p))));
    return [...untested].map(
      (policy) =>
        `note: no expectation of ${files.map((f) => f.file).join(', ')} names policy "${policy}" of ${source} in a plan or a skip`,
    );
  });
}

function checkExpectation(e: Expectation, step: SimulationStep): string[] {
  const out: string[] = [];
  const scalar = (field: string, expected: unknown, got: unknown): void => {
    if (expected !== undefined && expected !== got) {
      out.push(`${field}: expected ${show(expected)}, got ${show(got)}`);
    }
  };
  const incident = step.incident;
  scalar('changed', e.changed, step.changed);
  scalar('incident', e.incident, incident?.id ?? 'no incident');
  scalar('severity', e.severity, incident?.severity ?? 'no incident');
  scalar('status', e.status, incident?.status ?? 'no incident');
  scalar('heldOpen', e.heldOpen, incident?.heldOpen ?? 'no incident');
  const reasons = incident?.severityReasons ?? [];
  for (const wanted of e.severityReasons ?? []) {
    if (!reasons.some((r) => r.includes(wanted))) {
      out.push(`severityReasons: none contains ${show(wanted)}; got:${block(reasons, 2)}`);
    }
  }
  const messages = step.timeline.map((t) => t.message);
  for (const wanted of e.timeline ?? []) {
    if (!messages.some((m) => m.includes(wanted))) {
      out.push(`timeline: no entry contains ${show(wanted)}; got:${block(messages, 2)}`);
    }
  }
  if (e.plan !== undefined && !matchAll(e.plan, step.plan, planMatches)) {
    const got = step.plan.map((p) => planView(p, e.plan ?? []));
    out.push(`plan:\n  expected:${block(e.plan, 4)}\n  got:${block(got, 4)}`);
  }
  if (e.skips !== undefined && !matchAll(e.skips, step.skips, skipMatches)) {
    const got = step.skips.map((s) => skipView(s, e.skips ?? []));
    out.push(`skips:\n  expected:${block(e.skips, 4)}\n  got:${block(got, 4)}`);
  }
  return out;
}

function planMatches(e: PlanExpectation, got: PlanEntry): boolean {
  if (e.policy !== got.policy) return false;
  if (e.trigger !== undefined && e.trigger !== got.trigger) return false;
  if (e.target !== undefined && e.target !== targetText(got.target)) return false;
  if (
    e.steps !== undefined &&
    !sameList(
      e.steps,
      got.steps.map((s) => s.action),
    )
  )
    return false;
  for (const [action, subset] of Object.entries(e.params ?? {})) {
    const step = got.steps.find((s) => s.action === action);
    if (step === undefined || !isSubset(subset, step.params)) return false;
  }
  if (e.dryRun !== undefined && e.dryRun !== got.dryRun) return false;
  if (e.autoResolve !== undefined && e.autoResolve !== got.autoResolve) return false;
  if (e.gitops !== undefined && e.gitops !== (got.gitops ?? 'skip')) return false;
  if (e.alerts !== undefined && e.alerts !== got.alerts.length) return false;
  if (
    e.alertnames !== undefined &&
    !sameList([...e.alertnames].sort(), [...got.alertnames].sort())
  ) {
    return false;
  }
  return true;
}

function skipMatches(e: SkipExpectation, got: PlanSkip): boolean {
  if (e.policy !== got.policy) return false;
  if (e.trigger !== undefined && e.trigger !== got.trigger) return false;
  if (e.code !== undefined && e.code !== got.code) return false;
  if (e.reason !== undefined && !got.reason.includes(e.reason)) return false;
  if (e.alerts !== undefined && e.alerts !== got.alerts.length) return false;
  return true;
}

/** A plan entry in the test file's own shorthand, with the fields the expectations use. */
function planView(entry: PlanEntry, expected: readonly PlanExpectation[]): Record<string, unknown> {
  const uses = (key: keyof PlanExpectation): boolean => expected.some((e) => e[key] !== undefined);
  const params: Record<string, unknown> = {};
  for (const step of entry.steps) {
    if (!(step.action in params) && Object.keys(step.params).length > 0)
      params[step.action] = step.params;
  }
  return {
    policy: entry.policy,
    trigger: entry.trigger,
    target: targetText(entry.target),
    steps: entry.steps.map((s) => s.action),
    ...(uses('params') ? { params } : {}),
    ...(uses('dryRun') ? { dryRun: entry.dryRun } : {}),
    ...(uses('autoResolve') ? { autoResolve: entry.autoResolve } : {}),
    ...(uses('gitops') ? { gitops: entry.gitops ?? 'skip' } : {}),
    ...(uses('alerts') ? { alerts: entry.alerts.length } : {}),
    ...(uses('alertnames') ? { alertnames: entry.alertnames } : {}),
  };
}

function skipView(skip: PlanSkip, expected: readonly SkipExpectation[]): Record<string, unknown> {
  const uses = (key: keyof SkipExpectation): boolean => expected.some((e) => e[key] !== undefined);
  return {
    policy: skip.policy,
    trigger: skip.trigger,
    ...(uses('code') ? { code: skip.code } : {}),
    reason: skip.reason,
    ...(uses('alerts') ? { alerts: skip.alerts.length } : {}),
  };
}

/**
 * Whether the expected items and the actual ones pair up exactly (each expected item with a
 * different actual item it matches, none left over), in any order: a bipartite matching.
 */
function matchAll<E, G>(
  expected: readonly E[],
  got: readonly G[],
  matches: (e: E, g: G) => boolean,
): boolean {
  if (expected.length !== got.length) return false;
  const owner: (number | undefined)[] = got.map(() => undefined);
  const assign = (i: number, seen: Set<number>): boolean => {
    const e = expected[i] as E;
    for (let j = 0; j < got.length; j++) {
      if (seen.has(j) || !matches(e, got[j] as G)) continue;
      seen.add(j);
      const current = owner[j];
      if (current === undefined || assign(current, seen)) {
        owner[j] = i;
        return true;
      }
    }
    return false;
  };
  return expected.every((_, i) => assign(i, new Set()));
}

/** Objects: every expected key holds in `got`; arrays: same length, item by item; scalars: equal. */
function isSubset(expected: unknown, got: unknown): boolean {
  if (Array.isArray(expected)) {
    return (
      Array.isArray(got) &&
      expected.length === got.length &&
      expected.every((e, i) => isSubset(e, (got as unknown[])[i]))
    );
  }
  if (expected !== null && typeof expected === 'object') {
    if (got === null || typeof got !== 'object' || Array.isArray(got)) return false;
    const actual = got as Record<string, unknown>;
    return Object.entries(expected).every(
      ([k, v]) => Object.hasOwn(actual, k) && isSubset(v, actual[k]),
    );
  }
  return expected === got;
}

function sameList(a: readonly unknown[], b: readonly unknown[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function show(value: unknown): string {
  return typeof value === 'string' && /^Sev\d$|^[a-z]+$/.test(value)
    ? value
    : JSON.stringify(value);
}

/**
 * A list as compact YAML on the lines below its label (or ` []`): lists of scalars and maps of scalars below the top level in flow style
 * (`steps: [scale, notify]`), so that an entry reads like the test file that expects it.
 */
function block(list: readonly unknown[], by: number): string {
  if (list.length === 0) return ' []';
  const doc = new Document(list);
  visit(doc, {
    Seq(_key, node, path) {
      if (path.length > 1 && node.items.every((i) => isScalar(i))) node.flow = true;
    },
    Map(_key, node, path) {
      if (path.length > 2 && node.items.every((p) => !isMap(p.value) && !isSeq(p.value))) {
        node.flow = true;
      }
    },
  });
  const text = doc.toString({ lineWidth: 0, flowCollectionPadding: false }).trimEnd();
  return `\n${indent(text, by).join('\n')}`;
}

function indent(text: string, by: number): string[] {
  return text.split('\n').map((line) => `${' '.repeat(by)}${line}`);
}
