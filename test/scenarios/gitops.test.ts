import { gitopsCommand } from '../../src/cli/gitops';
import { ClientNodeKube } from '../../src/kube/adapter';
import { AUTH, type TestServer } from '../support/server';
import { application, helmRelease, kustomization } from '../support/gitops/objects';
import { KubeConfig } from '@kubernetes/client-node';
import {
  alert,
  fireAndAwaitFirstStep,
  deliveries,
  events,
  incidentWhen,
  messages,
  metric,
  post,
  seedDeployment,
  steps,
  stored,
  waitFor,
  withScenario,
  writesTo,
  type Scenario,
} from './harness';

const FLUX_LABELS = {
  'kustomize.toolkit.fluxcd.io/name': 'apps',
  'kustomize.toolkit.fluxcd.io/namespace': 'flux-system',
};
const KUSTOMIZATION =
  '/apis/kustomize.toolkit.fluxcd.io/v1/namespaces/flux-system/kustomizations/apps';
const DEPLOYMENT = '/apis/apps/v1/namespaces/prod/deployments/web';

function policies(gitops?: string): string {
  return `
sinks:
  oncall: { type: webhook, url: RECEIVER }
escalation:
  ladders:
    - name: technical
      rungs: [{ who: on-call, sink: oncall }, { who: tech lead, sink: oncall }]
policies:
  - name: roll-back-errors
    match: ['alertname="HighErrorRate"']
    target: { kind: Deployment, namespace: '{{ labels.namespace }}', name: '{{ labels.deployment }}' }
${gitops === undefined ? '' : `    gitops: ${gitops}\n`}    steps:
      - action: rollback
        verify: 5m
`;
}

/** Fires HighErrorRate on prod/web; resolves once its first step ended. */
function fire(server: TestServer) {
  return fireAndAwaitFirstStep(server, {
    alertname: 'HighErrorRate',
    namespace: 'prod',
    deployment: 'web',
  });
}

function fluxManaged(s: Scenario) {
  const ks = s.fake.seed(kustomization('flux-system', 'apps'));
  const deployment = seedDeployment(s.fake, 'prod', 'web', {
    versions: ['v1', 'v2'],
    labels: FLUX_LABELS,
  });
  return { ks, deployment };
}

