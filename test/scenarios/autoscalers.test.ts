import { scaledObject } from '../support/gitops/objects';
import {
  events,
  fireAndAwaitFirstStep,
  seedDeployment,
  stored,
  waitFor,
  withScenario,
  writesTo,
} from './harness';

describe('a Deployment KEDA scales', () => {
  it('gets its ScaledObject’s minReplicaCount raised, not its replicas', async () => {
    await withScenario(async (s) => {
      const deployment = seedDeployment(s.fake, 'prod', 'web', { replicas: 3 });
      s.fake.seed(scaledObject('prod', 'web', 'web', { min: 1, max: 8 }));
      s.policies(`
policies:
  - name: scale-out
    match: ['alertname="HighLatency"']
    target: { kind: Deployment, namespace: '{{ labels.namespace }}', name: '{{ labels.deployment }}' }
    steps:
      - action: scale
        params: { factor: 2, max: 12 }
        verify: 5m
`);
      const server = await s.start();
      const { step } = await fireAndAwaitFirstStep(server, {
        alertname: 'HighLatency',
        namespace: 'prod',
        deployment: 'web',
      });
      expect(step).toMatchObject({
        action: 'scale',
        status: 'applied',
        summary: 'raised ScaledObject prod/web minReplicaCount 1 → 6',
      });
      expect(
        s.fake.get('keda.sh/v1alpha1', 'ScaledObject', 'prod', 'web').spec.minReplicaCount,
      ).toBe(6);
      expect(writesTo(s.fake, '/deployments/web')).toEqual([]);
      expect(stored(s.fake, 'prod', 'web').spec.replicas).toBe(3);
      // The audit Event is on the Deployment the alert was about.
      await waitFor(
        () => events(s.fake, 'prod').some((e) => e.regarding?.uid === deployment.metadata.uid),
        'the audit Event',
      );
    });
  });
});
