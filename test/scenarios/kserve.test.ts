import { inferenceService } from '../support/gitops/objects';
import {
  alert,
  events,
  incidentWhen,
  post,
  steps,
  waitFor,
  withScenario,
  writesTo,
} from './harness';

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
      const id = await post(
        server,
        alert({
          alertname: 'ModelAccuracyDrop',
          namespace: 'ml',
          inferenceservice: 'heart',
        }).firing(),
      );
      const view = await incidentWhen(
        server,
        id,
        (v) => steps(v).some((r) => r.status !== 'intent'),
        'the restore-model step',
      );
      expect(steps(view)[0]).toMatchObject({
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
