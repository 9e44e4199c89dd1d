/**
 * The console's pages: one HTML shell for every page (the front end, built from src/console by
 * `npm run build` into dist/console, routes in the browser) and the bundle's files. Nothing from an
 * alert is ever in the HTML: the front end fetches JSON and renders it as text.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import express from 'express';

/** The pages the front end routes; each gets the shell. Issue 13's approvals add one here. */
export const CONSOLE_PAGES = [
  '/',
  '/incidents/:incident',
  '/approvals',
  '/controls',
  '/status',
] as const;

/**
 * Scripts and styles only from this server, no inline script or style, nothing framed, no
 * `<base>`, forms posting only here, no plugins; the front end talks only to this origin.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Headers on every answer but the webhook's. */
export function securityHeaders(
  _req: express.Request,
  res: express.Response,
  next: express.NextFunction,
): void {
  res.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('X-Frame-Options', 'DENY');
  // Links out (Alertmanager, Prometheus) do not tell which incident they were followed from.
  res.setHeader('Referrer-Policy', 'no-referrer');
  next();
}

const SHELL = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>remediator</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/console/style.css">
<script type="module" src="/console/main.js"></script>
</head>
<body>
<div id="app"></div>
<noscript>The remediator console needs JavaScript. The same data is in the JSON API: /api/v1/incidents.</noscript>
</body>
</html>
`;

/** Where `npm run build` puts the front end, from dist/api/ (or src/api/ under the tests). */
export const DEFAULT_CONSOLE_DIR = join(__dirname, '..', '..', 'dist', 'console');

export function consoleRoutes(app: express.Express, dir: string): void {
  const shell = (_req: express.Request, res: express.Response): void => {
    if (!existsSync(join(dir, 'main.js'))) {
      res.status(503).json({
        error: 'console_not_built',
        message: `the console is not built (no ${join(dir, 'main.js')}): run npm run build`,
      });
      return;
    }
    res.setHeader('Cache-Control', 'no-cache');
    res.type('html').send(SHELL);
  };
  for (const page of CONSOLE_PAGES) app.get(page, shell);
  app.use(
    '/console',
    express.static(dir, {
      index: false,
      redirect: false,
      dotfiles: 'deny',
      // The file names do not change between builds: revalidate each time (ETag, Last-Modified).
      cacheControl: true,
      maxAge: 0,
    }),
  );
}
