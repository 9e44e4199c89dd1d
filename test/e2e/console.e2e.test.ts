import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { HEART_DISEASE_API, phase, WEBHOOK_TOKEN, type ServiceSpec } from './support';
import { startBrowser, type Browser } from './support/browser';
import { injected, postAlerts, resolvedNow, type InjectedAlert } from './support/injected-alerts';
import { stackForFile } from './support/suite';

/*
 * The console in a real browser (Debian's Chromium, driven by playwright-core) against the whole
 * stack: alerts go through Prometheus or Alertmanager's API to remediator, and the pages must
 * follow without a reload. A label value carrying HTML must show as text; the status page must
 * show the affected component degraded, then operational; the pause must show on every page.
 *
 * E2E_SCREENSHOTS=1 writes the screenshots in docs/ (console-*.png) on the way.
 */

const HOSTILE = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>';
const CHECKOUT: InjectedAlert = injected(
  {
    alertname: 'CheckoutSlow',
    severity: 'warning',
    namespace: 'shop',
    service: 'checkout',
    note: HOSTILE,
  },
  { summary: 'Checkout answers slowly', public_summary: 'Some payments take longer than usual' },
);
const { name } = HEART_DISEASE_API;
const SLOW = 1.6;
const FAST = 0.12;
const SCREENSHOTS = process.env.E2E_SCREENSHOTS === '1';
const DOCS = join(__dirname, '..', '..', 'docs');

/** A second service, taken down for the Approvals page: its Sev1 rollback waits for a human. */
const RISK: ServiceSpec = {
  namespace: 'prod',
  name: 'risk-score-api',
  replicas: 2,
  revisions: [
    { image: 'registry.example/risk-score-api:2.0.0', modelVersion: '7', ageSeconds: 3 * 86_400 },
    { image: 'registry.example/risk-score-api:2.0.1', modelVersion: '7', ageSeconds: 15 },
  ],
};

const started = stackForFile({
  name: 'console',
  extraServices: [RISK],
  policies: {
    approvals: true,
    transform: (doc) => {
      const status = doc.status as { components: unknown[]; publicAnnotations?: string[] };
      status.components.push({ name: 'Checkout', match: ['service="checkout"'] });
      status.publicAnnotations = ['public_summary'];
    },
  },
});

let browser: Browser | undefined;
const pages: Record<string, Page> = {};
let checkoutId = 0;
let latencyId = 0;

beforeAll(async () => {
  browser = await phase('starting Chromium', () => startBrowser());
}, 60_000);
afterAll(async () => {
  await browser?.close();
}, 30_000);

async function screenshot(page: Page, file: string): Promise<void> {
  if (!SCREENSHOTS) return;
  mkdirSync(DOCS, { recursive: true });
  await page.screenshot({ path: join(DOCS, file) });
}

/** The text of the header's pause indicator, as every console page shows it. */
const pauseState = (page: Page) =>
  page.locator('[data-pause-state]').getAttribute('data-pause-state');

