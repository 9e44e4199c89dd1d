import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

import { ClientNodeKube, loadKubeConfig } from '../../src/kube/adapter';
import {
  findKubeCredentials,
  SERVICE_ACCOUNT_DIR,
  type KubeCredentials,
} from '../../src/kube/credentials';
import { startFakeKube } from '../support/fake-kube';

const HOME = '/home/op';
const HOME_CONFIG = join(HOME, '.kube', 'config');
const TOKEN_FILE = join(SERVICE_ACCOUNT_DIR, 'token');
const IN_CLUSTER_ENV = { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' };

interface CredentialsCase {
  when: string;
  env: Record<string, string>;
  files: string[];
  found: KubeCredentials;
}

describe('findKubeCredentials', () => {
  it.each<CredentialsCase>([
    {
      when: 'in a pod with the service account token mounted',
      env: IN_CLUSTER_ENV,
      files: [TOKEN_FILE],
      found: { kind: 'in-cluster' },
    },
    {
      when: 'in a pod, even though KUBECONFIG is set too',
      env: { ...IN_CLUSTER_ENV, KUBECONFIG: '/etc/kube/a' },
      files: [TOKEN_FILE, '/etc/kube/a'],
      found: { kind: 'in-cluster' },
    },
    {
      when: 'the service env is set but no token is mounted',
      env: IN_CLUSTER_ENV,
      files: [HOME_CONFIG],
      found: { kind: 'kubeconfig', path: HOME_CONFIG },
    },
    {
      when: 'only the service host is set and there is no kubeconfig',
      env: { KUBERNETES_SERVICE_HOST: '10.96.0.1' },
      files: [TOKEN_FILE],
      found: { kind: 'none' },
    },
    {
      // client-go's InClusterConfig treats an empty host or port as not in a cluster.
      when: 'the service env vars are present but empty',
      env: { KUBERNETES_SERVICE_HOST: '', KUBERNETES_SERVICE_PORT: '' },
      files: [TOKEN_FILE, HOME_CONFIG],
      found: { kind: 'kubeconfig', path: HOME_CONFIG },
    },
    {
      when: 'KUBECONFIG lists files and only the second exists',
      env: { KUBECONFIG: ['/etc/kube/a', '/etc/kube/b', '/etc/kube/c'].join(delimiter) },
      files: ['/etc/kube/b', '/etc/kube/c', HOME_CONFIG],
      found: { kind: 'kubeconfig', path: '/etc/kube/b' },
    },
    {
      when: 'KUBECONFIG has empty entries between paths',
      env: { KUBECONFIG: `${delimiter}${delimiter}/etc/kube/b${delimiter}` },
      files: ['/etc/kube/b'],
      found: { kind: 'kubeconfig', path: '/etc/kube/b' },
    },
    {
      // As kubectl: a KUBECONFIG that is set replaces ~/.kube/config rather than adding to it.
      when: 'none of the KUBECONFIG files exists',
      env: { KUBECONFIG: ['/etc/kube/a', '/etc/kube/b'].join(delimiter) },
      files: [HOME_CONFIG],
      found: { kind: 'none' },
    },
    {
      when: 'KUBECONFIG is unset and ~/.kube/config exists',
      env: {},
      files: [HOME_CONFIG],
      found: { kind: 'kubeconfig', path: HOME_CONFIG },
    },
    {
      when: 'KUBECONFIG is empty and ~/.kube/config exists',
      env: { KUBECONFIG: '' },
      files: [HOME_CONFIG],
      found: { kind: 'kubeconfig', path: HOME_CONFIG },
    },
    {
      when: 'there is nothing at all',
      env: {},
      files: [],
      found: { kind: 'none' },
    },
  ])('finds $found.kind when $when', ({ env, files, found }) => {
    const asked: string[] = [];
    const exists = (path: string) => {
      asked.push(path);
      return files.includes(path);
    };
    expect(findKubeCredentials(env, exists, HOME)).toEqual(found);
    expect(asked.every((p) => p !== '')).toBe(true);
  });

  it('looks for the mounted service account token first, then for ~/.kube/config', () => {
    const asked: string[] = [];
    findKubeCredentials(
      IN_CLUSTER_ENV,
      (path) => {
        asked.push(path);
        return false;
      },
      HOME,
    );
    expect(asked).toEqual(['/var/run/secrets/kubernetes.io/serviceaccount/token', HOME_CONFIG]);
  });
});

describe('loadKubeConfig', () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'remediator-kubeconfig-'));
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads the cluster, user and namespace of a kubeconfig file', () => {
    const path = join(dir, 'config');
    writeFileSync(
      path,
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters:',
        '- name: prod',
        '  cluster:',
        '    server: https://kube.example.com:6443',
        'users:',
        '- name: remediator',
        '  user:',
        '    token: file-token-123',
        'contexts:',
        '- name: prod',
        '  context: {cluster: prod, user: remediator, namespace: rem}',
        '- name: other',
        '  context: {cluster: prod, user: remediator, namespace: elsewhere}',
        'current-context: prod',
        '',
      ].join('\n'),
      { mode: 0o600 },
    );

    const kc = loadKubeConfig({ kind: 'kubeconfig', path });

    expect(kc.getCurrentContext()).toBe('prod');
    expect(kc.getCurrentCluster()?.server).toBe('https://kube.example.com:6443');
    expect(kc.getCurrentUser()?.token).toBe('file-token-123');
    expect(kc.getContextObject('prod')?.namespace).toBe('rem');
  });

  it('fails loudly when the kubeconfig file has gone', () => {
    expect(() => loadKubeConfig({ kind: 'kubeconfig', path: join(dir, 'missing') })).toThrow(
      /ENOENT/,
    );
  });

  it('gives an adapter that authenticates with the file token', async () => {
    const fake = await startFakeKube({ requireToken: true, token: 'kubeconfig-file-token' });
    try {
      fake.seed({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'model-config', namespace: 'ns' },
        data: { MODEL_VERSION: 'v40' },
      });
      const kc = loadKubeConfig({ kind: 'kubeconfig', path: fake.writeKubeconfig(dir) });
      const kube = new ClientNodeKube(kc, { retry: { baseMs: 1, capMs: 1, deadlineMs: 0 } });

      const configMap = await kube.readConfigMap('ns', 'model-config');

      expect(configMap.data).toEqual({ MODEL_VERSION: 'v40' });
      expect(fake.requests.map((r) => r.status)).toEqual([200]);
    } finally {
      await fake.close();
    }
  });

  describe('in cluster', () => {
    const saved = {
      host: process.env.KUBERNETES_SERVICE_HOST,
      port: process.env.KUBERNETES_SERVICE_PORT,
    };

    afterEach(() => {
      if (saved.host === undefined) delete process.env.KUBERNETES_SERVICE_HOST;
      else process.env.KUBERNETES_SERVICE_HOST = saved.host;
      if (saved.port === undefined) delete process.env.KUBERNETES_SERVICE_PORT;
      else process.env.KUBERNETES_SERVICE_PORT = saved.port;
    });

    it('points at the service address over https with the mounted token and CA', () => {
      process.env.KUBERNETES_SERVICE_HOST = '10.96.0.1';
      process.env.KUBERNETES_SERVICE_PORT = '443';

      const kc = loadKubeConfig({ kind: 'in-cluster' });

      expect(kc.getCurrentCluster()?.server).toBe('https://10.96.0.1:443');
      expect(kc.getCurrentCluster()?.caFile).toBe(join(SERVICE_ACCOUNT_DIR, 'ca.crt'));
      expect(kc.getCurrentUser()?.authProvider).toEqual({
        name: 'tokenFile',
        config: { tokenFile: join(SERVICE_ACCOUNT_DIR, 'token') },
      });
    });
  });
});
