/** The names used inside the fake's kubeconfig. */
const NAME = 'fake-kube';

/**
 * A kubeconfig for the fake: plain HTTP, which client-node only accepts with
 * `insecure-skip-tls-verify: true`, a static bearer token and `default` as the namespace.
 */
export function kubeconfigYaml(server: string, token: string, namespace = 'default'): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    `- name: ${NAME}`,
    '  cluster:',
    `    server: ${server}`,
    '    insecure-skip-tls-verify: true',
    'users:',
    `- name: ${NAME}`,
    '  user:',
    `    token: ${token}`,
    'contexts:',
    `- name: ${NAME}`,
    '  context:',
    `    cluster: ${NAME}`,
    `    user: ${NAME}`,
    `    namespace: ${namespace}`,
    `current-context: ${NAME}`,
    '',
  ].join('\n');
}

/** The same configuration in the shape `KubeConfig.loadFromOptions` takes. */
export function kubeconfigOptions(server: string, token: string, namespace = 'default') {
  return {
    clusters: [{ name: NAME, server, skipTLSVerify: true }],
    users: [{ name: NAME, token }],
    contexts: [{ name: NAME, cluster: NAME, user: NAME, namespace }],
    currentContext: NAME,
  };
}
