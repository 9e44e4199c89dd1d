/**
 * Suspending and resuming the GitOps objects that reconcile a workload, so that a rollback or a
 * scale is not reverted at the next sync, and remediator and the controller do not fight:
 *
 * - Flux (Kustomization, HelmRelease): merge patch `spec.suspend: true`, as `flux suspend` does.
 * - Argo CD (Application): merge patch `spec.syncPolicy.automated: null` (automated sync, and with
 *   it self-heal, off), remembering the previous `automated` block in the annotation
 *   {@link PREVIOUS_AUTOMATED_SYNC_ANNOTATION} on the Application itself, where resuming finds it.
 *
 * Both carry {@link SUSPENDED_BY_ANNOTATION}: which incident suspended it and why. A suspension is
 * never lifted automatically: after a rollback, resuming would redeploy the bad version from Git.
 * Humans resume once Git is fixed (`remediator gitops resume`, `POST /api/v1/gitops/resume`);
 * only a suspension remediator made can be resumed that way.
 */
import { KubeError } from '../kube/errors';
import { dns1123LabelProblem, dns1123SubdomainProblem } from '../kube/names';
import {
  apiVersionOf,
  ARGO_APPLICATION,
  FLUX_HELM_RELEASE,
  FLUX_KUSTOMIZATION,
  type CustomObject,
  type CustomResource,
} from '../kube/custom-resources';
import type { KubePort, ObjectRef, WriteOptions } from '../kube/port';
import { ownerText, type GitOpsOwner } from './gitops';

/** On the suspended object: JSON `{incident, policy, target, at}`. */
export const SUSPENDED_BY_ANNOTATION = 'remediator.dev/suspended-by';
/** On a suspended Argo CD Application: its `spec.syncPolicy.automated` before, as JSON. */
export const PREVIOUS_AUTOMATED_SYNC_ANNOTATION = 'remediator.dev/previous-automated-sync';

/** The GitOps kinds `gitops resume` accepts, by the name a human types. */
export const RESUMABLE_KINDS: Readonly<Record<string, CustomResource>> = {
  Application: ARGO_APPLICATION,
  Kustomization: FLUX_KUSTOMIZATION,
  HelmRelease: FLUX_HELM_RELEASE,
};

/**
 * What a human asked to resume, checked: a kind remediator suspends, a namespace and a name the
 * API server could hold. A string says what is wrong.
 */
export function resumeTarget(
  kind: unknown,
  namespace: unknown,
  name: unknown,
): { resource: CustomResource; namespace: string; name: string } | string {
  const resource = typeof kind === 'string' ? RESUMABLE_KINDS[kind] : undefined;
  if (resource === undefined || !Object.hasOwn(RESUMABLE_KINDS, kind as string))
    return `kind must be one of ${Object.keys(RESUMABLE_KINDS).join(', ')}`;
  if (typeof namespace !== 'string' || dns1123LabelProblem(namespace) !== undefined)
    return 'namespace must be a DNS-1123 label';
  if (typeof name !== 'string' || dns1123SubdomainProblem(name) !== undefined)
    return 'name must be a DNS-1123 subdomain';
  return { resource, namespace, name };
}

/** Why a suspension was made, recorded on the object. */
export interface SuspensionReason {
  readonly incident: number;
  readonly policy: string;
  /** `Deployment prod/web`. */
  readonly target: string;
  readonly at: Date;
}

/** An owner confirmed by reading it: it exists, with its uid and current state. */
export interface ConfirmedOwner extends GitOpsOwner {
  readonly object: CustomObject;
}

/** What suspending one owner did. */
export interface SuspensionResult {
  readonly owner: GitOpsOwner;
  readonly ref: ObjectRef;
  /** False when it was already suspended (by remediator or by a human): nothing was written. */
  readonly changed: boolean;
  readonly summary: string;
}

