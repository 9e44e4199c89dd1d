/**
 * Which GitOps controller manages a workload, decided purely from the workload's own labels and
 * annotations, the way the controllers themselves mark what they apply:
 *
 * - Argo CD: the annotation `argocd.argoproj.io/tracking-id` (`<app>:<group>/<kind>:<ns>/<name>`,
 *   tracking method `annotation`, Argo CD 3's default, and `annotation+label`), or in `label` mode
 *   the instance label (`app.kubernetes.io/instance` unless Argo CD's `application.instanceLabelKey`
 *   says otherwise) whose value is the Application's name. An app outside the control-plane
 *   namespace is written `<namespace>_<app>`. A tracking id that names another object is a copy,
 *   which Argo CD itself does not treat as its own, and neither does this.
 * - Flux: `kustomize.toolkit.fluxcd.io/name` + `/namespace` (a Kustomization), and
 *   `helm.toolkit.fluxcd.io/name` + `/namespace` (a HelmRelease), both set by the controllers.
 *
 * A label is only a hint (Helm charts set `app.kubernetes.io/instance` too): the executor reads
 * each candidate and drops one that does not exist (gitops-suspension.ts).
 */
import {
  ARGO_APPLICATION,
  FLUX_HELM_RELEASE,
  FLUX_KUSTOMIZATION,
  type CustomResource,
} from '../kube/custom-resources';

/** How Argo CD marks what it applies (`application.resourceTrackingMethod` in `argocd-cm`). */
export const ARGOCD_TRACKING_METHODS = ['annotation', 'label', 'annotation+label'] as const;
export type ArgoCdTrackingMethod = (typeof ARGOCD_TRACKING_METHODS)[number];

/** The cluster's GitOps settings: configuration, the same for every policy. */
export interface GitOpsSettings {
  /** Where Argo CD's Applications live (its control-plane namespace), `argocd` by default. */
  readonly argocdNamespace: string;
  readonly argocdTracking: ArgoCdTrackingMethod;
  /** The label Argo CD tracks by in `label` mode. */
  readonly argocdInstanceLabel: string;
}

export const DEFAULT_GITOPS_SETTINGS: GitOpsSettings = {
  argocdNamespace: 'argocd',
  argocdTracking: 'annotation',
  argocdInstanceLabel: 'app.kubernetes.io/instance',
};

export const ARGOCD_TRACKING_ANNOTATION = 'argocd.argoproj.io/tracking-id';

/** A GitOps object that reconciles the workload, and how it was found. */
export interface GitOpsOwner {
  readonly controller: 'Argo CD' | 'Flux';
  readonly resource: CustomResource;
  readonly namespace: string;
  readonly name: string;
  /** The label or annotation that names it, for messages. */
  readonly via: string;
}

/** The workload as the detection sees it. */
export interface ManagedObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
}

/** `Flux Kustomization flux-system/apps`. */
export function ownerText(owner: GitOpsOwner): string {
  return `${owner.controller} ${owner.resource.kind} ${owner.namespace}/${owner.name}`;
}

/** Every GitOps object that claims the workload, Flux first, then Argo CD; none: unmanaged. */
export function gitopsOwnersOf(object: ManagedObject, settings: GitOpsSettings): GitOpsOwner[] {
  const labels = object.labels ?? {};
  const owners: GitOpsOwner[] = [];
  for (const [prefix, resource] of [
    ['helm.toolkit.fluxcd.io', FLUX_HELM_RELEASE],
    ['kustomize.toolkit.fluxcd.io', FLUX_KUSTOMIZATION],
  ] as const) {
    const name = labels[`${prefix}/name`];
    const namespace = labels[`${prefix}/namespace`];
    if (name !== undefined && name !== '' && namespace !== undefined && namespace !== '') {
      owners.push({ controller: 'Flux', resource, namespace, name, via: `label ${prefix}/name` });
    }
  }
  const argo = argoApplicationOf(object, settings);
  if (argo !== undefined) owners.push(argo);
  return owners;
}

function argoApplicationOf(
  object: ManagedObject,
  settings: GitOpsSettings,
): GitOpsOwner | undefined {
  if (settings.argocdTracking === 'label') {
    const value = object.labels?.[settings.argocdInstanceLabel];
    if (value === undefined || value === '') return undefined;
    return argoOwner(value, settings, `label ${settings.argocdInstanceLabel}`);
  }
  const id = object.annotations?.[ARGOCD_TRACKING_ANNOTATION];
  if (id === undefined) return undefined;
  const parsed = parseTrackingId(id);
  if (parsed === undefined) return undefined;
  const group = object.apiVersion.includes('/') ? object.apiVersion.split('/')[0] : '';
  if (
    parsed.group !== group ||
    parsed.kind !== object.kind ||
    parsed.namespace !== object.namespace ||
    parsed.name !== object.name
  ) {
    return undefined;
  }
  return argoOwner(parsed.app, settings, `annotation ${ARGOCD_TRACKING_ANNOTATION}`);
}

/** `<ns>_<app>` for an app outside the control-plane namespace, else `<app>` in it. */
function argoOwner(app: string, settings: GitOpsSettings, via: string): GitOpsOwner {
  const cut = app.indexOf('_');
  const [namespace, name] =
    cut > 0 ? [app.slice(0, cut), app.slice(cut + 1)] : [settings.argocdNamespace, app];
  return { controller: 'Argo CD', resource: ARGO_APPLICATION, namespace, name, via };
}

/**
 * Argo CD's tracking id `<app>:<group>/<kind>:<namespace>/<name>` (group empty for the core
 * group, namespace empty for a cluster-scoped object); undefined when it is not one.
 */
export function parseTrackingId(
  id: string,
): { app: string; group: string; kind: string; namespace: string; name: string } | undefined {
  const parts = id.split(':');
  if (parts.length !== 3) return undefined;
  const [app = '', groupKind = '', namespacedName = ''] = parts;
  const slash = groupKind.indexOf('/');
  const nameSlash = namespacedName.indexOf('/');
  if (app === '' || slash < 0 || nameSlash < 0) return undefined;
  const kind = groupKind.slice(slash + 1);
  const name = namespacedName.slice(nameSlash + 1);
  if (kind === '' || name === '') return undefined;
  return {
    app,
    group: groupKind.slice(0, slash),
    kind,
    namespace: namespacedName.slice(0, nameSlash),
    name,
  };
}
