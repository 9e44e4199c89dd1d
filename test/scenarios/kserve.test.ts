import { inferenceService } from '../support/gitops/objects';
import { events, fireAndAwaitFirstStep, waitFor, withScenario, writesTo } from './harness';

describe('a model served by KServe', () => {
  it('in a canary rollout, is sent back to its previous revision', async () => {
    await withScenario(async (s) => {
      const isvc = s.fake.seed(inferenceService('ml', 'heart', { canary: 25 }));
      s.policies(`
policies:
  - name: model-issues
    match: ['alertname="ModelAccuracyDrop"']
    target: { kind: InferenceService, namespace: '{{ labels.namespace }}', name: '{{ labels.inferenceservice }}' }
    steps:
      - action: restore-model
        verify: 10m
`);
      const server = await s.start();
      const { step } = await fireAndAwaitFirstStep(server, {
        alertname: 'ModelAccuracyDrop',
        namespace: 'ml',
        inferenceservice: 'heart',
      });
      expect(step).toMatchObject({
        action: 'restore-model',
        status: 'applied',
        summary:
          'restored InferenceService ml/heart canary rolled back: all traffic to the previous revision heart-predictor-00001 (canaryTrafficPercent 25 → 0; heart-predictor-00002 keeps none)',
      });
      const stored = s.fake.get('serving.kserve.io/v1beta1', 'InferenceService', 'ml', 'heart');
      expect(stored.spec.predictor.canaryTrafficPercent).toBe(0);
      expect(
        writesTo(s.fake, '/apis/serving.kserve.io/v1beta1/namespaces/ml/inferenceservices/heart'),
      ).toHaveLength(1);
      await waitFor(
        () =>
          events(s.fake, 'ml').some(
            (e) =>
              e.regarding?.kind === 'InferenceService' && e.regarding.uid === isvc.metadata.uid,
          ),
        'the audit Event on the InferenceService',
      );
    });
  });
});
