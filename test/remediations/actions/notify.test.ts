import { notify } from '../../../src/remediations/actions/notify';
import { context, incident, okNotifier, planned, StubNotifier } from '../support';

/** notify never reaches Kubernetes: a port that fails every call proves it. */
const noKube = new Proxy(
  {},
  {
    get: () => () => Promise.reject(new Error('notify must not call the Kubernetes API')),
  },
) as Parameters<typeof context>[0];

describe('notify', () => {
  it('always plans to act, with the sink and the template in the summary', async () => {
    const decision = await planned(
      notify,
      context(noKube, { params: { sink: 'oncall', template: 'status-update' } }),
    );
    expect(decision).toEqual({
      kind: 'act',
      summary: 'notify oncall (status-update)',
      intent: { sink: 'oncall', template: 'status-update' },
    });
  });

  it('defaults the template to the status update and names a custom text as such', async () => {
    expect((await planned(notify, context(noKube, { params: { sink: 'oncall' } }))).intent).toEqual(
      { sink: 'oncall', template: 'status-update' },
    );
    const custom = await planned(
      notify,
      context(noKube, {
        params: {
          sink: 'security',
          template: 'status-update',
          text: 'Pod {{ labels.pod }} isolated',
        },
      }),
    );
    expect(custom.summary).toBe('notify security (custom text)');
  });

  it('sends the notice through the notifier and reports the delivery', async () => {
    const notifier = okNotifier();
    const ctx = context(noKube, {
      notifier,
      params: { sink: 'oncall', template: 'resolution-notice', text: 'Rolled back' },
    });
    const result = await notify.apply(ctx, (await planned(notify, ctx)).intent);
    expect(result.summary).toBe('notified oncall (HTTP 200, 1 attempt)');
    expect(notifier.sent).toEqual([
      {
        sink: 'oncall',
        template: 'resolution-notice',
        text: 'Rolled back',
        incident: incident(),
        reason: 'policy web-errors',
      },
    ]);
  });

  it('counts the attempts the notifier needed', async () => {
    const notifier = new StubNotifier((n) =>
      Promise.resolve({ sink: n.sink, attempts: 3, status: 204 }),
    );
    const ctx = context(noKube, { notifier, params: { sink: 'oncall' } });
    const result = await notify.apply(ctx, (await planned(notify, ctx)).intent);
    expect(result.summary).toBe('notified oncall (HTTP 204, 3 attempts)');
  });

  it('sends in a dry-run plan, marked as a dry run: a message changes no cluster', async () => {
    const notifier = okNotifier();
    const ctx = context(noKube, {
      notifier,
      dryRun: false,
      dryRunPlan: true,
      params: { sink: 'oncall' },
    });
    const result = await notify.apply(ctx, (await planned(notify, ctx)).intent);
    expect(result.summary).toBe('notified oncall (HTTP 200, 1 attempt, marked as a dry run)');
    expect(notifier.sent.map((n) => [n.sink, n.dryRun])).toEqual([['oncall', true]]);
  });

  it('keeps the message back, and has it counted, when the dry run is told not to send', async () => {
    const notifier = okNotifier();
    const ctx = context(noKube, { notifier, dryRun: true, params: { sink: 'oncall' } });
    const result = await notify.apply(ctx, (await planned(notify, ctx)).intent);
    expect(result.summary).toBe('would notify oncall (not sent: --dry-run-notify=false)');
    expect(notifier.sent).toEqual([]);
    expect(notifier.withheld.map((n) => [n.sink, n.template, n.dryRun])).toEqual([
      ['oncall', 'status-update', true],
    ]);
  });

  it('marks nothing outside a dry run', async () => {
    const notifier = okNotifier();
    const ctx = context(noKube, { notifier, params: { sink: 'oncall' } });
    await notify.apply(ctx, (await planned(notify, ctx)).intent);
    expect(notifier.sent[0]?.dryRun).toBeUndefined();
  });

  it('passes on a delivery failure', async () => {
    const notifier = new StubNotifier(() =>
      Promise.reject(new Error('sink "oncall" answered 500 after 3 attempts')),
    );
    const ctx = context(noKube, { notifier, params: { sink: 'oncall' } });
    await expect(notify.apply(ctx, (await planned(notify, ctx)).intent)).rejects.toThrow(
      'sink "oncall" answered 500 after 3 attempts',
    );
  });

  it('reconciles as not done, before and after sending: a notice may repeat but is never lost', async () => {
    const ctx = context(noKube, { params: { sink: 'oncall' } });
    const { intent } = await planned(notify, ctx);
    expect(await notify.reconcile(ctx, intent)).toBe('not_done');
    await notify.apply(ctx, intent);
    expect(await notify.reconcile(ctx, intent)).toBe('not_done');
  });
});
