import {
  describeAlerts,
  formatNextUpdate,
  impactOf,
  renderMessage,
} from '../../src/notify/messages';
import { alert, incident, latencyIncident, notification, OPENED } from './incidents';

const NOW = new Date('2026-11-27T14:20:00Z');

describe('the status update', () => {
  it('renders the runbook template with severity, status, impact, details and next update', () => {
    const message = renderMessage(
      notification(latencyIncident({ status: 'identified' }), {
        nextUpdate: new Date('2026-11-27T14:50:00Z'),
      }),
      NOW,
    );
    expect(message.title).toBe('[Sev1] Incident Update');
    expect(message.text).toBe(
      [
        '[Sev1] Incident Update',
        'Status: Identified',
        'Impact: Performance',
        'Details: 3 alerts firing (HighLatency ×2, HighErrorRate) in namespace prod, deployment heart-api, service heart-api; policy scale-out-on-latency, step 1',
        'Next Update: 14:50 UTC',
      ].join('\n'),
    );
    expect(message.fields.map((f) => f.label)).toEqual([
      'Status',
      'Impact',
      'Details',
      'Next Update',
    ]);
  });

  it.each([
    ['investigating', 'Investigating'],
    ['identified', 'Identified'],
    ['resolving', 'Resolving'],
    ['resolved', 'Resolved'],
  ] as const)('shows status %s as %s', (status, shown) => {
    const message = renderMessage(notification(latencyIncident({ status })), NOW);
    expect(message.text).toContain(`\nStatus: ${shown}\n`);
  });

  it('shows the severity level in the title', () => {
    const message = renderMessage(notification(latencyIncident({ severity: 3 })), NOW);
    expect(message.title).toBe('[Sev3] Incident Update');
  });

  it('says "on change" when no next update is scheduled', () => {
    const message = renderMessage(notification(latencyIncident()), NOW);
    expect(message.text).toMatch(/\nNext Update: on change$/);
  });

  it('quotes the latest timeline line when the incident carries its timeline', () => {
    const withTimeline = latencyIncident({
      timeline: [
        { at: OPENED, kind: 'opened', message: 'Incident opened' },
        { at: OPENED, kind: 'status', message: 'Status Investigating → Identified: scale planned' },
      ],
    });
    const details = renderMessage(notification(withTimeline), NOW).fields[2]?.value;
    expect(details).toMatch(/; Status Investigating → Identified: scale planned$/);
    expect(details).not.toContain('policy scale-out-on-latency');
  });

  it('falls back to the reason when the timeline is absent, empty or not a list of lines', () => {
    for (const timeline of [undefined, [], 'garbage', [{ at: 1 }]]) {
      const details = renderMessage(notification(latencyIncident({ timeline })), NOW).fields[2]
        ?.value;
      expect(details).toMatch(/; policy scale-out-on-latency, step 1$/);
    }
  });

  it('keeps Details short however many alerts and components there are', () => {
    const alerts = Array.from({ length: 200 }, (_, i) =>
      alert({
        alertname: `Alert${i % 40}WithAQuiteLongName`,
        namespace: `ns-${i}`,
        deployment: `deployment-${i}`,
      }),
    );
    const details = renderMessage(notification(incident(alerts)), NOW).fields[2]?.value ?? '';
    expect(details.length).toBeLessThanOrEqual(600);
    expect(details).toMatch(
      /^200 alerts firing \(.*, 35 more\) in namespace ns-0\/ns-1\/ns-10 \+197 more/,
    );
  });

  it('replaces the body with a custom text and keeps the title', () => {
    const message = renderMessage(
      notification(latencyIncident(), { text: 'Scaled heart-api to 8 replicas.' }),
      NOW,
    );
    expect(message).toEqual({
      title: '[Sev1] Incident Update',
      text: '[Sev1] Incident Update\nScaled heart-api to 8 replicas.',
      fields: [],
    });
  });

  it('ignores a blank custom text', () => {
    const message = renderMessage(notification(latencyIncident(), { text: '  \n' }), NOW);
    expect(message.fields).toHaveLength(4);
  });
});

describe('Details', () => {
  it.each([
    {
      case: 'one alert',
      alerts: [alert({ alertname: 'ServiceDown' })],
      expected: '1 alert firing (ServiceDown)',
    },
    {
      case: 'some resolved',
      alerts: [alert({ alertname: 'A', namespace: 'prod' }), alert({ alertname: 'B' }, 'resolved')],
      expected: '1 of 2 alerts firing (A) in namespace prod',
    },
    {
      case: 'all resolved',
      alerts: [alert({ alertname: 'A' }, 'resolved'), alert({ alertname: 'A' }, 'resolved')],
      expected: 'all 2 alerts resolved (A ×2)',
    },
    {
      case: 'the only one resolved',
      alerts: [alert({ alertname: 'A' }, 'resolved')],
      expected: '1 alert resolved (A)',
    },
    {
      case: 'several deployments',
      alerts: [
        alert({ alertname: 'B', deployment: 'worker' }),
        alert({ alertname: 'A', deployment: 'api' }),
      ],
      expected: '2 alerts firing (A, B) in deployment api/worker',
    },
    {
      case: 'no alertname',
      alerts: [alert({ severity: 'warning' })],
      expected: '1 alert firing ((no alertname))',
    },
    { case: 'no alerts', alerts: [], expected: 'no alerts' },
  ])('with $case reads "$expected"', ({ alerts, expected }) => {
    expect(describeAlerts(alerts)).toBe(expected);
  });
});

