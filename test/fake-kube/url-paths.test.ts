import { request } from 'node:http';

import { startFakeKube, type FakeKube, type KubeObject } from '../support/fake-kube';
import { webDeployment } from './fixtures';

/**
 * Paths as kube-apiserver reads them: the raw request path, %-decoded as a whole (Go's URL.Path),
 * split on `/` with no dot-segment resolution, and a name the registry's key function refuses
 * (`.`, `..`, `/` or `%` in it) answered with 400 before any lookup.
 */

interface Answer {
  status: number;
  contentType: string | undefined;
  text: string;
  json: KubeObject;
}

/** Sends `path` byte for byte (fetch would resolve `..` first, as every WHATWG URL user does). */
function send(fake: FakeKube, method: string, path: string, body?: string): Promise<Answer> {
  const { hostname, port } = new URL(fake.url);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: hostname,
        port,
        method,
        path,
        headers: {
          Authorization: `Bearer ${fake.token}`,
          ...(body === undefined ? {} : { 'Content-Type': 'application/merge-patch+json' }),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: KubeObject;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({
            status: res.statusCode ?? 0,
            contentType: res.headers['content-type'],
            text,
            json,
          });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('URL paths', () => {
  let fake: FakeKube;

  beforeEach(async () => {
    fake = await startFakeKube();
    fake.seed(webDeployment());
  });

  afterEach(async () => {
    await fake.close();
  });

  it.each([
    ['GET', '/apis/apps/v1/namespaces/ns/deployments/..', '..', "may not be '..'"],
    ['GET', '/apis/apps/v1/namespaces/ns/deployments/.', '.', "may not be '.'"],
    ['GET', '/api/v1/namespaces/prod/pods/..', '..', "may not be '..'"],
    ['PATCH', '/api/v1/namespaces/prod/pods/%2E%2E', '..', "may not be '..'"],
    ['DELETE', '/apis/apps/v1/namespaces/ns/deployments/a%25b', 'a%b', "may not contain '%'"],
    ['PATCH', '/apis/apps/v1/namespaces/ns/deployments/..', '..', "may not be '..'"],
  ])('answers %s %s with the key function’s 400', async (method, path, name, why) => {
    const answer = await send(fake, method, path, method === 'PATCH' ? '{}' : undefined);
    expect(answer.status).toBe(400);
    expect(answer.json).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: `Name parameter invalid: ${JSON.stringify(name)}: ${why}`,
      reason: 'BadRequest',
      code: 400,
    });
    expect(fake.requests.at(-1)?.path).toBe(path);
  });

  it('does not resolve `..` into the Namespace, as a WHATWG URL parser would', async () => {
    const answer = await send(fake, 'GET', '/api/v1/namespaces/ns/pods/..');
    expect(answer.json.kind).toBe('Status');
    expect(answer.json.kind).not.toBe('Namespace');
  });

  it('splits on an encoded slash, as Go decodes the path before routing', async () => {
    const answer = await send(fake, 'GET', '/api/v1/namespaces/ns/pods/a%2Fb');
    expect(answer.status).toBe(404);
    expect(answer.json.message).toBe('the server could not find the requested resource');
  });

  it('answers a malformed %-escape with net/http’s plain-text 400', async () => {
    const answer = await send(fake, 'GET', '/apis/apps/v1/namespaces/ns/deployments/we%zzb');
    expect(answer.status).toBe(400);
    expect(answer.contentType).toBe('text/plain; charset=utf-8');
    expect(answer.text).toBe('400 Bad Request');
  });

  it('still serves a valid name', async () => {
    const answer = await send(fake, 'GET', '/apis/apps/v1/namespaces/ns/deployments/web');
    expect(answer.status).toBe(200);
    expect(answer.json.metadata.name).toBe('web');
  });
});
