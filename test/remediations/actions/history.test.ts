import type { V1Deployment } from '@kubernetes/client-node';

import {
  equalIgnoringHash,
  HISTORY_ANNOTATION,
  historyWith,
  readHistory,
  revisionOf,
  snapshotOf,
} from '../../../src/remediations/actions/history';
import { NOW, NOW_SECONDS, webTemplate } from '../support';

function withHistory(value: string | undefined): Pick<V1Deployment, 'metadata'> {
  return {
    metadata: value === undefined ? {} : { annotations: { [HISTORY_ANNOTATION]: value } },
  };
}

describe('revisionOf', () => {
  it.each([
    ['3', 3n],
    ['007', 7n],
    ['+4', 4n],
    ['9223372036854775807', 9223372036854775807n],
  ])('reads the revision annotation %j as Go’s ParseInt does: %s', (text, revision) => {
    expect(
      revisionOf({ metadata: { annotations: { 'deployment.kubernetes.io/revision': text } } }),
    ).toBe(revision);
  });

  it.each(['', 'v2', '2.0', '0x10', ' 2', '9223372036854775808'])(
    'leaves out a ReplicaSet whose revision %j does not parse',
    (text) => {
      expect(
        revisionOf({ metadata: { annotations: { 'deployment.kubernetes.io/revision': text } } }),
      ).toBeUndefined();
    },
  );

  it('reads a missing annotation as revision 0', () => {
    expect(revisionOf({ metadata: {} })).toBe(0n);
  });
});

describe('remediator history', () => {
  it('records images and version-like env values only: never other literals (credentials) or valueFrom', () => {
    const template = webTemplate('v41');
    template.spec.containers[1].env = [
      { name: 'TOKEN', valueFrom: { secretKeyRef: { name: 's', key: 'token' } } },
      { name: 'DB_PASSWORD', value: 'hunter2' },
    ];
    expect(snapshotOf(template, 'restart', NOW)).toEqual({
      at: NOW_SECONDS,
      action: 'restart',
      images: { model: 'reg/model:v41', sidecar: 'reg/proxy:1.0' },
      env: { model: { MODEL_VERSION: 'v41' } },
    });
  });

  it('also records the variable restore-model was told holds the version, whatever its name', () => {
    const template = webTemplate('v41');
    template.spec.containers[0].env = [{ name: 'SERVING_TAG', value: 'blue' }];
    expect(snapshotOf(template, 'restore-model', NOW, undefined, 'SERVING_TAG').env).toEqual({
      model: { SERVING_TAG: 'blue' },
    });
    expect(snapshotOf(template, 'restart', NOW).env).toEqual({});
  });

  it('appends the newest entry last and keeps ten', () => {
    const entries = Array.from({ length: 10 }, (_, i) => ({
      at: `t${i}`,
      action: 'restart',
      images: {},
      env: {},
    }));
    const next = JSON.parse(
      historyWith(withHistory(JSON.stringify(entries)), {
        at: 'now',
        action: 'rollback',
        images: {},
        env: {},
      }),
    );
    expect(next.map((e: { at: string }) => e.at)).toEqual([
      ...entries.slice(1).map((e) => e.at),
      'now',
    ]);
  });

  it.each([undefined, 'not json', '{"at":"x"}', '[1, {"at": "x"}]'])(
    'reads an absent or hand-edited annotation (%j) as no usable history',
    (value) => {
      expect(readHistory(withHistory(value))).toEqual([]);
    },
  );
});

describe('equalIgnoringHash', () => {
  it('ignores pod-template-hash and treats empty maps and lists as missing', () => {
    const a = webTemplate('v41', { 'pod-template-hash': 'abc' });
    const b = webTemplate('v41');
    b.metadata.annotations = {};
    expect(equalIgnoringHash(a, b)).toBe(true);
  });

  it('tells templates apart by any other difference', () => {
    const restarted = webTemplate('v41');
    restarted.metadata.annotations = { 'kubectl.kubernetes.io/restartedAt': NOW_SECONDS };
    expect(equalIgnoringHash(webTemplate('v41'), restarted)).toBe(false);
    expect(equalIgnoringHash(webTemplate('v41'), webTemplate('v40'))).toBe(false);
  });
});
