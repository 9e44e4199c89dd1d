import {
  DEFAULT_GITOPS_SETTINGS,
  gitopsOwnersOf,
  parseTrackingId,
  type ManagedObject,
} from '../../src/remediations/gitops';
import {
  isReconciling,
  resumeTarget,
  suspendPatch,
} from '../../src/remediations/gitops-suspension';
import { ARGO_APPLICATION, FLUX_KUSTOMIZATION } from '../../src/kube/custom-resources';

const WEB: ManagedObject = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  namespace: 'prod',
  name: 'web',
};
const LABEL_MODE = { ...DEFAULT_GITOPS_SETTINGS, argocdTracking: 'label' as const };
const owners = (object: Partial<ManagedObject>, settings = DEFAULT_GITOPS_SETTINGS) =>
  gitopsOwnersOf({ ...WEB, ...object }, settings).map(
    (o) => `${o.resource.kind} ${o.namespace}/${o.name}`,
  );

describe('which GitOps object manages a workload', () => {
  it.each<[string, Partial<ManagedObject>, typeof DEFAULT_GITOPS_SETTINGS, string[]]>([
    ['nothing marks it', {}, DEFAULT_GITOPS_SETTINGS, []],
    [
      'Flux kustomize-controller labels',
      {
        labels: {
          'kustomize.toolkit.fluxcd.io/name': 'apps',
          'kustomize.toolkit.fluxcd.io/namespace': 'flux-system',
        },
      },
      DEFAULT_GITOPS_SETTINGS,
      ['Kustomization flux-system/apps'],
    ],
    [
      'a Flux name label without its namespace label',
      { labels: { 'kustomize.toolkit.fluxcd.io/name': 'apps' } },
      DEFAULT_GITOPS_SETTINGS,
      [],
    ],
    [
      'Flux helm-controller labels',
      {
        labels: {
          'helm.toolkit.fluxcd.io/name': 'web',
          'helm.toolkit.fluxcd.io/namespace': 'apps',
        },
      },
      DEFAULT_GITOPS_SETTINGS,
      ['HelmRelease apps/web'],
    ],
    [
      'an Argo CD tracking id naming this object',
      { annotations: { 'argocd.argoproj.io/tracking-id': 'shop:apps/Deployment:prod/web' } },
      DEFAULT_GITOPS_SETTINGS,
      ['Application argocd/shop'],
    ],
    [
      'an app in another namespace, written <namespace>_<app>',
      { annotations: { 'argocd.argoproj.io/tracking-id': 'team-a_shop:apps/Deployment:prod/web' } },
      DEFAULT_GITOPS_SETTINGS,
      ['Application team-a/shop'],
    ],
    [
      'a tracking id copied from another object',
      { annotations: { 'argocd.argoproj.io/tracking-id': 'shop:apps/Deployment:prod/api' } },
      DEFAULT_GITOPS_SETTINGS,
      [],
    ],
    [
      'a tracking id of another kind',
      { annotations: { 'argocd.argoproj.io/tracking-id': 'shop:apps/StatefulSet:prod/web' } },
      DEFAULT_GITOPS_SETTINGS,
      [],
    ],
    [
      'the instance label in annotation mode (informational only)',
      { labels: { 'app.kubernetes.io/instance': 'shop' } },
      DEFAULT_GITOPS_SETTINGS,
      [],
    ],
    [
      'the instance label in label mode',
      { labels: { 'app.kubernetes.io/instance': 'shop' } },
      LABEL_MODE,
      ['Application argocd/shop'],
    ],
    [
      'a custom instance label in label mode',
      { labels: { 'argocd.argoproj.io/instance': 'shop', 'app.kubernetes.io/instance': 'helm' } },
      { ...LABEL_MODE, argocdInstanceLabel: 'argocd.argoproj.io/instance' },
      ['Application argocd/shop'],
    ],
    [
      'both Flux and Argo CD',
      {
        labels: {
          'kustomize.toolkit.fluxcd.io/name': 'apps',
          'kustomize.toolkit.fluxcd.io/namespace': 'flux-system',
        },
        annotations: { 'argocd.argoproj.io/tracking-id': 'shop:apps/Deployment:prod/web' },
      },
      DEFAULT_GITOPS_SETTINGS,
      ['Kustomization flux-system/apps', 'Application argocd/shop'],
    ],
  ])('%s', (_why, object, settings, expected) => {
    expect(owners(object, settings)).toEqual(expected);
  });

  it.each([
    [
      'shop:apps/Deployment:prod/web',
      { app: 'shop', group: 'apps', kind: 'Deployment', namespace: 'prod', name: 'web' },
    ],
    [
      'shop:/ConfigMap:prod/cfg',
      { app: 'shop', group: '', kind: 'ConfigMap', namespace: 'prod', name: 'cfg' },
    ],
    [
      'shop:rbac.authorization.k8s.io/ClusterRole:/view',
      {
        app: 'shop',
        group: 'rbac.authorization.k8s.io',
        kind: 'ClusterRole',
        namespace: '',
        name: 'view',
      },
    ],
    ['shop', undefined],
    ['shop:Deployment:prod/web', undefined],
    [':apps/Deployment:prod/web', undefined],
    ['shop:apps/Deployment:prod/web:extra', undefined],
  ])('parses the tracking id %j', (id, expected) => {
    expect(parseTrackingId(id)).toEqual(expected);
  });
});

