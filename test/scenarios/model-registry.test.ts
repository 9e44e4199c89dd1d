import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fireAndAwaitFirstStep, seedDeployment, stored, withScenario } from './harness';

/**
 * A stand-in MLflow tracking server on 127.0.0.1, answering the three registry calls in the
 * shapes of MLflow's REST API reference, and requiring the bearer token.
 */
async function startMlflow(): Promise<{ url: string; server: Server; champion: () => string }> {
  let champion = '7';
  const versions = ['5', '6', '7'].map((version) => ({
    name: 'heart-disease',
    version,
    status: version === '6' ? 'FAILED_REGISTRATION' : 'READY',
    aliases: [] as string[],
  }));
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://mlflow');
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.headers.authorization !== 'Bearer mlflow-token') {
      send(401, { error_code: 'UNAUTHENTICATED', message: 'no token' });
      return;
    }
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      if (url.pathname === '/api/2.0/mlflow/registered-models/alias' && req.method === 'GET') {
        send(200, {
          model_version: { ...versions.find((v) => v.version === champion), aliases: ['champion'] },
        });
      } else if (
        url.pathname === '/api/2.0/mlflow/registered-models/alias' &&
        req.method === 'POST'
      ) {
        champion = (JSON.parse(body) as { version: string }).version;
        send(200, {});
      } else if (url.pathname === '/api/2.0/mlflow/model-versions/search') {
        send(200, { model_versions: versions });
      } else {
        send(404, { error_code: 'ENDPOINT_NOT_FOUND', message: url.pathname });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, server, champion: () => champion };
}

describe('a model whose version is an MLflow alias', () => {
  it('gets the alias pointed back to the previous READY version, and its Deployment restarted', async () => {
    const mlflow = await startMlflow();
    try {
      await withScenario(async (s) => {
        seedDeployment(s.fake, 'prod', 'heart-disease-api');
        s.policies(`
policies:
  - name: model-issues
    match: ['alertname="ModelAccuracyDrop"']
    target: { kind: Deployment, namespace: '{{ labels.namespace }}', name: '{{ labels.deployment }}' }
    steps:
      - action: restore-model
        params: { mlflow: { model: heart-disease } }
        verify: 10m
`);
        const server = await s.start({
          mlflow: { url: mlflow.url, authorization: 'Bearer mlflow-token' },
        });
        const { step } = await fireAndAwaitFirstStep(server, {
          alertname: 'ModelAccuracyDrop',
          namespace: 'prod',
          deployment: 'heart-disease-api',
        });
        expect(step).toMatchObject({
          status: 'applied',
          summary:
            'restored MLflow model heart-disease alias champion version 7 → 5 and restarted prod/heart-disease-api',
        });
        expect(mlflow.champion()).toBe('5');
        expect(
          stored(s.fake, 'prod', 'heart-disease-api').spec.template.metadata.annotations[
            'kubectl.kubernetes.io/restartedAt'
          ],
        ).toEqual(expect.any(String));
      });
    } finally {
      await new Promise((resolve) => mlflow.server.close(resolve));
    }
  });
});
