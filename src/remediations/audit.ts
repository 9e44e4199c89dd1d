import { V1MicroTime, type EventsV1Event } from '@kubernetes/client-node';
import { utf8Length } from '../kube/names';
import type { ObjectRef } from '../kube/port';

export const REPORTING_CONTROLLER = 'remediator.dev/remediator';

/**
 * The API server's limits on an Event (pkg/apis/core/validation/events.go). It checks them with
 * Go's `len()`, which counts UTF-8 bytes: a note of 1,000 characters with `→` in it is too long.
 */
export const EVENT_LIMITS = {
  note: 1024,
  reason: 128,
  action: 128,
  reportingInstance: 128,
} as const;

export type AuditReason =
  | 'RemediationApplied'
  | 'RemediationDryRun'
  | 'RemediationFailed'
  | 'ApprovalGranted'
  | 'ApprovalDenied'
  | 'GitOpsSuspended'
  | 'GitOpsResumed';

/**
 * An events.k8s.io/v1 Event about a remediation, on the object it changed, shaped the way the API
 * server validates it (docs/kubernetes-api.md §7): 6-digit MicroTime, `regarding.uid` so that
 * `kubectl describe` shows it, client-go's naming, and every length limit respected in bytes.
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
    // A suspended GitOps controller needs a human as much as a failure does.
    type:
      input.reason === 'RemediationFailed' || input.reason === 'GitOpsSuspended'
        ? 'Warning'
        : 'Normal',
    reason: cutToBytes(input.reason, EVENT_LIMITS.reason),
    action: cutToBytes(actionWord(input.action), EVENT_LIMITS.action),
    reportingController: REPORTING_CONTROLLER,
    reportingInstance: cutToBytes(input.instance, EVENT_LIMITS.reportingInstance),
    regarding: {
      apiVersion: regarding.apiVersion,
      kind: regarding.kind,
      namespace: regarding.namespace,
      name: regarding.name,
      ...(regarding.uid === undefined ? {} : { uid: regarding.uid }),
    },
    note: cutToBytes(input.note, EVENT_LIMITS.note, '...'),
  };
}

/**
 * `text` if it fits in `maxBytes` of UTF-8; otherwise its longest prefix of whole code points
 * that fits together with `marker`, then `marker`. Never splits a character (or a surrogate pair).
 */
export function cutToBytes(text: string, maxBytes: number, marker = ''): string {
  if (utf8Length(text) <= maxBytes) return text;
  const budget = maxBytes - utf8Length(marker);
  let used = 0;
  let head = '';
  for (const codePoint of text) {
    used += utf8Length(codePoint);
    if (used > budget) break;
    head += codePoint;
  }
  return `${head}${marker}`;
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
