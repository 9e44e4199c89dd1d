import { activityOf, actorOf, type ActivityInput } from '../../src/api/views';
import type { StoredPlan } from '../../src/journal/plan-records';
import type { StoredRemediation } from '../../src/journal/remediation-records';

const AT = Date.parse('2026-11-27T14:00:00Z');

function plan(overrides: Partial<StoredPlan> = {}): StoredPlan {
  return {
    id: 1,
    incidentId: 1,
    policy: 'performance-degradation',
    trigger: 'firing',
    status: 'running',
    reason: 'matched',
    alerts: [],
    target: { kind: 'Deployment', namespace: 'prod', name: 'api' },
    steps: [
      { action: 'scale', params: {}, verifyMs: 300_000 },
      { action: 'notify', params: {}, verifyMs: 0 },
    ],
    dryRun: false,
    autoResolve: true,
    cooldownMs: 0,
    budget: { max: 1, perMs: 0 },
    currentStep: 0,
    createdAt: AT,
    updatedAt: AT,
    ...overrides,
  };
}

function step(overrides: Partial<StoredRemediation> = {}): StoredRemediation {
  return {
    id: 1,
    planId: 1,
    incidentId: 1,
    policy: 'performance-degradation',
    step: 0,
    action: 'scale',
    status: 'applied',
    dryRun: false,
    startedAt: AT,
    ...overrides,
  };
}

const base: ActivityInput = {
  status: 'identified',
  plans: [],
  remediations: [],
  escalated: false,
  paused: false,
};

describe('what remediator is doing now', () => {
  it('names the step in flight first', () => {
    expect(
      activityOf({ ...base, plans: [plan()], remediations: [step({ status: 'intent' })] }),
    ).toEqual({
      kind: 'running',
      text: 'Running step 1/2 scale on Deployment prod/api (policy performance-degradation)',
      until: null,
    });
  });

  it('then a verify window, with its end', () => {
    const verifying = step({ verifyUntil: AT + 300_000 });
    expect(activityOf({ ...base, plans: [plan()], remediations: [verifying] })).toEqual({
      kind: 'verifying',
      text: 'Verifying step 1/2 scale on Deployment prod/api (policy performance-degradation) until 14:05:00 UTC',
      until: '2026-11-27T14:05:00.000Z',
    });
    const judged = step({ verifyUntil: AT + 300_000, verification: 'ineffective' });
    expect(
      activityOf({ ...base, plans: [plan({ currentStep: 1 })], remediations: [judged] }),
    ).toMatchObject({
      kind: 'planned',
      text: 'Planned: step 2/2 notify (policy performance-degradation)',
    });
  });

  it('says a plan waits for the pause to end', () => {
    const stopped = plan({ status: 'skipped' });
    const skipped = step({ status: 'skipped', reason: 'paused' });
    expect(
      activityOf({ ...base, paused: true, plans: [stopped], remediations: [skipped] }),
    ).toMatchObject({
      kind: 'paused',
      text: 'Remediation paused: performance-degradation will run on resume',
    });
    expect(
      activityOf({ ...base, paused: false, plans: [stopped], remediations: [skipped] }).kind,
    ).toBe('watching');
  });

  it('then escalation, a hold for a human, or watching', () => {
    const done = plan({ status: 'escalated' });
    expect(activityOf({ ...base, plans: [done], escalated: true }).text).toBe(
      'Escalated to humans',
    );
    expect(activityOf({ ...base, holdOpen: 'policy security-breach' }).kind).toBe('held_open');
    expect(activityOf(base).text).toBe('No policy acts on it: watching its alerts');
    expect(activityOf({ ...base, plans: [plan({ status: 'effective' })] }).text).toBe(
      'Watching its alerts',
    );
  });

  it('says nothing more of a resolved incident', () => {
    const input = {
      ...base,
      status: 'resolved' as const,
      remediations: [step({ status: 'intent' })],
    };
    expect(activityOf(input)).toEqual({ kind: 'resolved', text: 'Resolved', until: null });
  });
});

describe('who wrote a timeline entry', () => {
  it('is whoever the write names, else Alertmanager for alerts, remediator for its own decisions', () => {
    expect(actorOf({ kind: 'narrative', data: { by: 'Ann (console)' } })).toBe('Ann (console)');
    expect(actorOf({ kind: 'narrative' })).toBe('a human');
    expect(actorOf({ kind: 'alerts_firing' })).toBe('Alertmanager');
    expect(actorOf({ kind: 'remediation', data: { by: 42 } })).toBe('remediator');
  });
});
