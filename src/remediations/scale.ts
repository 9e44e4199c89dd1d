import type { ActionSpec } from './action';

/** Scale out (or to a size) within bounds; through the HPA when one manages the Deployment. */
export const scaleSpec = {
  name: 'scale',
  description:
    'Scales a Deployment to `to` replicas, by `by` more, or by a `factor`, always within `min` and `max`, on the scale subresource. When a HorizontalPodAutoscaler targets the Deployment, the HPA would undo a manual scale, so its `minReplicas` is raised instead (and `maxReplicas` if needed), and the old values are recorded.',
  targetKinds: ['Deployment'],
  params: {
    type: 'object',
    additionalProperties: false,
    required: ['max'],
    properties: {
      to: { type: 'integer', minimum: 0, description: 'Scale to exactly this many replicas.' },
      by: { type: 'integer', minimum: 1, description: 'Add this many replicas.' },
      factor: {
        type: 'number',
        exclusiveMinimum: 1,
        description: 'Multiply the replicas by this (rounded up).',
      },
      min: {
        type: 'integer',
        minimum: 0,
        default: 1,
        description: 'Never fewer replicas than this.',
      },
      max: { type: 'integer', minimum: 1, description: 'Never more replicas than this.' },
    },
  },
  checkParams(params) {
    const problems: [string, string][] = [];
    const modes = ['to', 'by', 'factor'].filter((k) => params[k] !== undefined);
    if (modes.length !== 1) {
      problems.push([
        '',
        `set exactly one of to, by or factor (got ${modes.length === 0 ? 'none' : modes.join(', ')})`,
      ]);
    }
    const { min, max } = params as { min?: number; max?: number };
    if (min !== undefined && max !== undefined && min > max) {
      problems.push(['min', `min (${min}) is greater than max (${max})`]);
    }
    return problems;
  },
  rbac: [
    { apiGroups: ['apps'], resources: ['deployments/scale'], verbs: ['get', 'patch'] },
    {
      apiGroups: ['autoscaling'],
      resources: ['horizontalpodautoscalers'],
      verbs: ['get', 'list', 'patch'],
    },
  ],
  example: { action: 'scale', params: { by: 2, max: 10 }, verify: '5m' },
} as const satisfies ActionSpec;