/**
 * The owners that exist. A candidate that is not there (a Helm chart's own instance label, a
 * Kustomization deleted without pruning) reconciles nothing; any other read failure is thrown,
 * so that the step fails rather than writing to something that may be reverted.
 */
export async function confirmOwners(
  kube: KubePort,
  owners: readonly GitOpsOwner[],
): Promise<ConfirmedOwner[]> {
  const read = await Promise.all(
    owners.map(async (owner) => {
      try {
        return {
          ...owner,
          object: await kube.readCustomObject(owner.resource, owner.namespace, owner.name),
        };
      } catch (err) {
        if (err instanceof KubeError && err.reason === 'not_found') return undefined;
        throw err;
      }
    }),
  );
  return read.filter((o): o is ConfirmedOwner => o !== undefined);
}

/** The owner as an Event's `regarding`. */
export function ownerRef(owner: GitOpsOwner, object?: CustomObject): ObjectRef {
  const uid = object?.metadata?.uid;
  return {
    apiVersion: apiVersionOf(owner.resource),
    kind: owner.resource.kind,
    namespace: owner.namespace,
    name: owner.name,
    ...(uid === undefined ? {} : { uid }),
  };
}

function isArgo(owner: GitOpsOwner): boolean {
  return owner.resource.group === ARGO_APPLICATION.group;
}

/** Argo CD's `spec.syncPolicy.automated`, when automated sync is on. */
function automatedSync(object: CustomObject): Record<string, unknown> | undefined {
  const syncPolicy = object.spec?.syncPolicy;
  if (typeof syncPolicy !== 'object' || syncPolicy === null) return undefined;
  const automated = (syncPolicy as { automated?: unknown }).automated;
  if (typeof automated !== 'object' || automated === null) return undefined;
  // Argo CD 3 can keep the block and switch it off with `enabled: false`.
  if ((automated as { enabled?: unknown }).enabled === false) return undefined;
  return automated as Record<string, unknown>;
}

/** Whether the owner reconciles on its own right now. */
export function isReconciling(owner: GitOpsOwner, object: CustomObject): boolean {
  if (isArgo(owner)) return automatedSync(object) !== undefined;
  return object.spec?.suspend !== true;
}

/**
 * The merge patch that suspends the owner, or undefined when it does not reconcile on its own.
 * The Application's patch carries its resourceVersion: the automated block it remembers must be
 * the one it replaces, or the patch gets a 409.
 */
export function suspendPatch(
  owner: GitOpsOwner,
  object: CustomObject,
  reason: SuspensionReason,
): object | undefined {
  if (!isReconciling(owner, object)) return undefined;
  const by = JSON.stringify({
    incident: reason.incident,
    policy: reason.policy,
    target: reason.target,
    at: reason.at.toISOString(),
  });
  if (isArgo(owner)) {
    const rv = object.metadata?.resourceVersion;
    return {
      metadata: {
        ...(rv === undefined ? {} : { resourceVersion: rv }),
        annotations: {
          [SUSPENDED_BY_ANNOTATION]: by,
          [PREVIOUS_AUTOMATED_SYNC_ANNOTATION]: JSON.stringify(automatedSync(object)),
        },
      },
      spec: { syncPolicy: { automated: null } },
    };
  }
  return { metadata: { annotations: { [SUSPENDED_BY_ANNOTATION]: by } }, spec: { suspend: true } };
}

function what(owner: GitOpsOwner): string {
  return isArgo(owner) ? 'automated sync off' : 'spec.suspend: true';
}

/**
 * A suspension failed after others succeeded: those stay suspended (never lifted
 * automatically), so whoever handles the failure must still tell humans about them.
 */
export class SuspensionFailed extends Error {
  constructor(
    override readonly cause: unknown,
    readonly done: readonly SuspensionResult[],
  ) {
    super('suspending a GitOps owner failed');
  }
}

/**
 * Suspends each confirmed owner that still reconciles; dry run: `dryRun=All`, nothing stored.
 * Throws {@link SuspensionFailed} with the suspensions already made when one fails.
 */