describe('the console in a browser', () => {
  it('updates the incident list live when Alertmanager posts', async () => {
    const s = started();
    const list = (pages.list = await browser!.newPage());
    await list.goto(`${s.remediator.url}/`);
    await list.locator('.live-state.live').waitFor({ timeout: 10_000 });
    await list.getByText('No incidents.').waitFor({ timeout: 5000 });
    // Set in this document: a reload would lose it.
    await list.evaluate(() => {
      (globalThis as unknown as { sameDocument: boolean }).sameDocument = true;
    });

    s.step('injecting CheckoutSlow (severity=warning, a label value with HTML) into Alertmanager');
    await postAlerts(s.alertmanager, [CHECKOUT]);
    const row = list.locator('tr[data-incident]', { hasText: 'CheckoutSlow' });
    await row.waitFor({ timeout: 20_000 });
    checkoutId = Number(await row.getAttribute('data-incident'));
    expect(checkoutId).toBeGreaterThan(0);
    await expect(row.locator('.sev').textContent()).resolves.toBe('Sev3');
    await expect(row.textContent()).resolves.toContain('service checkout');
    expect(
      await list.evaluate(() => (globalThis as unknown as { sameDocument?: boolean }).sameDocument),
    ).toBe(true);
  });

  it('shows a label value with HTML as text on the incident page, at its stable URL, reached by keyboard', async () => {
    const s = started();
    const list = pages.list!;
    // By keyboard alone: Tab to the incident's link, Enter.
    const link = list.locator(`tr[data-incident="${checkoutId}"] a`);
    for (
      let i = 0;
      i < 30 && !(await link.evaluate((a) => a === a.ownerDocument.activeElement));
      i++
    )
      await list.keyboard.press('Tab');
    await list.keyboard.press('Enter');
    await list.waitForURL(`${s.remediator.url}/incidents/${checkoutId}`);
    const value = list.locator('.alerts .label-value', { hasText: 'onerror' });
    await value.waitFor({ timeout: 10_000 });
    expect(await value.textContent()).toBe(HOSTILE);
    expect(await list.locator('main img, main script').count()).toBe(0);
    expect(
      await list.evaluate(() => (globalThis as unknown as { __xss?: number }).__xss),
    ).toBeUndefined();
    // The same page from its URL alone, as a shared link opens it.
    const shared = await browser!.newPage();
    await shared.goto(`${s.remediator.url}/incidents/${checkoutId}`);
    await shared.locator('h1', { hasText: 'CheckoutSlow' }).waitFor({ timeout: 10_000 });
    await shared.close();
  });

  it('shows the timeline of a remediation as it happens, with who or what did each thing', async () => {
    const s = started();
    const list = pages.list!;
    await list.goto(`${s.remediator.url}/`);
    s.step(`sim: every request now takes ${SLOW} s: HighLatency → Sev1 → scale`);
    s.sim.setLatency(SLOW);
    const row = list.locator('tr[data-incident]', { hasText: 'HighLatency' });
    await row.waitFor({ timeout: 30_000 });
    latencyId = Number(await row.getAttribute('data-incident'));
    await row.locator('a').click();
    const timeline = list.locator('ol.timeline');
    const scaled = timeline.locator('li', {
      hasText: /Step 1\/2 scale on Deployment prod\/heart-disease-api/,
    });
    await scaled.waitFor({ timeout: 20_000 });
    expect(await scaled.locator('.actor').textContent()).toBe('remediator');
    const opened = timeline.locator('li.entry-opened');
    expect(await opened.locator('.actor').textContent()).toBe('Alertmanager');
    expect(await opened.locator('.message').textContent()).toContain(`deployment="${name}"`);
    await list.locator('.activity-verifying').first().waitFor({ timeout: 10_000 });
    await list.getByText('The exact change').first().waitFor();
    await screenshot(list, 'console-incident.png');
    await list.goto(`${s.remediator.url}/`);
    await list.locator('tr[data-incident]').nth(1).waitFor();
    await screenshot(list, 'console-incidents.png');
  });

  it('shows the status page with the affected components degraded or down, then operational', async () => {
    const s = started();
    const status = (pages.status = await browser!.newPage());
    await status.goto(`${s.remediator.url}/status`);
    const checkout = status.locator('[data-component="Checkout"]');
    const api = status.locator('[data-component="Prediction API"]');
    await checkout.getByText('Degraded').waitFor({ timeout: 15_000 });
    await api.getByText('Outage').waitFor({ timeout: 15_000 });
    await status.getByText('Some payments take longer than usual').waitFor();
    const text = (await status.locator('main').textContent()) ?? '';
    for (const internal of ['CheckoutSlow', 'onerror', 'heart-disease-api', 'shop'])
      expect(text).not.toContain(internal);
    await screenshot(status, 'console-status.png');

    s.step('resolving CheckoutSlow; sim latency back to normal');
    await postAlerts(s.alertmanager, resolvedNow([CHECKOUT]));
    s.sim.setLatency(FAST);
    // The page reads its endpoint again every 10 s, by itself.
    await checkout.getByText('Operational').waitFor({ timeout: 40_000 });
    await api.getByText('Operational').waitFor({ timeout: 40_000 });
    await status.getByText('All systems operational').waitFor();
  });

  it('shows the pause on every page, live, once signed in with the webhook token', async () => {
    const s = started();
    const incident = (pages.incident = await browser!.newPage());
    await incident.goto(`${s.remediator.url}/incidents/${latencyId}`);
    const controls = (pages.controls = await browser!.newPage());
    await controls.goto(`${s.remediator.url}/controls`);
    await controls.locator('.live-state.live').waitFor({ timeout: 10_000 });
    expect(await pauseState(incident)).toBe('running');
    await expect(
      controls.getByRole('button', { name: 'Pause remediation' }).isDisabled(),
    ).resolves.toBe(true);

    await controls.getByLabel('Bearer token').fill(WEBHOOK_TOKEN);
    await controls.getByLabel('Your name (for the timeline)').fill('Ann');
    await controls.getByRole('button', { name: 'Sign in' }).click();
    await controls.getByText('Signed in: Ann').waitFor({ timeout: 5000 });
    const cookies = await browser!.context.cookies(s.remediator.url);
    expect(cookies).toEqual([
      expect.objectContaining({ name: 'remediator_session', httpOnly: true, sameSite: 'Strict' }),
    ]);
    expect(cookies[0]?.value).not.toContain(WEBHOOK_TOKEN);

    await controls.getByRole('button', { name: 'Pause remediation' }).click();
    for (const page of [controls, incident, pages.list!]) {
      await page.locator('[data-pause-state="paused"]').waitFor({ timeout: 5000 });
      expect(await page.locator('.pause-state').textContent()).toBe('Remediation PAUSED');
    }
    expect(await s.remediator.getJson('/api/v1/pause')).toEqual({ paused: true });
    await screenshot(controls, 'console-controls.png');

    await controls.getByRole('button', { name: 'Resume remediation' }).click();
    for (const page of [controls, incident, pages.list!])
      await page.locator('[data-pause-state="running"]').waitFor({ timeout: 5000 });
    expect(await s.remediator.getJson('/api/v1/pause')).toEqual({ paused: false });
  });

  it('shows the plan for a pasted payload, and the policies in force without sink URLs', async () => {
    const controls = pages.controls!;
    await controls.getByRole('button', { name: 'Show the plan' }).click();
    await controls
      .locator('.preview', { hasText: 'performance-degradation' })
      .waitFor({ timeout: 5000 });
    const yaml = (await controls.locator('pre.yaml').textContent()) ?? '';
    expect(yaml).toContain('name: performance-degradation');
    expect(yaml).not.toContain('/sinks/');
  });

  it('lists a plan awaiting approval, and Approve makes the fake API server receive the write', async () => {
    const s = started();
    const approvals = (pages.approvals = await browser!.newPage());
    await approvals.goto(`${s.remediator.url}/approvals`);
    await approvals.getByText('No plan is waiting for approval.').waitFor({ timeout: 10_000 });
    s.step(`sim: ${RISK.name} stops answering → ServiceDown (Sev1) → rollback awaits approval`);
    s.sims[RISK.name]?.setDown(true);
    const request = approvals.locator('article.approval', { hasText: 'service-disruption' });
    await request.waitFor({ timeout: 30_000 });
    expect(await request.textContent()).toContain(`rollback on Deployment prod/${RISK.name}`);
    const writes = () =>
      s.kube
        .writes()
        .filter((w) => w.method === 'PATCH' && w.path.endsWith(`/deployments/${RISK.name}`));
    expect(writes()).toEqual([]);
    await screenshot(approvals, 'console-approvals.png');

    // Signed in on the Controls page (the session cookie is the browser's): the buttons are live.
    const approve = request.getByRole('button', { name: 'Approve' });
    expect(await request.getByRole('button', { name: 'Deny' }).isEnabled()).toBe(true);
    await request.getByLabel('Comment').fill('IC approves the rollback');
    await approve.click();
    await approvals
      .getByRole('status')
      .filter({ hasText: /approved by Ann \(console\): applied: rolled back/ })
      .waitFor({ timeout: 15_000 });
    expect(writes()).toHaveLength(1);
    await approvals.getByText('No plan is waiting for approval.').waitFor({ timeout: 5000 });
    const incident = await s.incident(
      (i) => i.plans.some((p) => p.approval?.state === 'approved'),
      'the approval in the journal',
      5000,
    );
    const plan = incident.plans.find((p) => p.approval !== null);
    expect(plan?.approval).toMatchObject({
      by: 'Ann (console)',
      comment: 'IC approves the rollback',
    });
  });

  it('logged no error in any tab: no script error, no Content-Security-Policy violation', () => {
    expect(browser!.errors).toEqual([]);
  });
});
