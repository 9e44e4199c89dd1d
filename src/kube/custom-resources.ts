/**
 * The custom resources remediator reads or writes, by their real group, version and plural: the
 * GitOps controllers that may own a workload (Argo CD, Flux) and the autoscaler that overrides a
 * manual scale (KEDA). Plain data, so the port, the adapter, the gates and the docs share one
 * definition of each.
 */

/** One custom resource type as the API server serves it. */
export interface CustomResource {
  readonly group: string;
  readonly version: string;
  readonly plural: string;
  readonly kind: string;
}

/** Argo CD's Application (`argoproj.io/v1alpha1`), in its control-plane namespace. */
export const ARGO_APPLICATION = {
  group: 'argoproj.io',
  version: 'v1alpha1',
  plural: 'applications',
  kind: 'Application',
} as const satisfies CustomResource;

/** Flux's Kustomization (`kustomize.toolkit.fluxcd.io/v1`, GA since Flux 2.0). */
export const FLUX_KUSTOMIZATION = {
  group: 'kustomize.toolkit.fluxcd.io',
  version: 'v1',
  plural: 'kustomizations',
  kind: 'Kustomization',
} as const satisfies CustomResource;

/** Flux's HelmRelease (`helm.toolkit.fluxcd.io/v2`, GA since Flux 2.3). */
export const FLUX_HELM_RELEASE = {
  group: 'helm.toolkit.fluxcd.io',
  version: 'v2',
  plural: 'helmreleases',
  kind: 'HelmRelease',
} as const satisfies CustomResource;

/** KEDA's ScaledObject (`keda.sh/v1alpha1`), which drives an HPA of its own. */
export const KEDA_SCALED_OBJECT = {
  group: 'keda.sh',
  version: 'v1alpha1',
  plural: 'scaledobjects',
  kind: 'ScaledObject',
} as const satisfies CustomResource;

/** KServe's InferenceService (`serving.kserve.io/v1beta1`): a model server, Serverless or raw. */
export const KSERVE_INFERENCE_SERVICE = {
  group: 'serving.kserve.io',
  version: 'v1beta1',
  plural: 'inferenceservices',
  kind: 'InferenceService',
} as const satisfies CustomResource;

/** `group/version`, as objects of the resource name their `apiVersion`. */
export function apiVersionOf(resource: CustomResource): string {
  return `${resource.group}/${resource.version}`;
}

/**
 * A custom object as read: only metadata is typed, the rest is the resource's own and is read
 * field by field, defensively, by whoever needs it.
 */
export interface CustomObject {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    namespace?: string;
    uid?: string;
    generation?: number;
    resourceVersion?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
}
