import type { ActionSpec } from './action';

/** Security incident: cut a pod off the network, keep it running for forensics. */
export const isolateSpec = {
  name: 'isolate',
  description:
    'Quarantines a pod for a security incident: labels it with the quarantine label (removing `removeLabels`, e.g. the label its Service selects, so it leaves the endpoints) and creates a deny-all NetworkPolicy (both Ingress and Egress) selecting that label. The pod keeps running for forensics. Never undone automatically: a human lifts the quarantine.',
  targetKinds: ['Pod'],
  params: {
    type: 'object',
    additionalProperties: false,
    properties: {
      quarantineLabel: {
        type: 'string',
        minLength: 1,
        default: 'remediator.dev/quarantine',
        description: 'Label set to "true" on the pod and selected by the NetworkPolicy.',
      },
      removeLabels: {
        type: 'array',
        items: { type: 'string', minLength: 1 },
        default: [],
        description:
          'Labels to remove from the pod, e.g. the one its Service and ReplicaSet select.',
      },
    },
  },
  rbac: [
    { apiGroups: [''], resources: ['pods'], verbs: ['get', 'patch'] },
    { apiGroups: ['networking.k8s.io'], resources: ['networkpolicies'], verbs: ['get', 'create'] },
  ],
  example: { action: 'isolate', params: { removeLabels: ['app'] } },
} as const satisfies ActionSpec;
