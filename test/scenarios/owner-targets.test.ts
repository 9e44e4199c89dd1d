import {
  alert,
  events,
  incidentWhen,
  messages,
  metric,
  OWN_NAMESPACE,
  post,
  seedDeployment,
  steps,
  stored,
  withScenario,
  type Scenario,
} from './harness';
import type { KubeObject } from '../support/fake-kube';

/**
 * kubernetes-mixin's alerts name pods, not Deployments: a policy finds the Deployment (or
 * StatefulSet, DaemonSet) through the pod's ownerReferences, when its first step runs, and every
 * gate, the lock and the action then apply to the object found.
 */

const POLICIES = `
policies:
  - name: crash-loop
    match: ['alertname="KubePodCrashLooping"']
    target: { kind: Deployment, namespace: '{{ labels.namespace }}', fromPod: '{{ labels.pod }}' }
    steps:
      - action: restart
        verify: 5m
    cooldown: 30m
  - name: crash-loop-db
    match: ['alertname="KubePodCrashLooping"', 'namespace="db"']
    target: { kind: StatefulSet, namespace: '{{ labels.namespace }}', fromPod: '{{ labels.pod }}' }
    steps:
      - action: restart
        verify: 5m
`;

/** The labels kubernetes-mixin's KubePodCrashLooping carries (kube-prometheus-stack's scrape). */
function crashLooping(namespace: string, pod: string, container = 'web') {
  return {
    alertname: 'KubePodCrashLooping',
    namespace,
    pod,
    container,
    reason: 'CrashLoopBackOff',
    uid: '5b3f0d8e-6a1c-4c1e-9a51-0f4f3c2b7e11',
    job: 'kube-state-metrics',
    instance: '10.42.2.175:8080',
    endpoint: 'http',
    service: 'kube-prometheus-stack-kube-state-metrics',
    severity: 'warning',
  };
}

