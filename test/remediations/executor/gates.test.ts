import { FLUX_KUSTOMIZATION } from '../../../src/kube/custom-resources';
import { gitopsSkip } from '../../../src/remediations/executor/gate-checks';
import type { RenderedTarget } from '../../../src/policies/planner';
import type { SafetyConfig } from '../../../src/policies/policy';
import { SKIP_CODES } from '../../../src/skip-codes';
import {
  blastRadius,
  cooldownOrBudget,
  ESCALATING_SKIPS,
  optedOut,
  protectedNamespace,
  type Skip,
} from '../../../src/remediations/executor/gates';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const NOW = Date.parse('2024-05-01T10:00:00.000Z');

const SAFETY: SafetyConfig = {
  protectedNamespaces: ['kube-system', 'monitoring'],
  optOutAnnotation: 'remediator.dev/opt-out',
  blastRadius: { perNamespace: 2, cluster: 5, windowMs: 15 * MINUTE },
  circuitBreaker: { failures: 3, openForMs: 10 * MINUTE },
  lockTimeoutMs: 5 * MINUTE,
  maxPlansPerNotification: 100,
};

const WEB: RenderedTarget = { kind: 'Deployment', namespace: 'ns', name: 'web' };

describe('protectedNamespace', () => {
  it.each(['kube-system', 'monitoring'])('refuses a target in the protected namespace %s', (ns) => {
    expect(protectedNamespace({ ...WEB, namespace: ns }, SAFETY)).toEqual<Skip>({
      code: 'protected_namespace',
      reason: `namespace ${ns} is protected (safety.protectedNamespaces)`,
    });
  });

  it.each([
    ['another namespace', 'ns'],
    ['a namespace that only contains a protected name', 'kube-system-extra'],
    ['a protected name in another case', 'Kube-System'],
  ])('lets a target in %s through', (_name, ns) => {
    expect(protectedNamespace({ ...WEB, namespace: ns }, SAFETY)).toBeUndefined();
  });

  it('lets a plan without a target through', () => {
    expect(protectedNamespace(undefined, SAFETY)).toBeUndefined();
  });

  it('protects nothing when the list is empty', () => {
    expect(
      protectedNamespace(
        { ...WEB, namespace: 'kube-system' },
        { ...SAFETY, protectedNamespaces: [] },
      ),
    ).toBeUndefined();
  });
});

describe('optedOut', () => {
  const OPTED_OUT: Skip = {
    code: 'opted_out',
    reason: 'the target has the annotation remediator.dev/opt-out: "true"',
  };

  it.each(['true', 'True', 'TRUE'])('skips a target annotated %j', (value) => {
    expect(optedOut({ 'remediator.dev/opt-out': value }, SAFETY)).toEqual(OPTED_OUT);
  });

  it.each<[string, Record<string, string> | undefined]>([
    ['"false"', { 'remediator.dev/opt-out': 'false' }],
    ['"False"', { 'remediator.dev/opt-out': 'False' }],
    ['an empty value', { 'remediator.dev/opt-out': '' }],
    ['"yes"', { 'remediator.dev/opt-out': 'yes' }],
    ['"1"', { 'remediator.dev/opt-out': '1' }],
    ['" true" with a space', { 'remediator.dev/opt-out': ' true' }],
    ['the annotation absent', { 'team.example.com/owner': 'ml' }],
    ['the opt-out value under another key', { 'example.com/opt-out': 'true' }],
    ['no annotations at all', undefined],
  ])('acts on a target with %s', (_name, annotations) => {
    expect(optedOut(annotations, SAFETY)).toBeUndefined();
  });

  it('reads the annotation the safety config names', () => {
    const safety = { ...SAFETY, optOutAnnotation: 'example.com/hands-off' };
    expect(optedOut({ 'example.com/hands-off': 'true' }, safety)).toEqual({
      code: 'opted_out',
      reason: 'the target has the annotation example.com/hands-off: "true"',
    });
    expect(optedOut({ 'remediator.dev/opt-out': 'true' }, safety)).toBeUndefined();
  });
});

