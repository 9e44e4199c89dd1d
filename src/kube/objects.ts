import type { V1ObjectMeta } from '@kubernetes/client-node';
import { apiVersionOf, KSERVE_INFERENCE_SERVICE } from './custom-resources';
import type { KubePort, ObjectRef } from './port';

/**
 * The objects a policy can target, read by kind: the safety gates read a target's opt-out
 * annotation, and the audit trail and the actions its uid, whatever its kind.
 */
export type TargetObjectKind =
  'Deployment' | 'StatefulSet' | 'DaemonSet' | 'Pod' | 'InferenceService';

/** The apiVersion of each kind, for Events' `regarding` and for ownerReferences. */
export const API_VERSIONS: Readonly<Record<TargetObjectKind, string>> = {
  Deployment: 'apps/v1',
  StatefulSet: 'apps/v1',
  DaemonSet: 'apps/v1',
  Pod: 'v1',
  InferenceService: apiVersionOf(KSERVE_INFERENCE_SERVICE),
};

/** Reads the object; its metadata is all the callers look at. */
export function readTargetObject(
  kube: KubePort,
  target: { readonly kind: TargetObjectKind; readonly namespace: string; readonly name: string },
): Promise<{ metadata?: V1ObjectMeta }> {
  const { namespace, name } = target;
  switch (target.kind) {
    case 'Deployment':
      return kube.readDeployment(namespace, name);
    case 'StatefulSet':
      return kube.readStatefulSet(namespace, name);
    case 'DaemonSet':
      return kube.readDaemonSet(namespace, name);
    case 'Pod':
      return kube.readPod(namespace, name);
    case 'InferenceService':
      return kube.readCustomObject(KSERVE_INFERENCE_SERVICE, namespace, name);
  }
}

/** The object as an Event's `regarding`, with its uid when the object read has one. */
export function objectRef(
  target: { readonly kind: TargetObjectKind; readonly namespace: string; readonly name: string },
  object: { metadata?: V1ObjectMeta } | undefined,
): ObjectRef {
  const uid = object?.metadata?.uid;
  return {
    apiVersion: API_VERSIONS[target.kind],
    kind: target.kind,
    namespace: target.namespace,
    name: target.name,
    ...(uid === undefined ? {} : { uid }),
  };
}
