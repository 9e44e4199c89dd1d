import nock from 'nock';
import { slackSignature } from '../../src/receivers/slack-signature';
import type { TestServer } from '../support/server';
import {
  alert,
  deliveries,
  events,
  incidentWhen,
  post,
  seedDeployment,
  waitFor,
  withScenario,
  type Scenario,
} from './harness';

/*
 * Slack interactivity: the Slack sink's approval request carries Approve and Deny buttons; a
 * click reaches `POST /slack/interactions` as Slack sends it (a signed form with `payload=<JSON>`
 * of Slack's block_actions shape), and the answer replaces the message through `response_url`,
 * which nock plays here (Slack's hooks.slack.com).
 */

const SECRET = 'e0f1a2b3c4d5e6f708192a3b4c5d6e7f';
const RESPONSE_URL = 'https://hooks.slack.com/actions/T0CAG/1234567890/AbCdEfGhIjKlMnOpQrStUvWx';
const LABELS = { alertname: 'ServiceDown', namespace: 'prod', deployment: 'web' };

const POLICIES = `
severity:
  rules:
    - { level: 1, when: ['alertname="ServiceDown"'] }
sinks:
  chat: { type: slack, url: RECEIVER/slack }
escalation:
  ladders:
    - name: technical
      rungs: [{ who: on-call, sink: chat }]
policies:
  - name: scale-web
    match: ['alertname="ServiceDown"']
    target: { kind: Deployment, namespace: '{{ labels.namespace }}', name: '{{ labels.deployment }}' }
    approval: { minSeverity: 1, timeout: 30m, sinks: [chat] }
    steps:
      - action: scale
        params: { by: 2, max: 10 }
        verify: 10m
`;

/** A block_actions payload as Slack posts it for a click on one of the request's buttons. */
function blockActions(actionId: 'approve' | 'deny', value: string) {
  return {
    type: 'block_actions',
    user: { id: 'U0CA5', username: 'amy.mcgee', name: 'amy.mcgee', team_id: 'T0CAG' },
    api_app_id: 'A0CA5',
    token: 'Shh_its_a_seekrit',
    container: {
      type: 'message',
      message_ts: '1548261231.000200',
      channel_id: 'CBR2V3XEX',
      is_ephemeral: false,
    },
    trigger_id: '12466734323.1395872398',
    team: { id: 'T0CAG', domain: 'acme-creamery' },
    enterprise: null,
    is_enterprise_install: false,
    channel: { id: 'CBR2V3XEX', name: 'incidents' },
    message: { type: 'message', text: 'Approval needed', ts: '1548261231.000200' },
    state: { values: {} },
    response_url: RESPONSE_URL,
    actions: [
      {
        type: 'button',
        block_id: 'remediator-approval',
        action_id: actionId,
        text: {
          type: 'plain_text',
          text: actionId === 'approve' ? 'Approve' : 'Deny',
          emoji: true,
        },
        value,
        style: actionId === 'approve' ? 'primary' : 'danger',
        action_ts: '1548426417.840180',
      },
    ],
  };
}

async function click(
  server: TestServer,
  payload: object,
  options: { secret?: string; timestamp?: string; body?: string } = {},
): Promise<Response> {
  const body = options.body ?? new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
  const timestamp = options.timestamp ?? String(Math.floor(Date.now() / 1000));
  return fetch(`${server.url}/slack/interactions`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': timestamp,
      'x-slack-signature': slackSignature(options.secret ?? SECRET, timestamp, body),
    },
    body,
  });
}

async function awaiting(s: Scenario): Promise<{ server: TestServer; id: number; plan: number }> {
  seedDeployment(s.fake, 'prod', 'web');
  s.policies(POLICIES);
  const server = await s.start({ slackSigningSecret: SECRET });
  const id = await post(server, alert(LABELS).firing());
  const view = await incidentWhen(
    server,
    id,
    (v) => v.plans[0]?.status === 'awaiting_approval',
    'the plan to await approval',
  );
  return { server, id, plan: view.plans[0]!.id };
}

const scaled = (s: Scenario) => s.fake.writes().filter((w) => w.path.endsWith('/scale'));

beforeAll(() => {
  nock.disableNetConnect();
  nock.enableNetConnect('127.0.0.1');
});
afterEach(() => nock.cleanAll());
afterAll(() => {
  nock.enableNetConnect();
  nock.restore();
});

