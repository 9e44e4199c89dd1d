/**
 * Finding a plan's target when its policy names it through a pod or an HPA (`fromPod`,
 * `fromHpa`): kubernetes-mixin's alerts name the pod that crash loops or the HPA that is maxed
 * out, not the Deployment behind them. Planning is pure and reads nothing, so the target is found
 * here, when the plan's first step runs and before the safety gates, so that the lock, cooldown,
 * budget and blast radius apply to the object found, never to the pod. Read only: the pod, its
 * ReplicaSet, or the HPAs of the namespace.
 *
 * ownerReferences are followed as the garbage collector reads them: the one reference with
 * `controller: true`, checked against the uid of the object read (a ReplicaSet deleted and made
 * again under the same name is not the pod's owner).
 */
import type { V1ObjectMeta, V1OwnerReference } from '@kubernetes/client-node';
import { KubeError } from '../../kube/errors';
import type { KubePort } from '../../kube/port';
import type { OwnerTarget, RenderedTarget } from '../../policies/planner';
import type { Skip } from './gates';

/** The target found, with how (`pod prod/web-7d9f-abcde → ReplicaSet web-7d9f → Deployment web`). */
export type OwnerLookup =
  { readonly found: RenderedTarget; readonly chain: string } | { readonly skip: Skip };

/** Finds the target; rejects with the KubeError of a read that failed for another reason than 404. */
export function findOwner(kube: KubePort, target: OwnerTarget): Promise<OwnerLookup> {
  return target.from.kind === 'Pod' ? ownerOfPod(kube, target) : scaledByHpa(kube, target);
}

async function ownerOfPod(kube: KubePort, target: OwnerTarget): Promise<OwnerLookup> {
  const { kind, namespace } = target;
  const pod = `pod ${namespace}/${target.from.name}`;
  const read = await orGone(kube.readPod(namespace, target.from.name));
  if (read === undefined) {
    return notFound(
      `${pod} is gone (deleted or replaced since the alert), so its ${kind} cannot be found`,
    );
  }
  const controller = controllerOf(read.metadata);
  if (controller === undefined) return notFound(`${pod} has no controller, so no ${kind} owns it`);
  if (kind !== 'Deployment') {
    if (controller.kind !== kind || !isApps(controller)) {
      return notFound(
        `${pod} is controlled by ${controller.kind} ${controller.name}, not by a ${kind}`,
      );
    }
    return found(target, controller.name, `${pod} → ${kind} ${controller.name}`);
  }
  // A Deployment owns its pods through the ReplicaSet of one of its revisions.
  if (controller.kind !== 'ReplicaSet' || !isApps(controller)) {
    return notFound(
      `${pod} is controlled by ${controller.kind} ${controller.name}, not by the ReplicaSet of a Deployment`,
    );
  }
  const replicaSet = `ReplicaSet ${controller.name}`;
  const rs = await orGone(kube.readReplicaSet(namespace, controller.name));
  if (rs === undefined || rs.metadata?.uid !== controller.uid) {
    return notFound(
      `the ${replicaSet} that controls ${pod} is gone, so its Deployment cannot be found`,
    );
  }
  const owner = controllerOf(rs.metadata);
  if (owner?.kind !== 'Deployment' || !isApps(owner)) {
    const by =
      owner === undefined ? 'has no controller' : `is controlled by ${owner.kind} ${owner.name}`;
    return notFound(`the ${replicaSet} that controls ${pod} ${by}, not by a Deployment`);
  }
  return found(target, owner.name, `${pod} → ${replicaSet} → Deployment ${owner.name}`);
}

async function scaledByHpa(kube: KubePort, target: OwnerTarget): Promise<OwnerLookup> {
  const { kind, namespace } = target;
  const hpa = `HPA ${namespace}/${target.from.name}`;
  // Listed, not read: `list` is what the scale action is granted already.
  const hpas = await kube.listHorizontalPodAutoscalers(namespace);
  const read = hpas.find((h) => h.metadata?.name === target.from.name);
  if (read === undefined)
    return notFound(`${hpa} is gone, so the ${kind} it scales cannot be found`);
  const ref = read.spec?.scaleTargetRef;
  if (ref?.kind !== kind || !(ref.apiVersion ?? '').startsWith('apps/')) {
    return notFound(
      `${hpa} scales ${ref?.kind ?? 'nothing'} ${ref?.name ?? ''}, not a ${kind}`.trimEnd(),
    );
  }
  return found(target, ref.name, `${hpa} → ${kind} ${ref.name}`);
}

/** The ownerReference the garbage collector and `kubectl` treat as the object's controller. */
function controllerOf(metadata: V1ObjectMeta | undefined): V1OwnerReference | undefined {
  return metadata?.ownerReferences?.find((r) => r.controller === true);
}

function isApps(ref: { readonly apiVersion?: string }): boolean {
  return (ref.apiVersion ?? '').startsWith('apps/');
}

function found(target: OwnerTarget, name: string, chain: string): OwnerLookup {
  return {
    found: { kind: target.kind, namespace: target.namespace, name, from: target.from },
    chain,
  };
}

function notFound(reason: string): OwnerLookup {
  return { skip: { code: 'owner_not_found', reason } };
}

/** The object, or undefined when the API server says it does not exist. */
async function orGone<T>(read: Promise<T>): Promise<T | undefined> {
  try {
    return await read;
  } catch (err) {
    if (err instanceof KubeError && err.reason === 'not_found') return undefined;
    throw err;
  }
}