/** A pod of `owner`, with the controller ownerReference its controller sets. */
function seedOwnedPod(s: Scenario, namespace: string, name: string, owner: KubeObject): void {
  s.fake.seed({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace,
      labels: owner.spec.selector.matchLabels,
      ownerReferences: [
        {
          apiVersion: 'apps/v1',
          kind: owner.kind,
          name: owner.metadata.name,
          uid: owner.metadata.uid,
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec: { containers: [{ name: 'web', image: 'reg/model:v2' }] },
    status: { phase: 'Running' },
  });
}

function replicaSet(s: Scenario, namespace: string, name: string): KubeObject {
  return s.fake.get('apps/v1', 'ReplicaSet', namespace, name);
}

describe('targets found through a pod', () => {
  it('restarts the Deployment that owns a crash-looping pod, under the Deployment’s lock and cooldown', async () => {
    await withScenario(async (s) => {
      const deployment = seedDeployment(s.fake, 'prod', 'web', { versions: ['v1', 'v2'] });
      const current = replicaSet(s, 'prod', 'web-v2h2');
      seedOwnedPod(s, 'prod', 'web-v2h2-abcde', current);
      seedOwnedPod(s, 'prod', 'web-v2h2-fghij', current);
      s.policies(POLICIES);
      const server = await s.start();

      const id = await post(server, alert(crashLooping('prod', 'web-v2h2-abcde')).firing());
      const view = await incidentWhen(
        server,
        id,
        (v) => steps(v).some((r) => r.status === 'applied'),
        'the restart',
      );
      expect(messages(view, 'target_found')).toEqual([
        'Target of policy crash-loop found: pod prod/web-v2h2-abcde → ReplicaSet web-v2h2 → Deployment web',
      ]);
      expect(messages(view, 'plan')).toEqual([
        'Plan (policy crash-loop): restart on the Deployment that owns pod prod/web-v2h2-abcde for KubePodCrashLooping: 1 alert firing',
      ]);
      expect(messages(view, 'remediation')).toEqual([
        expect.stringMatching(
          /^Step 1\/1 restart on Deployment prod\/web \(owns pod prod\/web-v2h2-abcde\) \(policy crash-loop\): restarted prod\/web \(restartedAt .+\)$/,
        ),
      ]);
      const plan = view.plans.find((p) => p.policy === 'crash-loop');
      expect(plan?.target).toEqual({
        kind: 'Deployment',
        namespace: 'prod',
        name: 'web',
        from: { kind: 'Pod', name: 'web-v2h2-abcde' },
        text: 'Deployment prod/web (owns pod prod/web-v2h2-abcde)',
      });
      expect(Object.keys(stored(s.fake, 'prod', 'web').spec.template.metadata.annotations)).toEqual(
        ['kubectl.kubernetes.io/restartedAt'],
      );
      expect(
        events(s.fake, 'prod').map((e) => [e.regarding.kind, e.regarding.name, e.regarding.uid]),
      ).toEqual([['Deployment', 'web', deployment.metadata.uid]]);
      // Reads only: the pod and its ReplicaSet are never written.
      expect(s.fake.writes().map((w) => `${w.method} ${w.path}`)).not.toContainEqual(
        expect.stringMatching(/pods|replicasets/),
      );
      const leases = s.fake.list('coordination.k8s.io/v1', 'Lease', OWN_NAMESPACE);
      expect(new Set(leases.map((l) => l.metadata.annotations['remediator.dev/target']))).toEqual(
        new Set(['Deployment/prod/web']),
      );

      // Another pod of the same Deployment: found to be the same Deployment, in its cooldown.
      const second = await post(server, alert(crashLooping('prod', 'web-v2h2-fghij')).firing());
      const again = await incidentWhen(
        server,
        second,
        (v) =>
          steps(v).filter((r) => r.status === 'skipped' && r.reason === 'cooldown').length === 1,
        'the cooldown on the Deployment',
      );
      expect(messages(again, 'target_found')).toContain(
        'Target of policy crash-loop found: pod prod/web-v2h2-fghij → ReplicaSet web-v2h2 → Deployment web',
      );
    });
  });

  it('skips with owner_not_found when the pod is gone or has no such owner, and never counts it as a failure', async () => {
    await withScenario(async (s) => {
      seedDeployment(s.fake, 'prod', 'web');
      const db = s.fake.seed({
        apiVersion: 'apps/v1',
        kind: 'StatefulSet',
        metadata: { name: 'pg', namespace: 'prod' },
        spec: {
          serviceName: 'pg',
          selector: { matchLabels: { app: 'pg' } },
          template: {
            metadata: { labels: { app: 'pg' } },
            spec: { containers: [{ name: 'pg', image: 'pg:16' }] },
          },
        },
      });
      seedOwnedPod(s, 'prod', 'pg-0', db);
      s.policies(POLICIES);
      const server = await s.start();

      const gone = await post(server, alert(crashLooping('prod', 'web-v1h1-gone1')).firing());
      const goneView = await incidentWhen(
        server,
        gone,
        (v) => steps(v).some((r) => r.status === 'skipped'),
        'the skip',
      );
      expect(steps(goneView).map((r) => [r.status, r.reason, r.summary])).toEqual([
        [
          'skipped',
          'owner_not_found',
          'pod prod/web-v1h1-gone1 is gone (deleted or replaced since the alert), so its Deployment cannot be found',
        ],
      ]);
      expect(goneView.plans.find((p) => p.policy === 'crash-loop')?.status).toBe('skipped');

      // Same group (no deployment label), so the same incident: its second plan is skipped too.
      const stateful = await post(server, alert(crashLooping('prod', 'pg-0', 'pg')).firing());
      expect(stateful).toBe(gone);
      const statefulView = await incidentWhen(
        server,
        stateful,
        (v) => steps(v).filter((r) => r.status === 'skipped').length === 2,
        'the second skip',
      );
      expect(steps(statefulView)[1]?.summary).toBe(
        'pod prod/pg-0 is controlled by StatefulSet pg, not by the ReplicaSet of a Deployment',
      );
      expect(await metric(server, 'remediator_skips_total', { reason: 'owner_not_found' })).toBe(2);
      expect(await metric(server, 'remediator_circuit_open', { policy: 'crash-loop' })).toBe(0);
      expect(s.fake.writes().filter((w) => !w.path.includes('/leases'))).toEqual([]);
    });
  });

  it('restarts the StatefulSet that owns a pod', async () => {
    await withScenario(async (s) => {
      const db = s.fake.seed({
        apiVersion: 'apps/v1',
        kind: 'StatefulSet',
        metadata: { name: 'pg', namespace: 'db' },
        spec: {
          serviceName: 'pg',
          selector: { matchLabels: { app: 'pg' } },
          template: {
            metadata: { labels: { app: 'pg' } },
            spec: { containers: [{ name: 'pg', image: 'pg:16' }] },
          },
        },
      });
      seedOwnedPod(s, 'db', 'pg-0', db);
      s.policies(POLICIES);
      const server = await s.start();
      const id = await post(server, alert(crashLooping('db', 'pg-0', 'pg')).firing());
      const view = await incidentWhen(
        server,
        id,
        (v) => steps(v).filter((r) => r.status !== 'intent').length === 2,
        'both plans',
      );
      const byPolicy = Object.fromEntries(
        view.plans.map((p) => [p.policy, p.remediations.map((r) => [r.status, r.summary])]),
      );
      expect(byPolicy['crash-loop-db']).toEqual([
        ['applied', expect.stringMatching(/^restarted StatefulSet db\/pg \(restartedAt .+\)$/)],
      ]);
      // The Deployment policy finds no Deployment behind a StatefulSet's pod.
      expect(byPolicy['crash-loop']).toEqual([
        [
          'skipped',
          'pod db/pg-0 is controlled by StatefulSet pg, not by the ReplicaSet of a Deployment',
        ],
      ]);
      expect(
        Object.keys(
          s.fake.get('apps/v1', 'StatefulSet', 'db', 'pg').spec.template.metadata.annotations,
        ),
      ).toEqual(['kubectl.kubernetes.io/restartedAt']);
    });
  });

  it('without credentials reads nothing, says which object it would have acted on, and still notifies', async () => {
    await withScenario(async (s) => {
      s.policies(`
sinks:
  oncall: { type: webhook, url: RECEIVER }
policies:
  - name: crash-loop
    match: ['alertname="KubePodCrashLooping"']
    target: { kind: Deployment, namespace: '{{ labels.namespace }}', fromPod: '{{ labels.pod }}' }
    steps:
      - action: restart
        verify: 100ms
      - action: notify
        params: { sink: oncall }
`);
      const server = await s.start({}, { env: { KUBECONFIG: `${s.dir}/none` } });
      const id = await post(server, alert(crashLooping('prod', 'web-v2h2-abcde')).firing());
      const view = await incidentWhen(
        server,
        id,
        (v) => steps(v).filter((r) => r.status !== 'intent').length === 2,
        'the dry run and the notification',
      );
      expect(steps(view)[0]?.summary).toMatch(
        /^would run restart on the Deployment that owns pod prod\/web-v2h2-abcde \(no Kubernetes credentials/,
      );
      expect(steps(view)[1]).toMatchObject({
        action: 'notify',
        status: 'applied',
        summary: 'notified oncall (HTTP 200, 1 attempt, marked as a dry run)',
      });
      expect(s.fake.requests).toEqual([]);
      expect(s.receiver.requests).toHaveLength(1);
    });
  });

  it('raises the ceiling of the HPA a KubeHpaMaxedOut names, on the Deployment it scales', async () => {
    await withScenario(async (s) => {
      seedDeployment(s.fake, 'prod', 'web', { replicas: 6 });
      s.fake.seed({
        apiVersion: 'autoscaling/v2',
        kind: 'HorizontalPodAutoscaler',
        metadata: { name: 'web-autoscaler', namespace: 'prod' },
        spec: {
          scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
          minReplicas: 2,
          maxReplicas: 6,
        },
      });
      s.policies(`
policies:
  - name: hpa-maxed-out
    match: ['alertname="KubeHpaMaxedOut"']
    target: { kind: Deployment, namespace: '{{ labels.namespace }}', fromHpa: '{{ labels.horizontalpodautoscaler }}' }
    steps:
      - action: scale
        params: { of: hpaMaxReplicas, factor: 1.5, max: 12 }
`);
      const server = await s.start();
      const id = await post(
        server,
        alert({
          alertname: 'KubeHpaMaxedOut',
          namespace: 'prod',
          horizontalpodautoscaler: 'web-autoscaler',
          job: 'kube-state-metrics',
          severity: 'warning',
        }).firing(),
      );
      const view = await incidentWhen(
        server,
        id,
        (v) => steps(v).some((r) => r.status === 'applied'),
        'the raise',
      );
      expect(messages(view, 'target_found')).toEqual([
        'Target of policy hpa-maxed-out found: HPA prod/web-autoscaler → Deployment web',
      ]);
      expect(steps(view)[0]?.summary).toBe('raised HPA prod/web-autoscaler maxReplicas 6 → 9');
      expect(
        s.fake.get('autoscaling/v2', 'HorizontalPodAutoscaler', 'prod', 'web-autoscaler').spec
          .maxReplicas,
      ).toBe(9);
    });
  });
});
