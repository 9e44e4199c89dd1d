import { createServer, Agent as HttpAgent, type Server } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { AddressInfo } from 'node:net';

import { KubeConfig } from '@kubernetes/client-node';

import { ClientNodeKube } from '../../src/kube/adapter';
import { AgentPool } from '../../src/kube/connections';

describe('AgentPool', () => {
  it('hands out one keep-alive agent for agents made with the same TLS settings', () => {
    const pool = new AgentPool();
    const first = pool.reuse(new HttpsAgent({ ca: 'CA-1', rejectUnauthorized: true }));
    const second = pool.reuse(new HttpsAgent({ ca: 'CA-1', rejectUnauthorized: true }));
    expect(second).toBe(first);
    expect(first).toBeInstanceOf(HttpsAgent);
    expect((first as HttpsAgent & { keepAlive: boolean }).keepAlive).toBe(true);
    expect((first as HttpsAgent).options).toMatchObject({ ca: 'CA-1', rejectUnauthorized: true });
  });

  it('keeps agents apart when a certificate, the verification or the scheme differs', () => {
    const pool = new AgentPool();
    const agents = [
      pool.reuse(new HttpsAgent({ ca: 'CA-1' })),
      pool.reuse(new HttpsAgent({ ca: 'CA-2' })),
      pool.reuse(new HttpsAgent({ ca: 'CA-1', rejectUnauthorized: false })),
      pool.reuse(new HttpAgent({})),
    ];
    expect(new Set(agents).size).toBe(4);
    expect(agents[3]).toBeInstanceOf(HttpAgent);
    expect(agents[3]).not.toBeInstanceOf(HttpsAgent);
  });

  it('leaves proxy agents (their own classes) and a missing agent as they are', () => {
    class ProxyAgent extends HttpAgent {}
    const pool = new AgentPool();
    const proxy = new ProxyAgent();
    expect(pool.reuse(proxy)).toBe(proxy);
    expect(pool.reuse(undefined)).toBeUndefined();
  });
});

describe('ClientNodeKube connections', () => {
  let server: Server;
  let connections = 0;
  let url = '';

  beforeEach(async () => {
    connections = 0;
    server = createServer((req, res) => {
      req.resume();
      res.setHeader('Content-Type', 'application/json');
      res.end(
        JSON.stringify({
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: { name: 'web', namespace: 'ns', resourceVersion: '1' },
        }),
      );
    });
    server.on('connection', () => connections++);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterEach(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('sends one request after another over one connection, where client-node alone opens one each', async () => {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'c', server: url, skipTLSVerify: true }],
      users: [{ name: 'u', token: 'connection-test-token' }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
      currentContext: 'x',
    });
    const kube = new ClientNodeKube(kc);
    for (let i = 0; i < 5; i++) await kube.readDeployment('ns', 'web');
    expect(connections).toBe(1);
  });
});