describe('Slack interactivity', () => {
  it('sends the approval request with Approve and Deny buttons naming the plan', async () => {
    await withScenario(async (s) => {
      const { plan } = await awaiting(s);
      await waitFor(() => s.receiver.requests.length > 0, 'the Slack message');
      const [message] = deliveries(s.receiver);
      expect(message?.text).toContain(`Approval needed: plan #${plan} (policy scale-web)`);
      expect(message?.blocks.at(-1)).toEqual({
        type: 'actions',
        block_id: 'remediator-approval',
        elements: [
          {
            type: 'button',
            action_id: 'approve',
            text: { type: 'plain_text', text: 'Approve' },
            value: String(plan),
            style: 'primary',
          },
          {
            type: 'button',
            action_id: 'deny',
            text: { type: 'plain_text', text: 'Deny' },
            value: String(plan),
            style: 'danger',
          },
        ],
      });
    });
  });

  it('approves as the Slack user on a signed click and replaces the message through response_url', async () => {
    await withScenario(async (s) => {
      const { server, id, plan } = await awaiting(s);
      let update: Record<string, any> | undefined;
      const slack = nock('https://hooks.slack.com')
        .post('/actions/T0CAG/1234567890/AbCdEfGhIjKlMnOpQrStUvWx', (body: Record<string, any>) => {
          update = body;
          return true;
        })
        .matchHeader('content-type', 'application/json')
        .reply(200, 'ok');
      const res = await click(server, blockActions('approve', String(plan)));
      expect(res.status).toBe(200);
      expect(await res.text()).toBe('');
      await waitFor(() => slack.isDone(), 'the response_url update');
      expect(update?.replace_original).toBe(true);
      expect(update?.text).toContain(`Approved: plan #${plan} (policy scale-web)`);
      expect(update?.text).toContain('By: slack:amy.mcgee (U0CA5)');
      expect(update?.text).toMatch(/Outcome: applied: /);
      // The buttons are gone from the answered message.
      expect(update?.blocks.some((b: { type: string }) => b.type === 'actions')).toBe(false);
      expect(scaled(s)).toHaveLength(1);
      const view = await incidentWhen(
        server,
        id,
        (v) => v.plans[0]?.approval?.state === 'approved',
        'the approval',
      );
      expect(view.plans[0]?.approval?.by).toBe('slack:amy.mcgee (U0CA5)');
      expect(events(s.fake, 'prod').some((e) => e.reason === 'ApprovalGranted')).toBe(true);
    });
  });

  it('denies on a click of Deny, writes nothing, and tells the clicker of a second click', async () => {
    await withScenario(async (s) => {
      const { server, plan } = await awaiting(s);
      const bodies: Record<string, any>[] = [];
      const slack = nock('https://hooks.slack.com')
        .post(/\/actions\//, (body: Record<string, any>) => {
          bodies.push(body);
          return true;
        })
        .twice()
        .reply(200, 'ok');
      expect((await click(server, blockActions('deny', String(plan)))).status).toBe(200);
      await waitFor(() => bodies.length === 1, 'the denial update');
      expect(bodies[0]?.text).toContain(`Denied: plan #${plan}`);
      // Another click (a new request, so a new signature) on the answered message.
      expect((await click(server, blockActions('approve', String(plan)))).status).toBe(200);
      await waitFor(() => slack.isDone(), 'the conflict reply');
      expect(bodies[1]).toEqual({
        response_type: 'ephemeral',
        replace_original: false,
        text: `Not recorded: plan ${plan} is not awaiting approval (status denied, approval denied by slack:amy.mcgee (U0CA5))`,
      });
      expect(scaled(s)).toEqual([]);
    });
  });

  it('refuses unsigned, stale, replayed and wrongly signed requests before reading them', async () => {
    await withScenario(async (s) => {
      const { server, plan } = await awaiting(s);
      const payload = blockActions('approve', String(plan));
      const wrong = await click(server, payload, { secret: 'not-the-secret' });
      expect(wrong.status).toBe(401);
      expect(await wrong.json()).toEqual({
        error: 'unauthorized',
        message: 'X-Slack-Signature does not match the signing secret',
      });
      const stale = String(Math.floor(Date.now() / 1000) - 6 * 60);
      expect((await click(server, payload, { timestamp: stale })).status).toBe(401);
      const unsigned = await fetch(`${server.url}/slack/interactions`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'payload={}',
      });
      expect(unsigned.status).toBe(401);
      // A genuine request replayed: the first is taken, the copy refused.
      nock('https://hooks.slack.com').post(/.*/).reply(200, 'ok');
      const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
      const timestamp = String(Math.floor(Date.now() / 1000));
      expect((await click(server, payload, { body, timestamp })).status).toBe(200);
      const replay = await click(server, payload, { body, timestamp });
      expect(replay.status).toBe(401);
      expect(((await replay.json()) as { message: string }).message).toContain('already used');
    });
  });

  it('answers 400 for signed payloads that are not an Approve or Deny click, and 415 for JSON', async () => {
    await withScenario(async (s) => {
      const { server, plan } = await awaiting(s);
      const cases: [object, string][] = [
        [
          { ...blockActions('approve', String(plan)), type: 'view_submission' },
          'only block_actions',
        ],
        [blockActions('approve', '1; DROP'), 'must be a plan id'],
        [
          { ...blockActions('approve', String(plan)), response_url: 'https://evil.example/x' },
          'on slack.com',
        ],
        [
          { ...blockActions('approve', String(plan)), response_url: 'http://hooks.slack.com/x' },
          'on slack.com',
        ],
        [{ ...blockActions('approve', String(plan)), user: { id: 'u<script>' } }, 'Slack user id'],
      ];
      for (const [payload, message] of cases) {
        const res = await click(server, payload);
        expect(res.status).toBe(400);
        expect(((await res.json()) as { message: string }).message).toContain(message);
      }
      const json = await fetch(`${server.url}/slack/interactions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      });
      expect(json.status).toBe(415);
      expect(scaled(s)).toEqual([]);
    });
  });

  it('is off, with a 404 that says what to set, without a signing secret', async () => {
    await withScenario(async (s) => {
      s.policies('policies: []');
      const server = await s.start();
      const res = await click(server, blockActions('approve', '1'));
      expect(res.status).toBe(404);
      expect(((await res.json()) as { message: string }).message).toContain(
        'REMEDIATOR_SLACK_SIGNING_SECRET_FILE',
      );
    });
  });
});
