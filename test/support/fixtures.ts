import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { WebhookPayload } from '../../src/alertmanager/payload';

/** Webhook bodies captured from a real Alertmanager 0.25 (see test/fixtures/alertmanager/README.md). */
export const FIXTURE_NAMES = [
  'am-api-single-firing-bearer',
  'am-api-single-resolved',
  'am-api-group-3-alerts-firing',
  'am-api-group-all-resolved',
  'amtool-single-firing',
] as const;
export type FixtureName = (typeof FIXTURE_NAMES)[number];

const DIR = join(__dirname, '..', 'fixtures', 'alertmanager');

/** The body exactly as Alertmanager sent it (pretty-printed on disk). */
export function fixtureText(name: FixtureName): string {
  return readFileSync(join(DIR, `${name}.json`), 'utf8');
}

/** A fresh parsed copy each call, so tests can mutate it. */
export function fixture(name: FixtureName): WebhookPayload {
  return JSON.parse(fixtureText(name)) as WebhookPayload;
}

/** The captured request headers (the bearer token Alertmanager was configured with included). */
export function fixtureHeaders(name: FixtureName): Record<string, string> {
  const captured = JSON.parse(readFileSync(join(DIR, `${name}.headers.json`), 'utf8')) as {
    headers: Record<string, string>;
  };
  return captured.headers;
}

/** The token the fixtures were captured with. */
export const FIXTURE_TOKEN = 's3cr3t-test-token';
