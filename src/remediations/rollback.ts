import { durationSchema, type ActionSpec } from './action';

/** `kubectl rollout undo`: back to the previous (or a given) ReplicaSet revision. */
export const rollbackSpec = {
  name: 'rollback',
  description:
    'Rolls a Deployment back exactly as `kubectl rollout undo` does: picks the previous revision among the ReplicaSets it owns (or `toRevision`), and replaces the pod template and annotations with a JSON patch. Skips a paused Deployment and one already at that template. With `onlyIfChangedWithin`, acts only when the current revision was rolled out within that window (a bad rollout), and skips otherwise so the next step can run.',
  targetKinds: ['Deployment'],
  params: {
    type: 'object',
    additionalProperties: false,
    properties: {
      toRevision: {
        type: 'integer',
        minimum: 1,
        description:
          'The revision (`deployment.kubernetes.io/revision`) to go back to; default: the one before the current.',
      },
      onlyIfChangedWithin: {
        ...durationSchema,
        description:
          'Act only when the current revision was created within this duration; otherwise skip (the rollout is not the likely cause).',
      },
    },
  },
  rbac: [
    { apiGroups: ['apps'], resources: ['deployments'], verbs: ['get', 'patch'] },
    { apiGroups: ['apps'], resources: ['replicasets'], verbs: ['list'] },
  ],
  example: { action: 'rollback', params: { onlyIfChangedWithin: '2h' }, verify: '10m' },
} as const satisfies ActionSpec;