describe('impact', () => {
  it.each([
    [['UnusualAccessPattern'], 'Security'],
    [['AuthFailuresSpike'], 'Security'],
    [['DataBreach'], 'Security'],
    [['DataExfiltration'], 'Security'],
    [['SecurityWarning'], 'Security'],
    [['HighLatency'], 'Performance'],
    [['HighCPUUsage'], 'Performance'],
    [['high_memory_usage'], 'Performance'],
    [['ResourceWarning'], 'Performance'],
    [['ServiceDown'], 'Service'],
    [['ModelAccuracyDrop'], 'Service'],
    [['HighErrorRate'], 'Service'],
    [['HighLatency', 'UnusualAccess', 'ServiceDown'], 'Security'],
    [['ServiceDown', 'HighCPUUsage'], 'Performance'],
    [[], 'Service'],
  ])('of alerts %j is %s', (names, expected) => {
    expect(impactOf(names.map((alertname) => ({ labels: { alertname } })))).toBe(expected);
  });

  it('is Service for an alert without a name', () => {
    expect(impactOf([{ labels: {} }])).toBe('Service');
  });

  it('stays Security in a status update after the security alert resolved', () => {
    const held = incident([
      alert({ alertname: 'UnusualAccess' }, 'resolved'),
      alert({ alertname: 'HighLatency' }),
    ]);
    expect(renderMessage(notification(held), NOW).fields[1]).toEqual({
      label: 'Impact',
      value: 'Security',
    });
  });
});

describe('the resolution notice', () => {
  const resolvedAt = OPENED + (72 * 60 + 30) * 1000;

  it('renders the runbook template with time, duration, impact, root cause and prevention', () => {
    const message = renderMessage(
      notification(latencyIncident({ status: 'resolved', resolvedAt }), {
        template: 'resolution-notice',
      }),
      NOW,
    );
    expect(message.title).toBe('Incident Resolution');
    expect(message.text).toBe(
      [
        'Incident Resolution',
        'Time: 2026-11-27T15:12:30.000Z',
        'Duration: 1h 12m',
        'Impact: Sev1 Performance impact: 3 alerts (HighLatency ×2, HighErrorRate) in namespace prod, deployment heart-api, service heart-api',
        'Root Cause: under investigation',
        'Prevention: to be decided in the post-incident review',
      ].join('\n'),
    );
  });

  it('shows the root cause and prevention once the incident has them', () => {
    const message = renderMessage(
      notification(
        latencyIncident({
          status: 'resolved',
          resolvedAt,
          rootCause: ' Model v7 doubled inference time. ',
          prevention: 'Load-test model releases.',
        }),
        { template: 'resolution-notice' },
      ),
      NOW,
    );
    expect(message.fields.slice(3)).toEqual([
      { label: 'Root Cause', value: 'Model v7 doubled inference time.' },
      { label: 'Prevention', value: 'Load-test model releases.' },
    ]);
  });

  // An old or hand-edited record may hold anything: the typed fields are read defensively.
  it.each([[''], ['   '], [42], [null], [{ text: 'x' }]])('ignores a root cause of %j', (value) => {
    const rootCause = value as string;
    const message = renderMessage(
      notification(latencyIncident({ resolvedAt, rootCause, prevention: rootCause }), {
        template: 'resolution-notice',
      }),
      NOW,
    );
    expect(message.text).toContain('\nRoot Cause: under investigation\n');
    expect(message.text).toMatch(/\nPrevention: to be decided in the post-incident review$/);
  });

  it('uses now as the resolution time of an incident still open', () => {
    const message = renderMessage(
      notification(latencyIncident(), { template: 'resolution-notice' }),
      NOW,
    );
    expect(message.fields.slice(0, 2)).toEqual([
      { label: 'Time', value: '2026-11-27T14:20:00.000Z' },
      { label: 'Duration', value: '20m' },
    ]);
  });

  it('names the impact Security for a security incident', () => {
    const breach = incident([alert({ alertname: 'DataExfiltration', namespace: 'prod' })], {
      severity: 1,
      resolvedAt,
    });
    const message = renderMessage(notification(breach, { template: 'resolution-notice' }), NOW);
    expect(message.fields[2]?.value).toBe(
      'Sev1 Security impact: 1 alert (DataExfiltration) in namespace prod',
    );
  });

  it('accepts now as epoch milliseconds', () => {
    const n = notification(latencyIncident(), { template: 'resolution-notice' });
    expect(renderMessage(n, NOW.getTime())).toEqual(renderMessage(n, NOW));
  });
});

describe('next update times', () => {
  it.each([
    ['2026-11-27T14:50:00Z', '14:50 UTC'],
    ['2026-11-27T23:59:59Z', '23:59 UTC'],
    ['2026-11-28T00:05:00Z', '2026-11-28 00:05 UTC'],
  ])('%s reads %s', (at, expected) => {
    expect(formatNextUpdate(new Date(at), NOW)).toBe(expected);
  });

  it('reads "on change" for no time or an invalid one', () => {
    expect(formatNextUpdate(undefined, NOW)).toBe('on change');
    expect(formatNextUpdate(new Date('nope'), NOW)).toBe('on change');
  });
});
