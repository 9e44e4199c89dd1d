import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { parse } from 'yaml';
import { WEBHOOK_PATH } from '../../src/app';
import { one, read, renderKustomization, ROOT } from './manifests';

/*
 * deploy/alertmanager/alertmanager.yml, the receiver for an Alertmanager run without the
 * Prometheus Operator: valid for the real Alertmanager 0.25 (amtool), and saying the same as the
 * AlertmanagerConfig and the README.
 */

const FILE = 'deploy/alertmanager/alertmanager.yml';
const AMTOOL_MISSING =
  'amtool is not installed: apt-get install prometheus-alertmanager; .ci/run installs it';
const AMTOOL_TIMEOUT_MS = 30_000;

const config = parse(read(FILE));
const objects = renderKustomization();
const alertmanagerConfig = one(objects, 'AlertmanagerConfig');
const receiverOf = (routeReceiver: string) =>
  config.receivers.find((r: { name: string }) => r.name === routeReceiver);
const route = config.route.routes.find((r: { receiver: string }) =>
  receiverOf(r.receiver)?.webhook_configs?.some((w: { url: string }) =>
    w.url.endsWith(WEBHOOK_PATH),
  ),
);
const webhook = receiverOf(route.receiver).webhook_configs[0];

describe('deploy/alertmanager/alertmanager.yml', () => {
  it('passes amtool check-config', () => {
    let output: string;
    try {
      output = execFileSync('amtool', ['check-config', join(ROOT, FILE)], {
        encoding: 'utf8',
        timeout: AMTOOL_TIMEOUT_MS,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    } catch (err) {
      const e = err as NodeJS.ErrnoException & { stdout?: string; stderr?: string };
      if (e.code === 'ENOENT') throw new Error(AMTOOL_MISSING);
      throw new Error(`amtool check-config ${FILE} failed:\n${e.stdout ?? ''}${e.stderr ?? ''}`);
    }
    expect(output).toContain('SUCCESS');
  });

  it('routes to remediator with continue, so the routes after it still get every alert', () => {
    expect(route.continue).toBe(true);
    expect(config.route.routes.indexOf(route)).toBe(0);
  });

  it('sends what the AlertmanagerConfig sends: same URL, resolved notices, every alert, a bearer token', () => {
    const [amcWebhook] = alertmanagerConfig.spec.receivers[0].webhookConfigs;
    expect(webhook.url).toBe(amcWebhook.url);
    expect(webhook.send_resolved).toBe(true);
    expect(webhook.max_alerts).toBe(0);
    expect(webhook.http_config.authorization).toEqual({
      type: 'Bearer',
      credentials_file: expect.stringMatching(/^\//),
    });
    expect(config.route.group_by).toEqual(alertmanagerConfig.spec.route.groupBy);
  });

  it('posts where the README says Alertmanager should', () => {
    const readme = read('README.md');
    expect(readme).toContain(`- url: ${webhook.url}`);
  });
});
