import { V1MicroTime, type EventsV1Event } from '@kubernetes/client-node';
import type { ObjectRef } from '../kube/port';

export const REPORTING_CONTROLLER = 'remediator.dev/remediator';

export type AuditReason = 'RemediationApplied' | 'RemediationDryRun' | 'RemediationFailed';

/**
 * An events.k8s.io/v1 Event about a remediation, on the object it changed, shaped the way the API
 * server validates it (docs/kubernetes-api.md §7): 6-digit MicroTime, `regarding.uid` so that
 * `kubectl describe` shows it, client-go's naming, and every length limit respected.
 */
export function remediationEvent(input: {
  regarding: ObjectRef;
  action: string;
  reason: AuditReason;
  note: string;
  instance: string;
  now: Date;
}): EventsV1Event {
  const { regarding, now } = input;
  const nanos = BigInt(now.getTime()) * 1_000_000n + (process.hrtime.bigint() % 1_000_000n);
  return {
    apiVersion: 'events.k8s.io/v1',
    kind: 'Event',
    metadata: {
      name: eventName(regarding.name, nanos),
      namespace: regarding.namespace,
    },
    eventTime: new V1MicroTime(now),
    type: input.reason === 'RemediationFailed' ? 'Warning' : 'Normal',
    reason: input.reason,
    action: actionWord(input.action),
    reportingController: REPORTING_CONTROLLER,
    reportingInstance: input.instance.slice(0, 128),
    regarding: {
      apiVersion: regarding.apiVersion,
      kind: regarding.kind,
      namespace: regarding.namespace,
      name: regarding.name,
      ...(regarding.uid === undefined ? {} : { uid: regarding.uid }),
    },
    note: input.note.length > 1024 ? `${input.note.slice(0, 1021)}...` : input.note,
  };
}

/**
 * client-go's `<regarding name>.<hex nanoseconds>`, with the name part shortened (never the
 * time part, which keeps names distinct) to fit 253 characters, and not ending in `-` or `.`.
 */
export function eventName(name: string, nanos: bigint): string {
  const suffix = nanos.toString(16);
  const head = name.slice(0, 253 - 1 - suffix.length).replace(/[-.]+$/, '');
  return `${head}.${suffix}`;
}

/** `restore-model` → `RestoreModel`, the CamelCase verb Events use (`Rollback`, `Scale`...). */
export function actionWord(action: string): string {
  return action
    .split('-')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}
