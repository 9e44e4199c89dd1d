import Database from 'better-sqlite3';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { checkWebhookPayload, type WebhookPayload } from '../../src/alertmanager/payload';
import { cleanEnv, startCli } from '../support/cli';
import { fixture, FIXTURE_TOKEN } from '../support/fixtures';
import { tempDir } from '../support/server';

/** One policy that plans for every firing alert: a plan per alert instance, once. */
const POLICIES = `
sinks:
  log: { type: webhook, url: 'http://127.0.0.1:9/hook' }
policies:
  - name: tell
    match: ['alertname!=""']
    steps: [{ action: notify, params: { sink: log } }]
`;

const AUTH = { Authorization: `Bearer ${FIXTURE_TOKEN}`, 'Content-Type': 'application/json' };

/** Notification `n`: a group of its own with one alert of its own. */
function notification(n: number): WebhookPayload {
  const payload = fixture('am-api-single-firing-bearer');
  payload.groupKey = `{}:{crash="${n}"}`;
  payload.groupLabels = { crash: String(n) };
  payload.alerts = payload.alerts.map((a) => ({
    ...a,
    labels: { ...a.labels, crash: String(n) },
    fingerprint: n.toString(16).padStart(16, '0'),
  }));
  const check = checkWebhookPayload(payload);
  if (!check.ok) throw new Error(check.message);
  return check.payload;
}

describe('the notification log across SIGKILL', () => {
  it('applies every answered notification exactly once after a kill at any point, however many', async () => {
    const dir = tempDir();
    const policies = join(dir.path, 'policies.yaml');
    writeFileSync(policies, POLICIES);
    const args = ['--data-dir', join(dir.path, 'data'), '--policies', policies];
    const env = cleanEnv({ REMEDIATOR_WEBHOOK_TOKEN: FIXTURE_TOKEN });
    const answered: number[] = [];
    let next = 0;
    try {
      // Each round sends notifications as fast as it can and kills the process after a different
      // delay: before, during and after the projection of what it answered.
      for (const killAfterMs of [5, 40, 120, 300]) {
        const server = await startCli(args, env);
        let sending = true;
        const sender = async (): Promise<void> => {
          while (sending) {
            const n = next++;
            try {
              const res = await request(server.url)
                .post('/webhook')
                .set(AUTH)
                .send(notification(n));
              if (res.status === 200) answered.push(n);
            } catch {
              return; // The process is gone: this one was never answered.
            }
          }
        };
        const senders = Array.from({ length: 8 }, sender);
        await new Promise((resolve) => setTimeout(resolve, killAfterMs));
        await server.stop('SIGKILL');
        sending = false;
        await Promise.all(senders);
      }
      const server = await startCli(args, env);
      try {
        const deadline = Date.now() + 20_000;
        for (;;) {
          const ready = await request(server.url).get('/readyz');
          if (String(ready.body.checks?.log?.detail).startsWith('0 ')) break;
          if (Date.now() > deadline) throw new Error(`not applied: ${JSON.stringify(ready.body)}`);
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      } finally {
        await server.stop('SIGTERM');
      }
      expect(answered.length).toBeGreaterThan(20);
      const db = new Database(join(dir.path, 'data', 'journal.db'), { readonly: true });
      try {
        const count = (sql: string): number => (db.prepare(sql).get() as { n: number }).n;
        // Every answered notification is in its incident; nothing is there twice.
        const groups = new Set(
          (db.prepare('SELECT group_key FROM incidents').all() as { group_key: string }[]).map(
            (r) => r.group_key,
          ),
        );
        expect(answered.filter((n) => !groups.has(`{}:{crash="${n}"}`))).toEqual([]);
        expect(count('SELECT count(*) AS n FROM incidents')).toBe(groups.size);
        expect(count('SELECT count(*) AS n FROM alerts')).toBe(groups.size);
        expect(count('SELECT count(*) AS n FROM plans')).toBe(groups.size);
        expect(count("SELECT count(*) AS n FROM timeline WHERE kind = 'opened'")).toBe(groups.size);
        // What was logged and not answered (killed before the answer left) may be applied too.
        expect(groups.size).toBeLessThanOrEqual(count('SELECT count(*) AS n FROM notifications'));
        expect(
          count("SELECT CAST(value AS INTEGER) AS n FROM settings WHERE key = 'log_applied_seq'"),
        ).toBe(count('SELECT max(seq) AS n FROM notifications'));
      } finally {
        db.close();
      }
    } finally {
      dir.remove();
    }
  }, 60_000);
});
