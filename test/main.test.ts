import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { SERVE_OPTIONS } from '../src/config';
import { cleanEnv, runCli, startCli } from './support/cli';
import { fixtureHeaders, FIXTURE_NAMES, fixtureText, FIXTURE_TOKEN } from './support/fixtures';
import { tempDir } from './support/server';

describe('the remediator command', () => {
  it('prints its usage with --help and exits 0', () => {
    const { code, stdout } = runCli(['--help']);
    expect(code).toBe(0);
    expect(stdout).toContain('remediator serve [options]');
  });

  it('exits 2 with its usage when no command is given, or an unknown one', () => {
    expect(runCli([]).code).toBe(2);
    const unknown = runCli(['serv']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown command "serv"');
  });

  it('documents every serve option and its environment variable in serve --help', () => {
    const { code, stdout } = runCli(['serve', '--help']);
    expect(code).toBe(0);
    for (const option of SERVE_OPTIONS) {
      expect(stdout).toContain(option.env);
      if (option.flag !== undefined) expect(stdout).toContain(`--${option.flag}`);
    }
  });

  it('refuses bad configuration with exit code 2 and the reason', () => {
    const bad = runCli(['serve', '--prot', '1']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("Unknown option '--prot'");
    const env = runCli(['serve'], cleanEnv({ REMEDIATOR_PORT: 'ninety' }));
    expect(env.code).toBe(2);
    expect(env.stderr).toContain('REMEDIATOR_PORT: "ninety" is not an integer from 0 to 65535');
  });

  it('serves the captured fixtures, announces dry-run mode, and stops cleanly on SIGTERM', async () => {
    const dir = tempDir();
    const server = await startCli(
      ['--data-dir', dir.path, '--policies', 'deploy/k8s/policies'],
      cleanEnv({ REMEDIATOR_WEBHOOK_TOKEN: FIXTURE_TOKEN }),
    );
    try {
      expect(server.lines[0]).toMatchObject({
        level: 'warn',
        message: expect.stringContaining('running in dry-run mode'),
      });
      const answers: Record<string, unknown> = {};
      for (const name of FIXTURE_NAMES) {
        const headers = fixtureHeaders(name);
        const res = await request(server.url)
          .post('/webhook')
          .set({ Authorization: headers.authorization!, 'Content-Type': headers['content-type']! })
          .send(fixtureText(name));
        answers[name] = [res.status, res.body];
      }
      expect(answers).toEqual({
        'am-api-single-firing-bearer': [200, { status: 'accepted', notification: 1 }],
        'am-api-single-resolved': [200, { status: 'accepted', notification: 2 }],
        'am-api-group-3-alerts-firing': [200, { status: 'accepted', notification: 3 }],
        'am-api-group-all-resolved': [200, { status: 'accepted', notification: 4 }],
        'amtool-single-firing': [200, { status: 'accepted', notification: 5 }],
      });
      // The log is applied in the background: its backlog says when it is done.
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline) {
        const ready = await request(server.url).get('/readyz');
        if (String(ready.body.checks?.log?.detail).startsWith('0 ')) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const incidents = await request(server.url).get('/api/v1/incidents').expect(200);
      expect(
        incidents.body.incidents.map((i: { id: number; status: string; severity: string }) => [
          i.id,
          i.status,
          i.severity,
        ]),
      ).toEqual([
        [3, 'identified', 'Sev2'],
        [2, 'resolved', 'Sev1'],
        [1, 'resolved', 'Sev1'],
      ]);
      expect(JSON.stringify(server.lines)).not.toContain(FIXTURE_TOKEN);
    } finally {
      expect(await server.stop('SIGTERM')).toBe(0);
      dir.remove();
    }
    expect(server.lines.at(-1)).toMatchObject({ message: 'remediator stopped' });
  });

  it('reloads its policies on SIGHUP', async () => {
    const dir = tempDir();
    const file = join(dir.path, 'policies.yaml');
    writeFileSync(file, readFileSync('deploy/k8s/policies/runbook.yaml', 'utf8'));
    const server = await startCli(['--data-dir', join(dir.path, 'data'), '--policies', file]);
    try {
      // `policies: []` says on purpose that no policy is left (an empty file would be refused).
      writeFileSync(file, 'severity:\n  default: 3\npolicies: []\n');
      server.child.kill('SIGHUP');
      const deadline = Date.now() + 10_000;
      while (
        !server.lines.some((l) => l.message === 'policies reloaded') &&
        Date.now() < deadline
      ) {
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(server.lines).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ message: 'reloading policies', signal: 'SIGHUP' }),
          expect.objectContaining({ message: 'policies reloaded', policies: 0 }),
        ]),
      );
    } finally {
      await server.stop();
      dir.remove();
    }
  });
});
