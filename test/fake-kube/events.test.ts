import { V1MicroTime } from '@kubernetes/client-node';
import { Event as EventsV1Event } from 'kubernetes-models/events.k8s.io/v1/Event';

import { startFakeKube, type FakeKube, type KubeObject } from '../support/fake-kube';
import { apiFailure, clients, PATHS, raw } from './fixtures';

const NAME = 'web.17c5a3b2c1d4e5f6';
const QUALIFIED_NAME_RULE =
  "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";

function auditEvent(overrides: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'events.k8s.io/v1',
    kind: 'Event',
    metadata: { name: NAME, namespace: 'ns' },
    eventTime: '2024-05-01T10:00:00.123456Z',
    type: 'Normal',
    reason: 'RemediationSucceeded',
    action: 'Rollback',
    reportingController: 'remediator.example.com/auto-remediator',
    reportingInstance: 'auto-remediator-7d9f-abcde',
    regarding: {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      namespace: 'ns',
      name: 'web',
      uid: 'u-1',
    },
    note: 'Rolled back to revision 2 (alert HighErrorRate, fingerprint 3f2a)',
    ...overrides,
  };
}

function without(key: string): KubeObject {
  const event = auditEvent();
  Reflect.deleteProperty(event, key);
  return event;
}

describe('events.k8s.io/v1 Events', () => {
  let fake: FakeKube;

  beforeEach(async () => {
    fake = await startFakeKube();
  });

  afterEach(async () => {
    await fake.close();
  });

  const post = (body: unknown) =>
    raw(fake, 'POST', PATHS.events, { contentType: 'application/json', body });

  it('creates the reference audit Event (201) with a valid shape', async () => {
    const answer = await post(auditEvent());
    expect(answer.status).toBe(201);
    expect(answer.json).toMatchObject(auditEvent());
    expect(() => new EventsV1Event(answer.json).validate()).not.toThrow();
  });

  it('creates the Event through client-node with a V1MicroTime eventTime', async () => {
    const { events } = clients(fake);
    const created = await events.createNamespacedEvent({
      namespace: 'ns',
      body: { ...auditEvent(), eventTime: new V1MicroTime(new Date('2024-05-01T10:00:00.5Z')) },
    });
    expect(created.eventTime).toBe('2024-05-01T10:00:00.500000Z');
  });

  it('stores one Event that the core API reads with the core field names', async () => {
    await post(auditEvent());
    const core = await raw(fake, 'GET', `${PATHS.coreEvents}/${NAME}`);
    expect(core.json).toMatchObject({
      kind: 'Event',
      apiVersion: 'v1',
      involvedObject: { kind: 'Deployment', name: 'web', uid: 'u-1' },
      message: auditEvent().note,
      reportingComponent: 'remediator.example.com/auto-remediator',
    });
    expect(fake.list('v1', 'Event', 'ns')).toHaveLength(1);
    const filtered = await raw(
      fake,
      'GET',
      `${PATHS.coreEvents}?fieldSelector=${encodeURIComponent('involvedObject.name=web,involvedObject.uid=u-1')}`,
    );
    expect(filtered.json.items).toHaveLength(1);
  });

  it('answers an existing name with 409 from the shared core storage', async () => {
    await post(auditEvent());
    const again = await post(auditEvent());
    expect(again.status).toBe(409);
    expect(again.json.message).toBe(`events "${NAME}" already exists`);
    expect(again.json.details).toEqual({ name: NAME, kind: 'events' });
  });

  it('refuses an eventTime without six fractional digits with the decoder 400', async () => {
    const answer = await post(auditEvent({ eventTime: '2024-05-01T10:00:00.123Z' }));
    expect(answer.status).toBe(400);
    expect(answer.json.message).toBe(
      'Event in version "v1" cannot be handled as a Event: parsing time "2024-05-01T10:00:00.123Z" as "2006-01-02T15:04:05.000000Z07:00": cannot parse ".123Z" as ".000000"',
    );
  });

  it.each([
    ['no eventTime', without('eventTime'), ['eventTime: Required value']],
    [
      'type Info',
      auditEvent({ type: 'Info' }),
      ['type: Invalid value: "": has invalid value: Info'],
    ],
    [
      'no reportingController',
      without('reportingController'),
      [
        'reportingController: Required value',
        'reportingController: Invalid value: "": name part must be non-empty',
        `reportingController: Invalid value: "": ${QUALIFIED_NAME_RULE}`,
      ],
    ],
    [
      'a reportingController that is not a qualified name',
      auditEvent({ reportingController: 'Remediator Bot' }),
      [`reportingController: Invalid value: "Remediator Bot": ${QUALIFIED_NAME_RULE}`],
    ],
    [
      'a reportingController name part over 63 characters',
      auditEvent({ reportingController: `remediator.example.com/${'a'.repeat(64)}` }),
      [
        `reportingController: Invalid value: "remediator.example.com/${'a'.repeat(64)}": name part must be no more than 63 characters`,
      ],
    ],
    [
      'a reportingController name part of 32 two-byte characters (64 bytes)',
      auditEvent({ reportingController: `remediator.example.com/${'é'.repeat(32)}` }),
      [
        `reportingController: Invalid value: "remediator.example.com/${'é'.repeat(32)}": name part must be no more than 63 characters`,
        `reportingController: Invalid value: "remediator.example.com/${'é'.repeat(32)}": ${QUALIFIED_NAME_RULE}`,
      ],
    ],
    ['no reportingInstance', without('reportingInstance'), ['reportingInstance: Required value']],
    [
      'a reportingInstance over 128 characters',
      auditEvent({ reportingInstance: 'i'.repeat(129) }),
      ['reportingInstance: Invalid value: "": can have at most 128 characters'],
    ],
    ['no action', without('action'), ['action: Required value']],
    [
      'an action over 128 characters',
      auditEvent({ action: 'a'.repeat(129) }),
      ['action: Invalid value: "": can have at most 128 characters'],
    ],
    ['no reason', without('reason'), ['reason: Required value']],
    [
      'a reason over 128 characters',
      auditEvent({ reason: 'r'.repeat(129) }),
      ['reason: Invalid value: "": can have at most 128 characters'],
    ],
    [
      'a note over 1024 characters',
      auditEvent({ note: 'n'.repeat(1025) }),
      ['message: Invalid value: "": can have at most 1024 characters'],
    ],
    // The limits are Go's len(): bytes. 342 arrows are 342 characters but 1026 bytes.
    [
      'a note of 342 arrows (1026 bytes)',
      auditEvent({ note: '→'.repeat(342) }),
      ['message: Invalid value: "": can have at most 1024 characters'],
    ],
    [
      'a reason of 65 two-byte characters (130 bytes)',
      auditEvent({ reason: 'é'.repeat(65) }),
      ['reason: Invalid value: "": can have at most 128 characters'],
    ],
    [
      'an action of 33 emoji (132 bytes)',
      auditEvent({ action: '😀'.repeat(33) }),
      ['action: Invalid value: "": can have at most 128 characters'],
    ],
    [
      'a reportingInstance of 43 arrows (129 bytes)',
      auditEvent({ reportingInstance: '→'.repeat(43) }),
      ['reportingInstance: Invalid value: "": can have at most 128 characters'],
    ],
    [
      'deprecatedCount',
      auditEvent({ deprecatedCount: 2 }),
      ['count: Invalid value: "": needs to be unset'],
    ],
    [
      'deprecatedFirstTimestamp',
      auditEvent({ deprecatedFirstTimestamp: '2024-05-01T10:00:00Z' }),
      ['firstTimestamp: Invalid value: "": needs to be unset'],
    ],
    [
      'deprecatedLastTimestamp',
      auditEvent({ deprecatedLastTimestamp: '2024-05-01T10:00:00Z' }),
      ['lastTimestamp: Invalid value: "": needs to be unset'],
    ],
    [
      'deprecatedSource',
      auditEvent({ deprecatedSource: { component: 'x' } }),
      ['source: Invalid value: "": needs to be unset'],
    ],
    [
      'a name that is not a DNS subdomain',
      auditEvent({ metadata: { name: 'Web_Event', namespace: 'ns' } }),
      [
        `metadata.name: Invalid value: "Web_Event": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
      ],
    ],
    [
      'a regarding object without namespace outside default and kube-system',
      auditEvent({ regarding: { apiVersion: 'v1', kind: 'Node', name: 'node1' } }),
      ['involvedObject.namespace: Invalid value: "": does not match event.namespace'],
    ],
  ])('refuses %s with a 422 naming the core field', async (_what, body, errors) => {
    const answer = await post(body);
    expect(answer.status).toBe(422);
    const name = String(body.metadata.name);
    const aggregate = errors.length === 1 ? errors[0] : `[${errors.join(', ')}]`;
    expect(answer.json.message).toBe(`Event "${name}" is invalid: ${aggregate}`);
    expect(answer.json.details.kind).toBe('Event');
    expect(answer.json.details.group).toBeUndefined();
    expect(answer.json.details.causes).toHaveLength(errors.length);
  });

  it('accepts fields at their limits counted in bytes', async () => {
    const answer = await post(
      auditEvent({
        note: `${'→'.repeat(341)}x`,
        reason: 'é'.repeat(64),
        action: '😀'.repeat(32),
        reportingInstance: `${'→'.repeat(42)}xx`,
      }),
    );
    expect(answer.status).toBe(201);
  });

  it('accepts an Event about a Node in the default namespace', async () => {
    const answer = await raw(fake, 'POST', '/apis/events.k8s.io/v1/namespaces/default/events', {
      contentType: 'application/json',
      body: auditEvent({
        metadata: { name: 'node1.1' },
        regarding: { apiVersion: 'v1', kind: 'Node', name: 'node1' },
      }),
    });
    expect(answer.status).toBe(201);
  });
});

describe('core/v1 Events', () => {
  let fake: FakeKube;

  beforeEach(async () => {
    fake = await startFakeKube();
  });

  afterEach(async () => {
    await fake.close();
  });

  function legacyEvent(overrides: Record<string, unknown> = {}): KubeObject {
    return {
      metadata: { name: 'web.1', namespace: 'ns' },
      involvedObject: {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        namespace: 'ns',
        name: 'web',
        uid: 'u-1',
      },
      reason: 'RemediationSucceeded',
      message: 'rolled back',
      type: 'Normal',
      source: { component: 'remediator' },
      firstTimestamp: '2024-05-01T10:00:00Z',
      lastTimestamp: '2024-05-01T10:00:00Z',
      count: 1,
      ...overrides,
    };
  }

  it('creates a legacy Event with timestamps and count', async () => {
    const { core } = clients(fake);
    const created = await core.createNamespacedEvent({ namespace: 'ns', body: legacyEvent() });
    expect(created.count).toBe(1);
    expect(created.source?.component).toBe('remediator');
  });

  it('requires involvedObject.namespace to match when eventTime is unset', async () => {
    const { core } = clients(fake);
    const failure = await apiFailure(
      core.createNamespacedEvent({
        namespace: 'ns',
        body: legacyEvent({
          involvedObject: { kind: 'Deployment', namespace: 'other', name: 'web' },
        }),
      }),
    );
    expect(failure.code).toBe(422);
    expect(failure.body.message).toBe(
      'Event "web.1" is invalid: involvedObject.namespace: Invalid value: "other": does not match event.namespace',
    );
  });

  it('requires reportingComponent, reportingInstance and action once eventTime is set', async () => {
    const answer = await raw(fake, 'POST', PATHS.coreEvents, {
      contentType: 'application/json',
      body: legacyEvent({ eventTime: '2024-05-01T10:00:00.000000Z' }),
    });
    expect(answer.status).toBe(422);
    expect(answer.json.details.causes.map((c: KubeObject) => c.field)).toEqual([
      'reportingComponent',
      'reportingComponent',
      'reportingComponent',
      'reportingInstance',
      'action',
    ]);
  });
});
