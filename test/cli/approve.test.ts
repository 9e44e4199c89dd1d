import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { approveCommand } from '../../src/cli/approve';
import type { CommandIo } from '../../src/cli/command';
import { FIXTURE_TOKEN } from '../support/fixtures';
import { CLI, cleanEnv } from '../support/cli';
import type { TestServer } from '../support/server';
import {
  alert,
  incidentWhen,
  post,
  seedDeployment,
  withScenario,
  type Scenario,
} from '../scenarios/harness';

/*
 * `remediator approve PLAN` and `remediator deny PLAN` against a running server: the API's write
 * credentials from the server's own variables, `--by`, `--comment`, `--url`, and the exit codes.
 */

const POLICIES = `
severity:
  rules:
    - { level: 1, when: ['alertname="ServiceDown"'] }
sinks:
  oncall: { type: webhook, url: RECEIVER/oncall }
policies:
  - name: scale-web
    match: ['alertname="ServiceDown"']
    target: { kind: Deployment, namespace: prod, name: web }
    approval: { timeout: 30m, sinks: [oncall] }
    steps:
      - action: scale
        params: { by: 2, max: 10 }
        verify: 10m
`;

function memoryIo(): CommandIo & { stdout: string; stderr: string } {
  const io = {
    stdout: '',
    stderr: '',
    out: (text: string) => {
      io.stdout += text;
    },
    err: (text: string) => {
      io.stderr += text;
    },
  };
  return io;
}

async function awaiting(s: Scenario): Promise<{ server: TestServer; plan: number; id: number }> {
  seedDeployment(s.fake, 'prod', 'web');
  s.policies(POLICIES);
  const server = await s.start();
  const id = await post(server, alert({ alertname: 'ServiceDown' }).firing());
  const view = await incidentWhen(
    server,
    id,
    (v) => v.plans[0]?.status === 'awaiting_approval',
    'the plan to await approval',
  );
  return { server, plan: view.plans[0]!.id, id };
}

const noFile = (path: string): string => {
  throw Object.assign(new Error(`no ${path}`), { code: 'ENOENT' });
};

describe('remediator approve and deny', () => {
  it('approves with the token from REMEDIATOR_WEBHOOK_TOKEN_FILE and prints what the step did', async () => {
    await withScenario(async (s) => {
      const { server, plan, id } = await awaiting(s);
      const io = memoryIo();
      const code = await approveCommand(
        'approve',
        [String(plan), '--by', 'carol', '--comment', 'IC approves', '--url', server.url],
        io,
        {
          env: { REMEDIATOR_WEBHOOK_TOKEN_FILE: '/run/secrets/token' },
          readFile: (path) => (path === '/run/secrets/token' ? `${FIXTURE_TOKEN}\n` : noFile(path)),
        },
      );
      expect(io.stderr).toBe('');
      expect(code).toBe(0);
      expect(io.stdout).toMatch(
        new RegExp(`^plan ${plan} approved by carol \\(status running\\); applied: `),
      );
      const view = await incidentWhen(
        server,
        id,
        (v) => v.plans[0]?.approval?.state === 'approved',
        'the approval',
      );
      expect(view.plans[0]?.approval).toMatchObject({ by: 'carol', comment: 'IC approves' });
    });
  });

  it("exits 1 with the server's reason for a plan not awaiting approval or wrong credentials", async () => {
    await withScenario(async (s) => {
      const { server, plan } = await awaiting(s);
      const env = { REMEDIATOR_WEBHOOK_TOKEN: FIXTURE_TOKEN, USER: 'dave' };
      const denied = memoryIo();
      expect(
        await approveCommand('deny', [String(plan), '--url', server.url], denied, {
          env,
          readFile: noFile,
        }),
      ).toBe(0);
      expect(denied.stdout).toBe(`plan ${plan} denied by dave (status denied)\n`);
      const again = memoryIo();
      expect(
        await approveCommand('approve', [String(plan), '--url', server.url], again, {
          env,
          readFile: noFile,
        }),
      ).toBe(1);
      expect(again.stderr).toBe(
        `remediator approve: 409: plan ${plan} is not awaiting approval (status denied, approval denied by dave)\n`,
      );
      const wrong = memoryIo();
      expect(
        await approveCommand('approve', [String(plan), '--url', server.url], wrong, {
          env: { REMEDIATOR_WEBHOOK_TOKEN: 'not-it', USER: 'dave' },
          readFile: noFile,
        }),
      ).toBe(1);
      expect(wrong.stderr).toBe('remediator approve: 401: wrong bearer token\n');
    });
  });

  it.each([
    [['x'], 'give one plan id'],
    [['1', '2'], 'give one plan id'],
    [['1'], 'say who answers with --by NAME'],
    [['1', '--by', 'a', '--url', 'http://u:p@127.0.0.1:1'], 'no credentials in it'],
    [['1', '--by', 'a', '--nope'], "Unknown option '--nope'"],
  ])('refuses %j as a usage error', async (argv, message) => {
    const io = memoryIo();
    expect(await approveCommand('approve', argv, io, { env: {}, readFile: noFile })).toBe(2);
    expect(io.stderr).toContain(message);
  });

  it('is dispatched by the built remediator command', async () => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build`);
    await withScenario(async (s) => {
      const { server, plan } = await awaiting(s);
      const { stdout } = await promisify(execFile)(
        process.execPath,
        [CLI, 'approve', String(plan), '--by', 'erin', '--url', server.url],
        { env: cleanEnv({ REMEDIATOR_WEBHOOK_TOKEN: FIXTURE_TOKEN }), timeout: 30_000 },
      );
      expect(stdout).toMatch(new RegExp(`^plan ${plan} approved by erin`));
    });
  });
});
