import type { ActionSpec } from './action';

/** Puts the serving Deployment back on its last known-good model version. */
export const restoreModelSpec = {
  name: 'restore-model',
  description:
    'Sets the model version a serving Deployment uses back to the last known-good one. The version lives either in a container environment variable (`container`, `env`; changed by a strategic merge patch on that container only) or in a ConfigMap key (`configMap`, `key`; merge-patched, then the Deployment is restarted so the pods read it). The known-good version is `version` if given, else the value in the previous ReplicaSet revision, else the last value remediator recorded on the Deployment before one of its own changes.',
  targetKinds: ['Deployment'],
  params: {
    type: 'object',
    additionalProperties: false,
    properties: {
      container: {
        type: 'string',
        minLength: 1,
        description: 'Container whose environment holds the version (env mode).',
      },
      env: {
        type: 'string',
        minLength: 1,
        default: 'MODEL_VERSION',
        description: 'Environment variable holding the version (env mode).',
      },
      configMap: {
        type: 'string',
        minLength: 1,
        description: 'ConfigMap holding the version (ConfigMap mode).',
      },
      key: {
        type: 'string',
        minLength: 1,
        description: 'ConfigMap key holding the version; default: the `env` name.',
      },
      version: {
        type: 'string',
        minLength: 1,
        description:
          'The known-good version, if you know it; a template may read it from the alert.',
      },
    },
  },
  checkParams(params) {
    if (params.configMap === undefined && params.container === undefined) {
      return [
        [
          '',
          'set `container` (the version is an env var) or `configMap` (the version is a ConfigMap key)',
        ],
      ];
    }
    if (params.configMap !== undefined && params.container !== undefined) {
      return [['', 'set `container` or `configMap`, not both']];
    }
    return [];
  },
  rbac: [
    { apiGroups: ['apps'], resources: ['deployments'], verbs: ['get', 'patch'] },
    { apiGroups: ['apps'], resources: ['replicasets'], verbs: ['list'] },
    { apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'patch'] },
  ],
  example: {
    action: 'restore-model',
    params: { container: 'model', env: 'MODEL_VERSION' },
    verify: '10m',
  },
} as const satisfies ActionSpec;
