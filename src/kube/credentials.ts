import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';

/** Where Kubernetes credentials come from, in the order client-go and kubectl look. */
export type KubeCredentials =
  { kind: 'in-cluster' } | { kind: 'kubeconfig'; path: string } | { kind: 'none' };

export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/**
 * In a pod: the service account (both service variables set and non-empty, as client-go's
 * InClusterConfig requires, and the token mounted). Elsewhere: `KUBECONFIG` (a path list; the
 * first existing file), else `~/.kube/config`. None found means remediator cannot act, and runs
 * in dry-run mode.
 */
export function findKubeCredentials(
  env: Readonly<Record<string, string | undefined>>,
  exists: (path: string) => boolean,
  home: string = homedir(),
): KubeCredentials {
  if (
    (env.KUBERNETES_SERVICE_HOST ?? '') !== '' &&
    (env.KUBERNETES_SERVICE_PORT ?? '') !== '' &&
    exists(join(SERVICE_ACCOUNT_DIR, 'token'))
  ) {
    return { kind: 'in-cluster' };
  }
  const fromEnv = (env.KUBECONFIG ?? '').split(delimiter).filter((p) => p !== '');
  for (const path of fromEnv) if (exists(path)) return { kind: 'kubeconfig', path };
  if (fromEnv.length === 0) {
    const path = join(home, '.kube', 'config');
    if (exists(path)) return { kind: 'kubeconfig', path };
  }
  return { kind: 'none' };
}

/**
 * remediator's own namespace (for its Leases) when `--namespace` is not given: the service
 * account's in a cluster, else the kubeconfig context's, else `default`.
 */
export function defaultNamespace(
  credentials: KubeCredentials,
  contextNamespace: string | undefined,
  readFile: (path: string) => string,
): string {
  if (credentials.kind === 'in-cluster') {
    try {
      const namespace = readFile(join(SERVICE_ACCOUNT_DIR, 'namespace')).trim();
      if (namespace !== '') return namespace;
    } catch {
      // Not mounted: fall through to the default.
    }
  }
  return contextNamespace ?? 'default';
}
