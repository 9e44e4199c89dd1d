import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { CONTENT_SECURITY_POLICY } from '../../src/api/console';
import { startServer, tempDir, type TestServer } from '../support/server';

describe('the console pages on remediator serve', () => {
  let dir: ReturnType<typeof tempDir>;
  let server: TestServer;
  beforeEach(async () => {
    dir = tempDir();
    const consoleDir = join(dir.path, 'console');
    mkdirSync(consoleDir);
    writeFileSync(join(consoleDir, 'main.js'), 'export const built = true;\n');
    writeFileSync(join(consoleDir, 'style.css'), 'body { margin: 0 }\n');
    server = await startServer({ dataDir: join(dir.path, 'data') }, { consoleDir });
  });
  afterEach(async () => {
    await server.close();
    dir.remove();
  });

  it.each(['/', '/incidents/42', '/controls', '/status'])(
    'serves %s the one HTML shell: the bundle by URL, no inline script or style',
    async (path) => {
      const res = await request(server.url).get(path).expect(200);
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(res.headers['cache-control']).toBe('no-cache');
      expect(res.text).toContain('<script type="module" src="/console/main.js"></script>');
      expect(res.text).toContain('<link rel="stylesheet" href="/console/style.css">');
      expect(res.text.match(/<script/g)).toHaveLength(1);
      expect(res.text).not.toMatch(/<style|\sstyle=|\son[a-z]+=/i);
    },
  );

  it('sends a strict Content-Security-Policy and the other protective headers', async () => {
    const res = await request(server.url).get('/').expect(200);
    const csp = String(res.headers['content-security-policy']);
    expect(csp).toBe(CONTENT_SECURITY_POLICY);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|\*/);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
  });

  it('sends the same headers with the JSON API', async () => {
    const res = await request(server.url).get('/api/v1/incidents').expect(200);
    expect(res.headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
  });

  it('serves the built bundle, and nothing outside it', async () => {
    const js = await request(server.url).get('/console/main.js').expect(200);
    expect(js.headers['content-type']).toMatch(/^(application|text)\/javascript/);
    expect(js.text).toBe('export const built = true;\n');
    await request(server.url)
      .get('/console/style.css')
      .expect('Content-Type', /text\/css/);
    await request(server.url).get('/console/../data/journal.db').expect(404);
    await request(server.url).get('/console/%2e%2e/data/journal.db').expect(404);
    await request(server.url).get('/console/').expect(404);
  });

  it('answers pages that are not the console’s with the API’s JSON 404', async () => {
    const res = await request(server.url).get('/incidents/42/x').expect(404);
    expect(res.body.error).toBe('not_found');
  });
});

describe('a console that was not built', () => {
  it('answers its pages with a JSON 503 that says to build it', async () => {
    const dir = tempDir();
    const server = await startServer(
      { dataDir: dir.path },
      { consoleDir: join(dir.path, 'no-console') },
    );
    try {
      const res = await request(server.url).get('/').expect(503);
      expect(res.body).toMatchObject({ error: 'console_not_built' });
      expect(res.body.message).toContain('npm run build');
    } finally {
      await server.close();
      dir.remove();
    }
  });
});