export async function suspendOwners(
  kube: KubePort,
  owners: readonly ConfirmedOwner[],
  reason: SuspensionReason,
  options: WriteOptions,
): Promise<SuspensionResult[]> {
  const results: SuspensionResult[] = [];
  for (const owner of owners) {
    const patch = suspendPatch(owner, owner.object, reason);
    const ref = ownerRef(owner, owner.object);
    if (patch === undefined) {
      results.push({
        owner,
        ref,
        changed: false,
        summary: `${ownerText(owner)} was already suspended`,
      });
      continue;
    }
    try {
      await kube.patchCustomObject(owner.resource, owner.namespace, owner.name, patch, options);
    } catch (err) {
      throw new SuspensionFailed(err, results);
    }
    results.push({
      owner,
      ref,
      changed: true,
      summary: `${options.dryRun === true ? 'would suspend' : 'suspended'} ${ownerText(owner)} (${what(owner)})`,
    });
  }
  return results;
}

/** The command and the endpoint that lift a suspension, for messages to humans. */
export function resumeHint(owner: GitOpsOwner): string {
  return `\`remediator gitops resume ${owner.resource.kind} ${owner.namespace}/${owner.name}\` (or POST /api/v1/gitops/resume {"kind":"${owner.resource.kind}","namespace":"${owner.namespace}","name":"${owner.name}"})`;
}

/** Why a resume was refused: the object is not one remediator suspended. */
export class NotSuspendedError extends Error {}

/**
 * Lifts a suspension remediator made: Flux `spec.suspend: false` (and a reconcile request, as
 * `flux resume` asks), Argo CD the remembered automated sync back. Refuses an object remediator
 * did not suspend, whoever did: that suspension is its owner's to lift.
 */
export async function resumeOwner(
  kube: KubePort,
  resource: CustomResource,
  namespace: string,
  name: string,
  now: Date,
): Promise<{ ref: ObjectRef; summary: string }> {
  const object = await kube.readCustomObject(resource, namespace, name);
  const annotations = object.metadata?.annotations ?? {};
  const owner: GitOpsOwner = {
    controller: resource.group === ARGO_APPLICATION.group ? 'Argo CD' : 'Flux',
    resource,
    namespace,
    name,
    via: 'resume',
  };
  if (annotations[SUSPENDED_BY_ANNOTATION] === undefined) {
    throw new NotSuspendedError(
      `${ownerText(owner)} was not suspended by remediator (no ${SUSPENDED_BY_ANNOTATION} annotation); nothing to resume`,
    );
  }
  let patch: object;
  if (isArgo(owner)) {
    const previous = annotations[PREVIOUS_AUTOMATED_SYNC_ANNOTATION];
    let automated: unknown;
    try {
      automated = previous === undefined ? undefined : (JSON.parse(previous) as unknown);
    } catch {
      automated = undefined;
    }
    if (typeof automated !== 'object' || automated === null) {
      throw new NotSuspendedError(
        `${ownerText(owner)} has no readable ${PREVIOUS_AUTOMATED_SYNC_ANNOTATION} annotation, so its automated sync policy is unknown; set it by hand`,
      );
    }
    patch = {
      metadata: {
        annotations: {
          [SUSPENDED_BY_ANNOTATION]: null,
          [PREVIOUS_AUTOMATED_SYNC_ANNOTATION]: null,
        },
      },
      spec: { syncPolicy: { automated } },
    };
  } else {
    patch = {
      metadata: {
        annotations: {
          [SUSPENDED_BY_ANNOTATION]: null,
          'reconcile.fluxcd.io/requestedAt': now.toISOString(),
        },
      },
      spec: { suspend: false },
    };
  }
  const updated = await kube.patchCustomObject(resource, namespace, name, patch);
  return {
    ref: ownerRef(owner, updated),
    summary: `resumed ${ownerText(owner)} (${isArgo(owner) ? 'automated sync restored' : 'spec.suspend: false'})`,
  };
}
