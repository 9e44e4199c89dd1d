import type { AlertState } from '../../src/incidents/incident';

/** An alert instance as an incident holds it: firing, or resolved at `resolvedAt`. */
export function alertState(
  fingerprint: string,
  labels: Record<string, string>,
  resolvedAt?: number,
): AlertState {
  return {
    fingerprint,
    startsAt: '2026-11-27T13:40:00Z',
    status: resolvedAt === undefined ? 'firing' : 'resolved',
    labels,
    annotations: {},
    endsAt: '0001-01-01T00:00:00Z',
    generatorURL: '',
    firstSeenAt: 0,
    updatedAt: 0,
    ...(resolvedAt === undefined ? {} : { resolvedAt }),
  };
}
