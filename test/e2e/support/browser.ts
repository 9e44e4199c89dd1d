import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

/** Debian's Chromium (`apt-get install chromium`; .ci/run installs it). */
export const CHROMIUM = '/usr/bin/chromium';

/**
 * Flags for a headless Chromium in a container and in CI: no sandbox (root in a container), no
 * GPU, and none of the background traffic (updates, sync, QUIC probes) a test must not depend on.
 */
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface Browser {
  readonly context: BrowserContext;
  /** A new tab, at 1280×800 unless the context was made otherwise. */
  newPage(): Promise<Page>;
  /** Uncaught exceptions and console errors of every tab (a CSP violation is one). */
  readonly errors: string[];
  close(): Promise<void>;
}

/**
 * Debian's Chromium driven by playwright-core (Playwright's own browser builds are not
 * downloaded), with a fresh profile in a temporary directory, removed at `close()`.
 */
export async function startBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is not installed: apt-get install chromium (.ci/run does)`);
  }
  const profile = mkdtempSync(join(tmpdir(), 'remediator-e2e-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    viewport: { width: 1280, height: 800 },
  });
  const errors: string[] = [];
  const watch = (page: Page): void => {
    page.on('pageerror', (error) => errors.push(`${page.url()}: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(`${page.url()}: ${message.text()}`);
    });
  };
  context.on('page', watch);
  for (const page of context.pages()) watch(page);
  return {
    context,
    newPage: () => context.newPage(),
    errors,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
