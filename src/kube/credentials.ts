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