describe('suspending', () => {
  const reason = {
    incident: 7,
    policy: 'p',
    target: 'Deployment prod/web',
    at: new Date('2026-11-27T14:00:00Z'),
  };
  const flux = {
    controller: 'Flux' as const,
    resource: FLUX_KUSTOMIZATION,
    namespace: 'flux-system',
    name: 'apps',
    via: 'label',
  };
  const argo = {
    controller: 'Argo CD' as const,
    resource: ARGO_APPLICATION,
    namespace: 'argocd',
    name: 'shop',
    via: 'annotation',
  };

  it('leaves an owner that does not reconcile by itself alone', () => {
    expect(suspendPatch(flux, { spec: { suspend: true } }, reason)).toBeUndefined();
    expect(suspendPatch(argo, { spec: { syncPolicy: {} } }, reason)).toBeUndefined();
    expect(
      suspendPatch(argo, { spec: { syncPolicy: { automated: { enabled: false } } } }, reason),
    ).toBeUndefined();
    expect(isReconciling(argo, { spec: { syncPolicy: { automated: {} } } })).toBe(true);
  });

  it('remembers the Application’s automated block and pins its resourceVersion', () => {
    expect(
      suspendPatch(
        argo,
        {
          metadata: { resourceVersion: '42' },
          spec: { syncPolicy: { automated: { selfHeal: true } } },
        },
        reason,
      ),
    ).toEqual({
      metadata: {
        resourceVersion: '42',
        annotations: {
          'remediator.dev/suspended-by':
            '{"incident":7,"policy":"p","target":"Deployment prod/web","at":"2026-11-27T14:00:00.000Z"}',
          'remediator.dev/previous-automated-sync': '{"selfHeal":true}',
        },
      },
      spec: { syncPolicy: { automated: null } },
    });
  });

  it.each([
    [['Kustomization', 'flux-system', 'apps'], 'ok'],
    [['Deployment', 'prod', 'web'], 'kind must be one of Application, Kustomization, HelmRelease'],
    [['toString', 'prod', 'web'], 'kind must be one of Application, Kustomization, HelmRelease'],
    [['Application', 'Argo CD', 'web'], 'namespace must be a DNS-1123 label'],
    [['Application', 'argocd', '../web'], 'name must be a DNS-1123 subdomain'],
    [['Application', 'argocd', 42], 'name must be a DNS-1123 subdomain'],
  ])('checks what a human asks to resume: %j', (args, expected) => {
    const got = resumeTarget(...(args as [unknown, unknown, unknown]));
    expect(typeof got === 'string' ? got : 'ok').toBe(expected);
  });
});