describe('GitOps-managed targets', () => {
  it('gitops: skip (the default) writes nothing to a Flux-managed Deployment and escalates naming the Kustomization', async () => {
    await withScenario(async (s) => {
      fluxManaged(s);
      s.policies(policies());
      const server = await s.start();
      const { id, step } = await fire(server);
      expect(step).toMatchObject({
        status: 'skipped',
        reason: 'gitops_managed',
        summary:
          'Deployment prod/web is managed by Flux Kustomization flux-system/apps (label kustomize.toolkit.fluxcd.io/name), which would revert the change at its next sync; the policy says gitops: skip, so nothing was written. Fix it in Git, or set gitops: suspend to let remediator suspend it and act',
      });
      const view = await incidentWhen(
        server,
        id,
        (v) => messages(v, 'notification').length === 1,
        'the escalation',
      );
      expect(messages(view, 'escalated')[0]).toContain('Flux Kustomization flux-system/apps');
      expect(JSON.stringify(deliveries(s.receiver)[0])).toContain(
        'Flux Kustomization flux-system/apps',
      );
      expect(writesTo(s.fake, DEPLOYMENT)).toEqual([]);
      expect(writesTo(s.fake, KUSTOMIZATION)).toEqual([]);
      expect(stored(s.fake, 'prod', 'web').spec.template.spec.containers[0].image).toBe(
        'reg/model:v2',
      );
      expect(await metric(server, 'remediator_skips_total', { reason: 'gitops_managed' })).toBe(1);
      expect(
        await metric(server, 'remediator_escalations_total', { reason: 'gitops_managed' }),
      ).toBe(1);
    });
  });

  it('gitops: suspend suspends the Kustomization before the rollback, and it stays suspended after the incident resolves', async () => {
    await withScenario(async (s) => {
      const { ks, deployment } = fluxManaged(s);
      s.policies(policies('suspend'));
      const server = await s.start();
      const { id, instance, step } = await fire(server);
      expect(step).toMatchObject({
        status: 'applied',
        summary:
          'suspended Flux Kustomization flux-system/apps (spec.suspend: true); then rolled back prod/web from revision 2 to revision 1 (model: reg/model:v2 → reg/model:v1)',
      });
      const writes = s.fake
        .writes()
        .filter((w) => w.path.startsWith(KUSTOMIZATION) || w.path.startsWith(DEPLOYMENT));
      expect(writes.map((w) => [w.method, w.path.split('?')[0], w.contentType])).toEqual([
        ['PATCH', KUSTOMIZATION, 'application/merge-patch+json'],
        ['PATCH', DEPLOYMENT, 'application/json-patch+json'],
      ]);
      const suspended = s.fake.get(
        'kustomize.toolkit.fluxcd.io/v1',
        'Kustomization',
        'flux-system',
        'apps',
      );
      expect(suspended.spec.suspend).toBe(true);
      expect(JSON.parse(suspended.metadata.annotations['remediator.dev/suspended-by'])).toEqual({
        incident: id,
        policy: 'roll-back-errors',
        target: 'Deployment prod/web',
        at: expect.any(String),
      });

      // An Event on both objects, and humans told what to resume and how.
      await waitFor(
        () =>
          events(s.fake, 'flux-system').some((e) => e.reason === 'GitOpsSuspended') &&
          events(s.fake, 'prod').some((e) => e.reason === 'GitOpsSuspended'),
        'the GitOpsSuspended Events',
      );
      const onKs = events(s.fake, 'flux-system').find((e) => e.reason === 'GitOpsSuspended');
      expect(onKs).toMatchObject({
        type: 'Warning',
        action: 'Suspend',
        regarding: {
          apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
          kind: 'Kustomization',
          name: 'apps',
          namespace: 'flux-system',
          uid: ks.metadata.uid,
        },
      });
      expect(onKs?.note).toContain('remediator gitops resume Kustomization flux-system/apps');
      const onDeployment = events(s.fake, 'prod').find((e) => e.reason === 'GitOpsSuspended');
      expect(onDeployment?.regarding).toMatchObject({
        kind: 'Deployment',
        uid: deployment.metadata.uid,
      });
      const told = await incidentWhen(
        server,
        id,
        (v) => messages(v, 'escalated').length === 1 && messages(v, 'notification').length === 1,
        'humans told of the suspension',
      );
      expect(messages(told, 'escalated')[0]).toMatch(
        /^Humans told: suspended Flux Kustomization flux-system\/apps before writing to Deployment prod\/web.*remediator gitops resume Kustomization flux-system\/apps/,
      );
      expect(told.status).not.toBe('investigating');
      expect(
        await metric(server, 'remediator_escalations_total', { reason: 'gitops_suspended' }),
      ).toBe(1);

      await post(server, instance.resolved());
      await incidentWhen(server, id, (v) => v.status === 'resolved', 'the incident resolved');
      expect(
        s.fake.get('kustomize.toolkit.fluxcd.io/v1', 'Kustomization', 'flux-system', 'apps').spec
          .suspend,
      ).toBe(true);
      expect(writesTo(s.fake, KUSTOMIZATION)).toHaveLength(1);
    });
  });

  it('in a dry run, sends the suspension with dryRun=All and suspends nothing', async () => {
    await withScenario(async (s) => {
      fluxManaged(s);
      s.policies(policies('suspend'));
      const server = await s.start({ dryRun: true });
      const { id, step } = await fire(server);
      expect(step).toMatchObject({ status: 'dry_run' });
      expect(step?.summary).toMatch(
        /^would suspend Flux Kustomization flux-system\/apps \(spec.suspend: true\); then would roll back/,
      );
      expect(writesTo(s.fake, KUSTOMIZATION).map((w) => w.query)).toEqual([
        { dryRun: 'All', fieldManager: 'remediator' },
      ]);
      expect(
        s.fake.get('kustomize.toolkit.fluxcd.io/v1', 'Kustomization', 'flux-system', 'apps').spec
          .suspend,
      ).toBeUndefined();
      const view = await incidentWhen(
        server,
        id,
        (v) => messages(v, 'escalated').length === 1,
        'the escalation recorded, not sent',
      );
      expect(messages(view, 'escalated')[0]).toMatch(/^Humans told: would have suspended/);
      expect(events(s.fake, 'flux-system')).toEqual([]);
    });
  });

  it('with approval, asks first naming the suspension, and suspends only once approved', async () => {
    await withScenario(async (s) => {
      fluxManaged(s);
      s.policies(
        policies('suspend').replace(
          '    steps:',
          '    approval: { timeout: 30m, sinks: [oncall] }\n    steps:',
        ),
      );
      const server = await s.start();
      const id = await post(
        server,
        alert({ alertname: 'HighErrorRate', namespace: 'prod', deployment: 'web' }).firing(),
      );
      const waiting = await incidentWhen(
        server,
        id,
        (v) => v.plans[0]?.status === 'awaiting_approval',
        'the plan to await approval',
      );
      const plan = waiting.plans[0]!.id;
      // Nothing is suspended, nothing written, while a human decides; the request says both.
      expect(writesTo(s.fake, KUSTOMIZATION)).toEqual([]);
      expect(writesTo(s.fake, DEPLOYMENT)).toEqual([]);
      const pending = (await (await fetch(`${server.url}/api/v1/approvals`)).json()) as {
        approvals: { approval: { change: string } }[];
      };
      expect(pending.approvals[0]?.approval.change).toMatch(
        /^rollback on Deployment prod\/web: .*, after suspending Kustomization flux-system\/apps \(managed by GitOps\)$/,
      );
      const res = await fetch(`${server.url}/api/v1/plans/${plan}/approve`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...AUTH },
        body: JSON.stringify({ by: 'ic', comment: 'revert, Git fix follows' }),
      });
      expect(res.status).toBe(200);
      await incidentWhen(server, id, (v) => steps(v)[0]?.status === 'applied', 'the rollback');
      expect(
        s.fake
          .writes()
          .filter((w) => w.path.startsWith(KUSTOMIZATION) || w.path.startsWith(DEPLOYMENT))
          .map((w) => [w.method, w.path.split('?')[0]]),
      ).toEqual([
        ['PATCH', KUSTOMIZATION],
        ['PATCH', DEPLOYMENT],
      ]);
    });
  });

  it('a write that fails after the suspension still tells humans what was suspended', async () => {
    await withScenario(async (s) => {
      fluxManaged(s);
      s.fake.fault({ method: 'PATCH', pathPrefix: DEPLOYMENT, status: 403 });
      s.policies(policies('suspend'));
      const server = await s.start();
      const { id, step } = await fire(server);
      expect(step).toMatchObject({ status: 'failed', reason: 'forbidden' });
      expect(step?.summary).toMatch(
        /^suspended Flux Kustomization flux-system\/apps \(spec.suspend: true\); then /,
      );
      expect(
        s.fake.get('kustomize.toolkit.fluxcd.io/v1', 'Kustomization', 'flux-system', 'apps').spec
          .suspend,
      ).toBe(true);
      const view = await incidentWhen(
        server,
        id,
        (v) => messages(v, 'escalated').some((m) => m.startsWith('Humans told: suspended')),
        'humans told of the suspension',
      );
      expect(messages(view, 'escalated').join('\n')).toContain(
        'remediator gitops resume Kustomization flux-system/apps',
      );
    });
  });

  it('when a second owner cannot be suspended, nothing is written and humans hear of the first', async () => {
    await withScenario(async (s) => {
      s.fake.seed(kustomization('flux-system', 'apps'));
      s.fake.seed(application('argocd', 'web'));
      seedDeployment(s.fake, 'prod', 'web', {
        versions: ['v1', 'v2'],
        labels: FLUX_LABELS,
        annotations: { 'argocd.argoproj.io/tracking-id': 'web:apps/Deployment:prod/web' },
      });
      s.fake.fault({ method: 'PATCH', pathPrefix: '/apis/argoproj.io/', status: 403 });
      s.policies(policies('suspend'));
      const server = await s.start();
      const { id, step } = await fire(server);
      expect(step).toMatchObject({ status: 'failed', reason: 'forbidden' });
      expect(writesTo(s.fake, DEPLOYMENT)).toEqual([]);
      const view = await incidentWhen(
        server,
        id,
        (v) => messages(v, 'escalated').length === 2,
        'humans told of the Kustomization, then that the plan gave up',
      );
      expect(messages(view, 'escalated')[0]).toMatch(
        /^Humans told: suspended Flux Kustomization flux-system\/apps before writing/,
      );
      expect(
        s.fake.get('kustomize.toolkit.fluxcd.io/v1', 'Kustomization', 'flux-system', 'apps').spec
          .suspend,
      ).toBe(true);
    });
  });

  it('a step with nothing to write on a managed Deployment is not applicable, and the plan goes on', async () => {
    await withScenario(async (s) => {
      s.fake.seed(kustomization('flux-system', 'apps'));
      seedDeployment(s.fake, 'prod', 'web', { versions: ['v1'], labels: FLUX_LABELS });
      s.policies(
        policies().replace(
          '        verify: 5m\n',
          '        verify: 5m\n      - action: notify\n        params: { sink: oncall, template: status-update }\n',
        ),
      );
      const server = await s.start();
      const { id } = await fire(server);
      const view = await incidentWhen(
        server,
        id,
        (v) => steps(v).length === 2 && steps(v)[1]?.status === 'applied',
        'the notify step',
      );
      expect(steps(view).map((r) => [r.action, r.status, r.reason ?? null])).toEqual([
        ['rollback', 'skipped', 'not_applicable'],
        ['notify', 'applied', null],
      ]);
      expect(writesTo(s.fake, KUSTOMIZATION)).toEqual([]);
    });
  });

  it('gitops: ignore acts on a managed Deployment without reading its owner', async () => {
    await withScenario(async (s) => {
      fluxManaged(s);
      s.policies(policies('ignore'));
      const server = await s.start();
      const { step } = await fire(server);
      expect(step?.status).toBe('applied');
      expect(s.fake.requests.filter((r) => r.path.includes('kustomizations'))).toEqual([]);
    });
  });

  it('a label naming a Kustomization that does not exist manages nothing', async () => {
    await withScenario(async (s) => {
      seedDeployment(s.fake, 'prod', 'web', { versions: ['v1', 'v2'], labels: FLUX_LABELS });
      s.policies(policies());
      const server = await s.start();
      const { step } = await fire(server);
      expect(step?.status).toBe('applied');
    });
  });

  it('suspends a HelmRelease named by helm-controller labels', async () => {
    await withScenario(async (s) => {
      s.fake.seed(helmRelease('apps', 'web'));
      seedDeployment(s.fake, 'prod', 'web', {
        versions: ['v1', 'v2'],
        labels: {
          'helm.toolkit.fluxcd.io/name': 'web',
          'helm.toolkit.fluxcd.io/namespace': 'apps',
        },
      });
      s.policies(policies('suspend'));
      const server = await s.start();
      const { step } = await fire(server);
      expect(step?.summary).toMatch(
        /^suspended Flux HelmRelease apps\/web \(spec.suspend: true\); then rolled back/,
      );
      expect(
        s.fake.get('helm.toolkit.fluxcd.io/v2', 'HelmRelease', 'apps', 'web').spec.suspend,
      ).toBe(true);
    });
  });

  it('turns off an Argo CD Application’s automated sync, remembers it, and resumes it over the API', async () => {
    await withScenario(async (s) => {
      s.fake.seed(application('argocd', 'web'));
      seedDeployment(s.fake, 'prod', 'web', {
        versions: ['v1', 'v2'],
        annotations: { 'argocd.argoproj.io/tracking-id': 'web:apps/Deployment:prod/web' },
      });
      s.policies(policies('suspend'));
      const server = await s.start();
      const { step } = await fire(server);
      expect(step?.summary).toMatch(
        /^suspended Argo CD Application argocd\/web \(automated sync off\); then rolled back/,
      );
      const app = s.fake.get('argoproj.io/v1alpha1', 'Application', 'argocd', 'web');
      expect(app.spec.syncPolicy).toEqual({ syncOptions: ['CreateNamespace=true'] });
      expect(
        JSON.parse(app.metadata.annotations['remediator.dev/previous-automated-sync']),
      ).toEqual({
        prune: true,
        selfHeal: true,
      });

      const resume = (body: unknown, auth = true) =>
        fetch(`${server.url}/api/v1/gitops/resume`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', ...(auth ? AUTH : {}) },
          body: JSON.stringify(body),
        });
      expect(
        (await resume({ kind: 'Application', namespace: 'argocd', name: 'web' }, false)).status,
      ).toBe(401);
      const bad = await resume({ kind: 'Deployment', namespace: 'argocd', name: 'web' });
      expect(bad.status).toBe(400);
      const ok = await resume({ kind: 'Application', namespace: 'argocd', name: 'web' });
      expect(ok.status).toBe(200);
      expect(await ok.json()).toEqual({
        resumed: true,
        message: 'resumed Argo CD Application argocd/web (automated sync restored)',
      });
      const resumed = s.fake.get('argoproj.io/v1alpha1', 'Application', 'argocd', 'web');
      expect(resumed.spec.syncPolicy.automated).toEqual({ prune: true, selfHeal: true });
      expect(resumed.metadata.annotations ?? {}).not.toHaveProperty('remediator.dev/suspended-by');
      expect(events(s.fake, 'argocd').map((e) => e.reason)).toContain('GitOpsResumed');
      // Resumed once: a second resume has nothing of remediator's to lift.
      const again = await resume({ kind: 'Application', namespace: 'argocd', name: 'web' });
      expect(again.status).toBe(409);
    });
  });

  it('ignores a tracking id copied from another object, as Argo CD does', async () => {
    await withScenario(async (s) => {
      s.fake.seed(application('argocd', 'web'));
      seedDeployment(s.fake, 'prod', 'web', {
        versions: ['v1', 'v2'],
        annotations: { 'argocd.argoproj.io/tracking-id': 'web:apps/Deployment:prod/api' },
      });
      s.policies(policies());
      const server = await s.start();
      expect((await fire(server)).step?.status).toBe('applied');
      expect(s.fake.requests.filter((r) => r.path.includes('applications'))).toEqual([]);
    });
  });

  it('in label tracking mode, finds the Application by the instance label', async () => {
    await withScenario(async (s) => {
      s.fake.seed(application('gitops', 'web'));
      seedDeployment(s.fake, 'prod', 'web', {
        versions: ['v1', 'v2'],
        labels: { 'app.kubernetes.io/instance': 'web' },
      });
      s.policies(policies());
      const server = await s.start({
        gitops: {
          argocdNamespace: 'gitops',
          argocdTracking: 'label',
          argocdInstanceLabel: 'app.kubernetes.io/instance',
        },
      });
      const { step } = await fire(server);
      expect(step).toMatchObject({ status: 'skipped', reason: 'gitops_managed' });
      expect(step?.summary).toContain(
        'Argo CD Application gitops/web (label app.kubernetes.io/instance)',
      );
    });
  });

  it('remediator gitops resume lifts a Flux suspension it made, and refuses one it did not', async () => {
    await withScenario(async (s) => {
      s.fake.seed({
        ...kustomization('flux-system', 'apps', { suspend: true }),
        metadata: {
          name: 'apps',
          namespace: 'flux-system',
          annotations: { 'remediator.dev/suspended-by': '{"incident":1}' },
        },
      });
      s.fake.seed(kustomization('flux-system', 'infra', { suspend: true }));
      const out: string[] = [];
      const err: string[] = [];
      const io = { out: (t: string) => out.push(t), err: (t: string) => err.push(t) };
      const connect = () => {
        const kc = new KubeConfig();
        s.fake.loadInto(kc);
        return new ClientNodeKube(kc);
      };
      const now = () => new Date('2026-11-27T14:30:00Z');
      expect(
        await gitopsCommand(['resume', 'Kustomization', 'flux-system/apps'], {}, io, connect, now),
      ).toBe(0);
      expect(out).toEqual(['resumed Flux Kustomization flux-system/apps (spec.suspend: false)\n']);
      const resumed = s.fake.get(
        'kustomize.toolkit.fluxcd.io/v1',
        'Kustomization',
        'flux-system',
        'apps',
      );
      expect(resumed.spec.suspend).toBe(false);
      expect(resumed.metadata.annotations).toEqual({
        'reconcile.fluxcd.io/requestedAt': '2026-11-27T14:30:00.000Z',
      });
      expect(events(s.fake, 'flux-system').map((e) => [e.reason, e.regarding.name])).toEqual([
        ['GitOpsResumed', 'apps'],
      ]);

      expect(
        await gitopsCommand(['resume', 'Kustomization', 'flux-system/infra'], {}, io, connect, now),
      ).toBe(1);
      expect(err.join('')).toContain('was not suspended by remediator');
      expect(
        s.fake.get('kustomize.toolkit.fluxcd.io/v1', 'Kustomization', 'flux-system', 'infra').spec
          .suspend,
      ).toBe(true);
      expect(
        await gitopsCommand(['resume', 'Kustomization', 'flux-system'], {}, io, connect, now),
      ).toBe(2);
      expect(await gitopsCommand(['resume', 'Secret', 'flux-system/x'], {}, io, connect, now)).toBe(
        2,
      );
    });
  });
});
