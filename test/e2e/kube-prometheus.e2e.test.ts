import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { phase, REVISION, type ServiceSpec } from './support';
import { injected, postAlerts } from './support/injected-alerts';
import { rewritePolicies, type PolicyDocument } from './support/rewrite';
import { stackForFile } from './support/suite';

/*
 * kube-prometheus-stack's KubePodCrashLooping, as kubernetes-mixin's rule makes it (namespace,
 * pod, container, reason, the scrape's job and instance, severity="warning": no `deployment`
 * label), posted to a real Alertmanager, grouped and delivered to remediator, ends in an action on
 * the Deployment that owns the pod: the shipped kube-prometheus pack finds it through the pod's
 * ownerReferences (pod → ReplicaSet → Deployment) and, the Deployment having been rolled out
 * moments ago, rolls it back.
 */

const POLICIES = join(__dirname, '..', '..', 'deploy', 'k8s', 'policies');
const SERVICE: ServiceSpec = {
  namespace: 'prod',
  name: 'heart-disease-api',
  replicas: 3,
  revisions: [
    {
      image: 'registry.example/heart-disease-api:1.5.1',
      modelVersion: '2024.06',
      ageSeconds: 3 * 86_400,
    },
    // Rolled out moments ago: within the pack's onlyIfChangedWithin (30m, 3 min here).
    { image: 'registry.example/heart-disease-api:1.6.0', modelVersion: '2024.06', ageSeconds: 15 },
  ],
};
const DEPLOYMENT = `/apis/apps/v1/namespaces/${SERVICE.namespace}/deployments/${SERVICE.name}`;

/** The shipped set as one file: the runbook, then the pack, every duration divided by 10. */
function shippedSet(): string {
  const runbook = parse(readFileSync(join(POLICIES, 'runbook.yaml'), 'utf8')) as PolicyDocument;
  const pack = parse(
    readFileSync(join(POLICIES, 'kube-prometheus.yaml'), 'utf8'),
  ) as PolicyDocument;
  runbook.policies = [...(runbook.policies ?? []), ...(pack.policies ?? [])];
  return rewritePolicies(stringify(runbook), { sinkBaseUrl: 'RECEIVER' });
}

const started = stackForFile({
  name: 'kube-prometheus',
  service: SERVICE,
  policies: { text: shippedSet() },
});

it('a KubePodCrashLooping without a deployment label rolls back the Deployment that owns the pod', async () => {
  const s = started();
  const current = s.kube
    .list('apps/v1', 'ReplicaSet', SERVICE.namespace)
    .find((rs) => rs.metadata.annotations?.[REVISION] === '2');
  if (current === undefined) throw new Error('no current ReplicaSet');
  const pod = `${current.metadata.name}-x2x7q`;
  s.kube.seed({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: pod,
      namespace: SERVICE.namespace,
      labels: current.spec.selector.matchLabels,
      ownerReferences: [
        {
          apiVersion: 'apps/v1',
          kind: 'ReplicaSet',
          name: current.metadata.name,
          uid: current.metadata.uid,
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec: { containers: [{ name: 'model', image: 'registry.example/heart-disease-api:1.6.0' }] },
    status: { phase: 'Running' },
  });

  await phase('kube-prometheus-stack fires KubePodCrashLooping for the pod', async () => {
    s.step(`alertmanager ← KubePodCrashLooping for pod ${SERVICE.namespace}/${pod}`);
    await postAlerts(s.alertmanager, [
      injected(
        {
          alertname: 'KubePodCrashLooping',
          namespace: SERVICE.namespace,
          pod,
          container: 'model',
          reason: 'CrashLoopBackOff',
          uid: '56295fce-53b7-4761-a695-edce9608b1d3',
          job: 'kube-state-metrics',
          instance: '10.42.9.105:8080',
          endpoint: 'http',
          service: 'kube-prometheus-stack-kube-state-metrics',
          severity: 'warning',
        },
        {
          description: `Pod ${SERVICE.namespace}/${pod} (model) is in waiting state (reason: "CrashLoopBackOff").`,
          summary: 'Pod is crash looping.',
        },
      ),
    ]);
  });

  const incident = await phase('remediator finds the Deployment and rolls it back', () =>
    s.incident(
      (i) =>
        i.groupLabels.alertname === 'KubePodCrashLooping' &&
        i.plans.some((p) => p.remediations.some((r) => r.status === 'applied')),
      'the rollback of the owning Deployment',
      25_000,
    ),
  );
  // Grouped by Alertmanager without a deployment label: the pod is all the alert names.
  expect(incident.groupLabels).toEqual({
    alertname: 'KubePodCrashLooping',
    namespace: SERVICE.namespace,
  });
  expect(incident.severity).toBe('Sev3');
  const plan = incident.plans.find((p) => p.policy === 'crash-loop');
  expect(plan?.target).toEqual({
    kind: 'Deployment',
    namespace: SERVICE.namespace,
    name: SERVICE.name,
    from: { kind: 'Pod', name: pod },
    text: `Deployment ${SERVICE.namespace}/${SERVICE.name} (owns pod ${SERVICE.namespace}/${pod})`,
  });
  expect(incident.timeline.map((e) => e.message)).toContain(
    `Target of policy crash-loop found: pod ${SERVICE.namespace}/${pod} → ReplicaSet ${current.metadata.name} → Deployment ${SERVICE.name}`,
  );
  expect(plan?.remediations[0]).toMatchObject({ action: 'rollback', status: 'applied' });
  s.step(`remediator: ${plan?.remediations[0]?.summary ?? ''}`);

  // The action is on the Deployment (kubectl's JSON patch), never on the pod or its ReplicaSet
  // (Leases and the audit Event aside).
  const writes = s.kube.writes().filter((w) => !/\/(leases|events)\b/.test(w.path));
  expect(writes.map((w) => `${w.method} ${w.path}`)).toEqual([`PATCH ${DEPLOYMENT}`]);
  expect(writes[0]?.contentType).toBe('application/json-patch+json');
  const deployment = s.kube.get('apps/v1', 'Deployment', SERVICE.namespace, SERVICE.name);
  expect(deployment.spec.template.spec.containers[0].image).toBe(
    'registry.example/heart-disease-api:1.5.1',
  );
  const leases = s.kube.list('coordination.k8s.io/v1', 'Lease', 'remediator');
  expect(leases.map((l) => l.metadata.annotations['remediator.dev/target'])).toContain(
    `Deployment/${SERVICE.namespace}/${SERVICE.name}`,
  );
}, 40_000);