describe('cooldownOrBudget', () => {
  const COOLDOWN = 10 * MINUTE;
  const BUDGET = { max: 3, perMs: HOUR };
  const ago = (ms: number) => NOW - ms;

  it('lets a target without attempts through', () => {
    expect(cooldownOrBudget({ attempts: [] }, NOW, COOLDOWN, BUDGET)).toBeUndefined();
  });

  it.each([
    [5 * MINUTE, 300],
    [1, 600],
    [COOLDOWN - 500, 1],
    [COOLDOWN - 1_001, 2],
  ])('skips for cooldown when the last attempt was %d ms ago, with %d s left', (elapsed, left) => {
    const last = ago(elapsed);
    expect(cooldownOrBudget({ attempts: [last] }, NOW, COOLDOWN, BUDGET)).toEqual<Skip>({
      code: 'cooldown',
      reason: `in cooldown for another ${left}s (last attempt ${new Date(last).toISOString()})`,
    });
  });

  it('names the last attempt when several are recorded', () => {
    const skip = cooldownOrBudget(
      { attempts: [ago(50 * MINUTE), ago(2 * MINUTE)] },
      NOW,
      COOLDOWN,
      BUDGET,
    );
    expect(skip).toEqual({
      code: 'cooldown',
      reason: 'in cooldown for another 480s (last attempt 2024-05-01T09:58:00.000Z)',
    });
  });

  it.each([
    ['exactly the cooldown ago', COOLDOWN],
    ['longer ago than the cooldown', COOLDOWN + 1],
  ])('lets a target through once its last attempt is %s', (_name, elapsed) => {
    expect(cooldownOrBudget({ attempts: [ago(elapsed)] }, NOW, COOLDOWN, BUDGET)).toBeUndefined();
  });

  it('skips for budget once max attempts fall inside perMs', () => {
    const attempts = [ago(50 * MINUTE), ago(30 * MINUTE), ago(20 * MINUTE)];
    expect(cooldownOrBudget({ attempts }, NOW, COOLDOWN, BUDGET)).toEqual<Skip>({
      code: 'budget',
      reason: 'attempt budget used up: 3 of 3 in the last 60m',
    });
  });

  it('counts every attempt inside the window in the reason, even beyond max', () => {
    const attempts = [55, 45, 35, 25, 15].map((m) => ago(m * MINUTE));
    expect(cooldownOrBudget({ attempts }, NOW, COOLDOWN, BUDGET)?.reason).toBe(
      'attempt budget used up: 5 of 3 in the last 60m',
    );
  });

  it.each([
    ['one attempt exactly perMs ago', [ago(HOUR), ago(30 * MINUTE), ago(20 * MINUTE)]],
    ['one attempt older than perMs', [ago(3 * HOUR), ago(30 * MINUTE), ago(20 * MINUTE)]],
    ['only older attempts', [ago(5 * HOUR), ago(4 * HOUR), ago(3 * HOUR), ago(2 * HOUR)]],
  ])('counts only attempts inside perMs: %s leaves budget', (_name, attempts) => {
    expect(cooldownOrBudget({ attempts }, NOW, COOLDOWN, BUDGET)).toBeUndefined();
  });

  it('reports the cooldown before the budget when both apply', () => {
    const attempts = [ago(30 * MINUTE), ago(20 * MINUTE), ago(MINUTE)];
    expect(cooldownOrBudget({ attempts }, NOW, COOLDOWN, BUDGET)?.code).toBe('cooldown');
  });

  it('states the budget window in minutes as configured', () => {
    const attempts = [ago(3 * HOUR), ago(2 * HOUR)];
    expect(
      cooldownOrBudget({ attempts }, NOW, COOLDOWN, { max: 2, perMs: 24 * HOUR })?.reason,
    ).toBe('attempt budget used up: 2 of 2 in the last 1440m');
  });

  it('applies no cooldown when it is zero', () => {
    expect(cooldownOrBudget({ attempts: [NOW] }, NOW, 0, BUDGET)).toBeUndefined();
  });
});

describe('blastRadius', () => {
  it.each([
    ['nothing acted yet', { namespace: 0, cluster: 0 }],
    ['both counts below their limits', { namespace: 1, cluster: 4 }],
  ])('lets a plan through with %s', (_name, counts) => {
    expect(blastRadius(counts, WEB, SAFETY)).toBeUndefined();
  });

  it.each([
    ['at', 5],
    ['over', 9],
  ])('refuses a plan with the cluster count %s its limit', (_name, cluster) => {
    expect(blastRadius({ namespace: 0, cluster }, WEB, SAFETY)).toEqual<Skip>({
      code: 'blast_radius',
      reason: `${cluster} plans already acted in the cluster in the last 15m (limit 5)`,
    });
  });

  it.each([
    ['at', 2],
    ['over', 3],
  ])('refuses a plan with the namespace count %s its limit', (_name, namespace) => {
    expect(blastRadius({ namespace, cluster: namespace }, WEB, SAFETY)).toEqual<Skip>({
      code: 'blast_radius',
      reason: `${namespace} plans already acted in namespace ns in the last 15m (limit 2)`,
    });
  });

  it('names the cluster limit when both are reached', () => {
    expect(blastRadius({ namespace: 5, cluster: 5 }, WEB, SAFETY)?.reason).toBe(
      '5 plans already acted in the cluster in the last 15m (limit 5)',
    );
  });

  it('applies only the cluster limit to a plan without a target', () => {
    expect(blastRadius({ namespace: 9, cluster: 4 }, undefined, SAFETY)).toBeUndefined();
    expect(blastRadius({ namespace: 0, cluster: 5 }, undefined, SAFETY)?.code).toBe('blast_radius');
  });
});

describe('skip codes', () => {
  it('lists every code the gates return, and escalates on limits and on a GitOps owner', () => {
    const returned = [
      protectedNamespace({ ...WEB, namespace: 'kube-system' }, SAFETY),
      optedOut({ 'remediator.dev/opt-out': 'true' }, SAFETY),
      cooldownOrBudget({ attempts: [NOW] }, NOW, MINUTE, { max: 9, perMs: HOUR }),
      cooldownOrBudget({ attempts: [NOW - HOUR + 1] }, NOW, MINUTE, { max: 1, perMs: HOUR }),
      blastRadius({ namespace: 0, cluster: 99 }, WEB, SAFETY),
      gitopsSkip(WEB, [
        {
          controller: 'Flux',
          resource: FLUX_KUSTOMIZATION,
          namespace: 'flux-system',
          name: 'apps',
          via: 'label kustomize.toolkit.fluxcd.io/name',
          object: {},
        },
      ]),
    ].map((skip) => skip?.code);
    expect(returned).toEqual([
      'protected_namespace',
      'opted_out',
      'cooldown',
      'budget',
      'blast_radius',
      'gitops_managed',
    ]);
    for (const code of returned) expect(SKIP_CODES).toContain(code);
    expect([...ESCALATING_SKIPS].sort()).toEqual([
      'blast_radius',
      'budget',
      'circuit_open',
      'gitops_managed',
    ]);
  });
});
