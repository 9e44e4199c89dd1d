import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { AppsV1Api, BatchV1Api, KubeConfig, KubernetesObjectApi } from '@kubernetes/client-node';

import { spawnFakeKube, startFakeKube, type FakeKube } from '../support/fake-kube';
import { parseCliArgs, readSeedFile, runCli } from '../support/fake-kube/main';
import { raw, webDeployment } from './fixtures';

const SEED_YAML = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: ns, labels: {app: web}}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: model, image: reg/model:v40}]}
---
apiVersion: v1
kind: List
items:
- apiVersion: batch/v1
  kind: Job
  metadata: {name: smoke, namespace: ns}
  spec:
    template:
      spec: {restartPolicy: Never, containers: [{name: c, image: reg/smoke:1}]}
`;

describe('kubeconfig helpers', () => {
  let fake: FakeKube;
  let dir: string;

  beforeEach(async () => {
    fake = await startFakeKube();
    fake.seed(webDeployment());
    dir = mkdtempSync(join(tmpdir(), 'fake-kube-'));
  });

  afterEach(async () => {
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes a kubeconfig that client-node loads (skipTLSVerify, token user, namespace default)', async () => {
    const path = fake.writeKubeconfig(dir);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const kc = new KubeConfig();
    kc.loadFromFile(path);
    expect(kc.getCurrentCluster()).toMatchObject({ server: fake.url, skipTLSVerify: true });
    expect(kc.getCurrentUser()?.token).toBe(fake.token);
    expect(kc.getContextObject(kc.getCurrentContext())?.namespace).toBe('default');
    const deployment = await kc
      .makeApiClient(AppsV1Api)
      .readNamespacedDeployment({ name: 'web', namespace: 'ns' });
    expect(deployment.metadata?.name).toBe('web');
  });

  it('serves the discovery documents KubernetesObjectApi needs', async () => {
    const kc = new KubeConfig();
    fake.loadInto(kc);
    const objects = KubernetesObjectApi.makeApiClient(kc);
    const read = await objects.read({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'ns' },
    });
    expect(read.metadata?.uid).toBeDefined();
    const patched = await objects.patch({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'ns' },
      spec: {
        template: {
          spec: { containers: [{ name: 'model', env: [{ name: 'MODEL_VERSION', value: 'v41' }] }] },
        },
      },
    } as never);
    expect(fake.requests.at(-1)?.contentType).toBe('application/strategic-merge-patch+json');
    expect(JSON.stringify(patched)).toContain('v41');
    const resources = await raw(fake, 'GET', '/apis/apps/v1');
    expect(resources.json.resources.map((r: { name: string }) => r.name)).toEqual([
      'deployments',
      'deployments/scale',
      'replicasets',
      'statefulsets',
      'daemonsets',
    ]);
  });
});

describe('the command line', () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'fake-kube-cli-'));
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('parses its flags and refuses unknown ones', () => {
    expect(parseCliArgs(['--port', '0', '--seed', 's.yaml', '--kubeconfig', 'k'])).toEqual({
      port: 0,
      seed: 's.yaml',
      kubeconfig: 'k',
      requireToken: false,
    });
    expect(() => parseCliArgs(['--bogus'])).toThrow('unknown option "--bogus"');
    expect(() => parseCliArgs(['--port', 'x'])).toThrow('--port must be 0..65535, got "x"');
  });

  it('reads every object of a multi-document YAML seed file, expanding Lists', () => {
    const file = join(dir, 'seed.yaml');
    writeFileSync(file, SEED_YAML);
    expect(readSeedFile(file).map((o) => (o as { kind: string }).kind)).toEqual([
      'Deployment',
      'Job',
    ]);
  });

  it('starts in-process, seeds, writes the kubeconfig and prints one ready line', async () => {
    const seed = join(dir, 'seed.yaml');
    const kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(seed, SEED_YAML);
    const lines: string[] = [];
    const fake = await runCli(['--seed', seed, '--kubeconfig', kubeconfig], {
      write: (line) => lines.push(line),
    });
    try {
      expect(lines).toEqual([`${JSON.stringify({ url: fake.url, kubeconfig })}\n`]);
      expect(fake.get('batch/v1', 'Job', 'ns', 'smoke')).toBeDefined();
    } finally {
      await fake.close();
    }
  });

  it('runs in a child process driven over the /_fake/ control API', async () => {
    const seed = join(dir, 'seed.yaml');
    writeFileSync(seed, SEED_YAML);
    const child = await spawnFakeKube({ kubeconfigPath: join(dir, 'kubeconfig'), seedFile: seed });
    try {
      const kc = new KubeConfig();
      kc.loadFromFile(child.kubeconfigPath);
      const apps = kc.makeApiClient(AppsV1Api);
      expect(
        (await apps.readNamespacedDeployment({ name: 'web', namespace: 'ns' })).spec?.replicas,
      ).toBe(2);

      await child.fault({ method: 'GET', pathRegex: /\/deployments\/web$/, status: 503, times: 1 });
      await expect(
        apps.readNamespacedDeployment({ name: 'web', namespace: 'ns' }),
      ).rejects.toMatchObject({ code: 503 });

      await child.seed({
        ...webDeployment(),
        metadata: { name: 'api', namespace: 'ns', labels: { app: 'web' } },
      });
      expect((await child.get('apps/v1', 'Deployment', 'ns', 'api')).metadata.uid).toBeDefined();

      await child.setJobStatus('ns', 'smoke', { succeeded: 1 });
      const job = await kc
        .makeApiClient(BatchV1Api)
        .readNamespacedJob({ name: 'smoke', namespace: 'ns' });
      expect(job.status?.succeeded).toBe(1);

      const requests = await child.requests();
      expect(requests.map((r) => `${r.method} ${r.status}`)).toEqual([
        'GET 200',
        'GET 503',
        'GET 200',
      ]);
      await child.resetRequests();
      await child.clearFaults();
      expect(await child.requests()).toEqual([]);
    } finally {
      await child.stop();
    }
    expect(child.child.exitCode ?? child.child.signalCode).not.toBeNull();
  }, 30_000);
});
