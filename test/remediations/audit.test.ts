import type { ClientNodeKube } from '../../src/kube/adapter';
import type { ObjectRef } from '../../src/kube/port';
import {
  actionWord,
  cutToBytes,
  remediationEvent,
  REPORTING_CONTROLLER,
  type AuditReason,
} from '../../src/remediations/audit';
import type { FakeKube, KubeObject } from '../support/fake-kube';
import { NOW, startKube, webDeployment } from './support';

const INSTANCE = 'remediator-7d9f-abcde';
const EVENTS = '/apis/events.k8s.io/v1/namespaces/ns/events';
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

describe('remediationEvent', () => {
  let fake: FakeKube;
  let kube: ClientNodeKube;
  let web: ObjectRef;

  beforeEach(async () => {
    ({ fake, kube } = await startKube());
    const deployment = fake.seed(webDeployment());
    web = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      namespace: 'ns',
      name: 'web',
      uid: deployment.metadata.uid,
    };
  });

  afterEach(async () => {
    await fake.close();
  });

  const event = (overrides: Partial<Parameters<typeof remediationEvent>[0]> = {}) =>
    remediationEvent({
      regarding: web,
      action: 'rollback',
      reason: 'RemediationApplied',
      note: 'Rolled back to revision 2 (policy web-errors, incident 42, alerts HighErrorRate)',
      instance: INSTANCE,
      now: new Date('2024-05-01T10:00:00.123Z'),
      ...overrides,
    });
  /** The Event as the core API stores it. */
  const storedEvents = (): KubeObject[] => fake.list('v1', 'Event', 'ns');

  it('is created through the adapter as an events.k8s.io/v1 Event on its target, with its uid', async () => {
    const created = await kube.createEvent('ns', event());
    expect(created).toMatchObject({
      eventTime: '2024-05-01T10:00:00.123000Z',
      type: 'Normal',
      reason: 'RemediationApplied',
      action: 'Rollback',
      reportingController: REPORTING_CONTROLLER,
      reportingInstance: INSTANCE,
      regarding: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'ns', name: 'web' },
      note: 'Rolled back to revision 2 (policy web-errors, incident 42, alerts HighErrorRate)',
    });
    expect(created.regarding?.uid).toBe(
      fake.get('apps/v1', 'Deployment', 'ns', 'web').metadata.uid,
    );
    expect(created.metadata?.name).toMatch(/^web\.[0-9a-f]+$/);
    expect(created.metadata?.name).toMatch(DNS_SUBDOMAIN);

    const [stored] = storedEvents();
    expect(stored.involvedObject).toMatchObject({ kind: 'Deployment', name: 'web', uid: web.uid });
    const request = fake.requests.find((r) => r.method === 'POST');
    expect(request).toMatchObject({ path: EVENTS, status: 201 });
    expect((request?.body as KubeObject).eventTime).toMatch(/\.\d{6}Z$/);
  });

  it('names its Event after the target and the time in nanoseconds, as client-go does', () => {
    const name = event({ now: NOW }).metadata?.name ?? '';
    const [prefix, hex] = name.split('.');
    expect(prefix).toBe('web');
    const nanos = BigInt(`0x${hex ?? ''}`);
    expect(nanos / 1_000_000n).toBe(BigInt(NOW.getTime()));
  });

  it.each<[AuditReason, string]>([
    ['RemediationApplied', 'Normal'],
    ['RemediationDryRun', 'Normal'],
    ['RemediationFailed', 'Warning'],
  ])('is accepted with reason %s and type %s', async (reason, type) => {
    const created = await kube.createEvent('ns', event({ reason }));
    expect(created).toMatchObject({ reason, type });
    expect(storedEvents()[0]).toMatchObject({ reason, type });
  });

  it('leaves out regarding.uid when the target has none, and is still accepted', async () => {
    const { uid: _uid, ...noUid } = web;
    const body = event({ regarding: noUid });
    expect(body.regarding).not.toHaveProperty('uid');
    await expect(kube.createEvent('ns', body)).resolves.toBeDefined();
  });

  it('gives two Events at the same millisecond different names, both accepted', async () => {
    const first = event({ now: NOW });
    const second = event({ now: NOW });
    expect(first.metadata?.name).not.toBe(second.metadata?.name);
    await kube.createEvent('ns', first);
    await kube.createEvent('ns', second);
    expect(storedEvents()).toHaveLength(2);
  });

  it.each([
    ['exactly 1024 ASCII characters', 'n'.repeat(1021) + 'END', 1024],
    ['1025 ASCII characters', 'n'.repeat(1022) + 'END', 1024],
    ['5000 ASCII characters', 'n'.repeat(4997) + 'END', 1024],
    ['300 arrows (900 bytes), kept whole', '→'.repeat(300), 900],
    // 600 characters, 1800 bytes: the old 1024-character cut let this through to a 422.
    ['600 arrows (1800 bytes)', '→'.repeat(600), 1023],
    ['300 emoji (1200 bytes, 600 UTF-16 units)', '😀'.repeat(300), 1023],
    ['accented text just over the limit', `${'é'.repeat(512)}x`, 1023],
  ])('keeps a note of %s within 1024 bytes, cut at a character', async (_name, note, bytes) => {
    const body = event({ note });
    const sent = body.note ?? '';
    expect(Buffer.byteLength(sent)).toBe(bytes);
    if (Buffer.byteLength(note) <= 1024) expect(sent).toBe(note);
    else {
      expect(sent.endsWith('...')).toBe(true);
      expect(note.startsWith(sent.slice(0, -3))).toBe(true);
      // No character cut in half: the text survives a UTF-8 round trip unchanged.
      expect(Buffer.from(sent, 'utf8').toString('utf8')).toBe(sent);
    }
    const created = await kube.createEvent('ns', body);
    expect(created.note).toBe(sent);
  });

  it.each([
    [128, 'ascii', 'r'.repeat(128), 128],
    [129, 'ascii', 'r'.repeat(129), 128],
    [300, 'ascii', 'r'.repeat(300), 128],
    [100, 'two-byte', 'é'.repeat(100), 128],
    [50, 'four-byte', '😀'.repeat(50), 128],
  ])(
    'cuts a %d-character %s instance name to at most 128 bytes and is accepted',
    async (_length, _kind, instance, bytes) => {
      const body = event({ instance });
      expect(Buffer.byteLength(body.reportingInstance ?? '')).toBe(bytes);
      expect(instance.startsWith(body.reportingInstance ?? '?')).toBe(true);
      const created = await kube.createEvent('ns', body);
      expect(created.reportingInstance).toBe(body.reportingInstance);
    },
  );

  it('cuts an action word longer than 128 bytes at a character and is accepted', async () => {
    const body = event({ action: `x-${'→'.repeat(60)}` });
    expect(Buffer.byteLength(body.action ?? '')).toBeLessThanOrEqual(128);
    expect(body.action?.startsWith('X→')).toBe(true);
    await expect(kube.createEvent('ns', body)).resolves.toBeDefined();
  });

  it('is accepted for every action the registry names', async () => {
    for (const action of ['rollback', 'scale', 'restore-model', 'restart', 'isolate', 'run-job']) {
      await kube.createEvent('ns', event({ action }));
    }
    expect(storedEvents().map((e: KubeObject) => e.action)).toEqual(
      expect.arrayContaining(['Rollback', 'Scale', 'RestoreModel', 'Restart', 'Isolate', 'RunJob']),
    );
  });

  // The 16-hex-digit suffix is cut instead of the name: past 236 characters the suffix shrinks
  // (two Events at one moment collide: 409), at 252 the name ends in "." (422), at 253 it is the
  // bare target name (409 on the second). Deployment and Pod names may have 253 characters.
  it.each([250, 252, 253])(
    'gives two Events about an object with a %d-character name valid, distinct names',
    async (length) => {
      const regarding = { ...web, name: 'w'.repeat(length) };
      const first = event({ regarding, now: NOW });
      const second = event({ regarding, now: NOW });
      await expect(kube.createEvent('ns', first)).resolves.toBeDefined();
      await expect(kube.createEvent('ns', second)).resolves.toBeDefined();
      expect(storedEvents()).toHaveLength(2);
    },
  );
});

describe('cutToBytes', () => {
  it.each([
    ['fits', 'abc', 3, '', 'abc'],
    ['ascii cut with a marker', 'abcdef', 5, '..', 'abc..'],
    ['never half a character', 'a→b', 3, '', 'a'],
    ['never half a surrogate pair', 'a😀', 4, '', 'a'],
    ['a marker alone when nothing else fits', '→→', 2, '..', '..'],
  ])('%s', (_name, text, max, marker, expected) => {
    expect(cutToBytes(text, max, marker)).toBe(expected);
  });
});

describe('actionWord', () => {
  it.each([
    ['rollback', 'Rollback'],
    ['scale', 'Scale'],
    ['restart', 'Restart'],
    ['isolate', 'Isolate'],
    ['notify', 'Notify'],
    ['restore-model', 'RestoreModel'],
    ['run-job', 'RunJob'],
    ['a-b-c', 'ABC'],
  ])('turns %s into %s', (action, word) => {
    expect(actionWord(action)).toBe(word);
  });
});
