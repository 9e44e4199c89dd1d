/** What "try a payload" starts with: a HighLatency alert as Alertmanager would post it. */
export const EXAMPLE_PAYLOAD = JSON.stringify(
  {
    version: '4',
    groupKey: '{}:{alertname="HighLatency"}',
    status: 'firing',
    receiver: 'remediator',
    groupLabels: { alertname: 'HighLatency' },
    commonLabels: {},
    commonAnnotations: {},
    externalURL: 'http://alertmanager:9093',
    alerts: [
      {
        status: 'firing',
        labels: {
          alertname: 'HighLatency',
          namespace: 'prod',
          deployment: 'heart-disease-api',
          service: 'heart-disease-api',
          severity: 'critical',
        },
        annotations: { summary: 'p99 latency above 1s', p99_seconds: '1.4' },
        startsAt: '2026-11-27T13:40:00Z',
        endsAt: '0001-01-01T00:00:00Z',
        generatorURL: 'http://prometheus:9090/graph',
        fingerprint: '0123456789abcdef',
      },
    ],
  },
  null,
  2,
);
