import type { ActionSpec } from './action';

/** `kubectl rollout restart`: a new pod template annotation, so every pod is replaced. */
export const restartSpec = {
  name: 'restart',
  description:
    "Restarts a Deployment's pods as `kubectl rollout restart` does: sets the `kubectl.kubernetes.io/restartedAt` annotation on the pod template with a strategic merge patch, so the Deployment rolls its pods. Skips a paused Deployment.",
  targetKinds: ['Deployment'],
  params: { type: 'object', additionalProperties: false, properties: {} },
  rbac: [{ apiGroups: ['apps'], resources: ['deployments'], verbs: ['get', 'patch'] }],
  example: { action: 'restart', verify: '5m' },
} as const satisfies ActionSpec;
