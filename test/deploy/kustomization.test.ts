import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { ClusterRole } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole';
import { ClusterRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding';
import { Role } from 'kubernetes-models/rbac.authorization.k8s.io/v1/Role';
import { RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { PersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { PrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule';
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
import { AlertmanagerConfig } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1alpha1/AlertmanagerConfig';
import { readdirSync } from 'node:fs';
import { join, posix } from 'node:path';
import { parse } from 'yaml';
import { WEBHOOK_PATH } from '../../src/app';
import { parseServeConfig, SERVE_OPTIONS } from '../../src/config';
import { DEFAULT_GITOPS_SETTINGS } from '../../src/remediations/gitops';
import {
  GITOPS_CLUSTER_RULES,
  OWN_NAMESPACE_RULES,
  targetNamespaceRules,
} from '../../src/remediations/rbac';
import {
  DASHBOARD_CONFIG_MAP,
  DASHBOARD_FILE,
  DASHBOARD_KEY,
  prometheusRuleName,
  RULES_DIR,
  RULES_SUFFIX,
  TARGET_CLUSTER_ROLE,
  GITOPS_CLUSTER_ROLE,
} from '../../src/tools/generate-manifests';
import {
  all,
  containerArg,
  one,
  read,
  renderKustomization,
  ROOT,
  selectors,
  volumeHolding,
} from './manifests';
import { policyFilesIn } from '../../src/policies/store';

/*
 * deploy/k8s as kubectl renders it: every object's shape (kubernetes-models and the Prometheus
 * Operator's models), and every reference between the objects and between them and the code: the
 * options `remediator serve` reads, its port and endpoints, the RBAC its actions declare, the job
 * name its alert rules expect, the files the shipped policies name.
 */

const objects = renderKustomization();
const pkg = JSON.parse(read('package.json')) as { version: string };

const deployment = one(objects, 'Deployment', 'remediator');
const podSpec = deployment.spec.template.spec;
const container = podSpec.containers[0];
const service = one(objects, 'Service', 'remediator');
const serviceMonitor = one(objects, 'ServiceMonitor');
const alertmanagerConfig = one(objects, 'AlertmanagerConfig');
const ownNamespace: string = deployment.metadata.namespace!;

type Model = new (data: any) => { validate(): void };
const MODELS: Record<string, Model> = {
  'v1/Namespace': Namespace,
  'v1/ServiceAccount': ServiceAccount,
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'v1/PersistentVolumeClaim': PersistentVolumeClaim,
  'apps/v1/Deployment': Deployment,
  'rbac.authorization.k8s.io/v1/ClusterRole': ClusterRole,
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': ClusterRoleBinding,
  'rbac.authorization.k8s.io/v1/Role': Role,
  'rbac.authorization.k8s.io/v1/RoleBinding': RoleBinding,
  'monitoring.coreos.com/v1/ServiceMonitor': ServiceMonitor,
  'monitoring.coreos.com/v1/PrometheusRule': PrometheusRule,
  'monitoring.coreos.com/v1alpha1/AlertmanagerConfig': AlertmanagerConfig,
};

const SERVE_ENV = new Set(SERVE_OPTIONS.map((o) => o.env));
const SERVE_FLAGS = new Set(SERVE_OPTIONS.flatMap((o) => (o.flag === undefined ? [] : [o.flag])));
const envValue = (name: string): string | undefined =>
  (container.env as { name: string; value?: string }[]).find((e) => e.name === name)?.value;

const argValue = (flag: string): string => containerArg(container, flag);
const mountHolding = (path: string) => volumeHolding(podSpec, container, path);

/** A port of the container given by name or number, as a number. */
function containerPort(port: string | number): number {
  const ports = container.ports as { name?: string; containerPort: number }[];
  const found = ports.find((p) => p.name === port || p.containerPort === port);
  if (found === undefined) throw new Error(`the container has no port ${port}`);
  return found.containerPort;
}

const matchesLabels = (selector: Record<string, string>, labels: Record<string, string> = {}) =>
  Object.entries(selector).every(([k, v]) => labels[k] === v);

describe('kubectl kustomize deploy/k8s', () => {
  it('renders every object with a shape its model accepts', () => {
    expect(objects.length).toBeGreaterThan(10);
    for (const object of objects) {
      const Model = MODELS[`${object.apiVersion}/${object.kind}`];
      if (Model === undefined) throw new Error(`no model for ${object.apiVersion} ${object.kind}`);
      expect(() => new Model(object).validate()).not.toThrow();
    }
  });

  it('has models that reject a malformed object, so the check above can fail', () => {
    const broken = structuredClone(deployment);
    broken.spec.template.spec.containers[0].ports[0].containerPort = 'http';
    expect(() => new Deployment(broken).validate()).toThrow(/containerPort/);
    const brokenMonitor = structuredClone(serviceMonitor);
    brokenMonitor.spec.endpoints = 'http';
    expect(() => new ServiceMonitor(brokenMonitor as any).validate()).toThrow();
  });

  it('uses only what the kustomize v2 inside Debian kubectl 1.20 understands', () => {
    const kustomization = parse(read('deploy/k8s/kustomization.yaml'));
    const allowed = [
      'apiVersion',
      'kind',
      'resources',
      'configMapGenerator',
      'generatorOptions',
      'namespace',
    ];
    expect(Object.keys(kustomization).filter((k) => !allowed.includes(k))).toEqual([]);
    for (const generator of kustomization.configMapGenerator) {
      expect(
        Object.keys(generator).filter((k) => !['name', 'namespace', 'files'].includes(k)),
      ).toEqual([]);
    }
    expect(kustomization.generatorOptions).toEqual({ disableNameSuffixHash: true });
    // v2 reads only files in `resources` (directories came with v2.1).
    for (const resource of kustomization.resources) expect(resource).toMatch(/\.ya?ml$/);
  });

  it('lists every manifest of deploy/k8s as a resource, and nothing that is not there', () => {
    const kustomization = parse(read('deploy/k8s/kustomization.yaml'));
    const notResources = ['kustomization.yaml'];
    const manifests = readdirSync(join(ROOT, 'deploy/k8s'))
      .filter((f) => f.endsWith('.yaml') && !notResources.includes(f))
      .sort();
    expect([...kustomization.resources].sort()).toEqual(manifests);
  });

  it('creates remediator’s namespace, names every namespaced object’s, and grants nothing cluster-wide', () => {
    one(objects, 'Namespace', ownNamespace);
    expect(all(objects, 'ClusterRoleBinding')).toEqual([]);
    for (const o of objects) {
      if (['Namespace', 'ClusterRole'].includes(o.kind)) continue;
      expect(o.metadata.namespace).toBeDefined();
    }
  });
});

describe('the Deployment', () => {
  it('runs the image of this version of package.json', () => {
    expect(container.image).toBe(`ghcr.io/remediator-dev/remediator:${pkg.version}`);
  });

  it('runs one replica, replaced by Recreate, because the journal volume is ReadWriteOnce', () => {
    expect(deployment.spec.replicas).toBe(1);
    expect(deployment.spec.strategy).toEqual({ type: 'Recreate' });
    const claim = one(
      objects,
      'PersistentVolumeClaim',
      mountHolding(argValue('data-dir')).volume.persistentVolumeClaim.claimName,
    );
    expect(claim.spec.accessModes).toEqual(['ReadWriteOnce']);
    expect(claim.spec.resources.requests.storage).toBe('1Gi');
  });

  it('runs as the unprivileged user 65532 with a read-only root filesystem and no capabilities', () => {
    expect(podSpec.securityContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: 65532,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(container.securityContext).toMatchObject({
      runAsNonRoot: true,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(container.resources.requests).toEqual(
      expect.objectContaining({ cpu: expect.any(String), memory: expect.any(String) }),
    );
    expect(container.resources.limits.memory).toEqual(expect.any(String));
  });

  it('writes only to /tmp (an emptyDir) and the data directory (the PVC); every other mount is read-only', () => {
    const writable = (container.volumeMounts as any[]).filter((m) => m.readOnly !== true);
    expect(writable.map((m) => m.mountPath).sort()).toEqual([argValue('data-dir'), '/tmp'].sort());
    expect(mountHolding('/tmp').volume.emptyDir).toBeDefined();
    expect(mountHolding(argValue('data-dir')).volume.persistentVolumeClaim).toBeDefined();
  });

  it('runs `serve` with only flags that `remediator serve` has', () => {
    const args: string[] = container.args;
    expect(args[0]).toBe('serve');
    const flags = args.filter((a) => a.startsWith('--')).map((a) => a.slice(2).split('=')[0]);
    expect(flags.length).toBeGreaterThan(0);
    for (const flag of flags) expect(SERVE_FLAGS).toContain(flag);
  });

  it('sets only environment variables that `remediator serve` reads, and NODE_OPTIONS', () => {
    const names = (container.env as { name: string }[]).map((e) => e.name);
    expect(names.length).toBeGreaterThan(0);
    for (const name of names.filter((n) => n !== 'NODE_OPTIONS')) expect(SERVE_ENV).toContain(name);
  });

  it("caps V8's heap well inside the container's memory limit", () => {
    const mib = (quantity: string) => {
      const [, n, unit] = /^(\d+)(Mi|Gi)$/.exec(quantity) ?? [];
      return Number(n) * (unit === 'Gi' ? 1024 : 1);
    };
    const heap = /--max-old-space-size=(\d+)/.exec(envValue('NODE_OPTIONS') ?? '')?.[1];
    expect(heap).toBeDefined();
    // Besides the heap: code, the young generation, request buffers and SQLite's page cache.
    expect(Number(heap) + 128).toBeLessThanOrEqual(mib(container.resources.limits.memory));
  });

  it('takes its namespace and instance name from the downward API', () => {
    const fieldPath = (name: string) =>
      (container.env as any[]).find((e) => e.name === name)?.valueFrom?.fieldRef?.fieldPath;
    expect(fieldPath('REMEDIATOR_NAMESPACE')).toBe('metadata.namespace');
    expect(fieldPath('REMEDIATOR_INSTANCE')).toBe('metadata.name');
  });

  it('turns service links off, since a Service named remediator would set REMEDIATOR_PORT=tcp://…', () => {
    const linkVariables = all(objects, 'Service')
      .filter((s) => s.metadata.namespace === ownNamespace)
      .flatMap((s) => {
        const prefix = s.metadata.name.toUpperCase().replace(/-/g, '_');
        return [`${prefix}_PORT`, `${prefix}_SERVICE_HOST`, `${prefix}_SERVICE_PORT`];
      });
    expect(linkVariables.some((v) => SERVE_ENV.has(v))).toBe(true);
    expect(podSpec.enableServiceLinks).toBe(false);
  });

  it('has a configuration `remediator serve` accepts, with the files where the volumes are', () => {
    const tokenFile = envValue('REMEDIATOR_WEBHOOK_TOKEN_FILE')!;
    const env = Object.fromEntries(
      (container.env as any[]).map((e) => [
        e.name,
        e.value ?? `from ${e.valueFrom.fieldRef.fieldPath}`,
      ]),
    );
    const config = parseServeConfig({
      argv: container.args.slice(1),
      env,
      readFile: (path) => {
        if (path !== tokenFile) throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
        return 'token-from-the-secret\n';
      },
    });
    expect(config.policiesFile).toBe(argValue('policies'));
    expect(config.dataDir).toBe(argValue('data-dir'));
    expect(config.credentials.bearerToken).toBe('token-from-the-secret');
    expect(containerPort('http')).toBe(config.port);
  });

  it('reads the policies directory from the policies ConfigMap, which holds every shipped policies file', () => {
    const dir = argValue('policies');
    const { mount, volume } = mountHolding(`${dir}/runbook.yaml`);
    expect(dir).toBe(mount.mountPath);
    expect(mount.subPath).toBeUndefined(); // a subPath mount would never see an edit
    const configMap = one(objects, 'ConfigMap', volume.configMap.name);
    const shipped = policyFilesIn(join(ROOT, 'deploy/k8s/policies')).map((f) => posix.basename(f));
    expect(shipped).toEqual(['kube-prometheus.yaml', 'runbook.yaml']);
    expect(Object.keys(configMap.data).sort()).toEqual(shipped);
    for (const name of shipped) {
      expect(configMap.data[name]).toBe(read(`deploy/k8s/policies/${name}`));
    }
  });

  it('reads the webhook token from the Secret remediator-webhook, which is not shipped', () => {
    const file = envValue('REMEDIATOR_WEBHOOK_TOKEN_FILE')!;
    const { mount, volume } = mountHolding(file);
    expect(posix.dirname(file)).toBe(mount.mountPath);
    expect(volume.secret.secretName).toBe('remediator-webhook');
    expect(volume.secret.optional).not.toBe(true);
    expect(all(objects, 'Secret')).toEqual([]);
  });

  it('mounts the optional sinks Secret where every urlFile of the shipped policies is', () => {
    const policies = parse(read('deploy/k8s/policies/runbook.yaml'));
    const urlFiles = Object.values<any>(policies.sinks).map((s) => s.urlFile as string);
    expect(urlFiles.length).toBeGreaterThan(0);
    for (const file of urlFiles) {
      const { mount, volume } = mountHolding(file);
      expect(posix.dirname(file)).toBe(mount.mountPath);
      expect(volume.secret).toEqual({ secretName: 'remediator-sinks', optional: true });
    }
  });

  it('keeps the journal on the PersistentVolumeClaim', () => {
    const { mount, volume } = mountHolding(argValue('data-dir'));
    expect(mount.mountPath).toBe(argValue('data-dir'));
    one(objects, 'PersistentVolumeClaim', volume.persistentVolumeClaim.claimName);
  });

  it('keeps the policies ConfigMap’s name, so edits reach the pod in place', () => {
    const name = mountHolding(argValue('policies')).volume.configMap.name;
    expect(name).toBe('remediator-policies');
    one(objects, 'ConfigMap', name);
  });

  it('probes /healthz and /readyz on the port remediator listens on', () => {
    expect(container.livenessProbe.httpGet.path).toBe('/healthz');
    expect(container.readinessProbe.httpGet.path).toBe('/readyz');
    const port = containerPort(container.livenessProbe.httpGet.port);
    expect(containerPort(container.readinessProbe.httpGet.port)).toBe(port);
    expect(String(port)).toBe(SERVE_OPTIONS.find((o) => o.name === 'port')?.default);
  });
});

describe('the Service and the ServiceMonitor', () => {
  it('send traffic to the container port, and scrape /metrics through the Service port', () => {
    expect(matchesLabels(service.spec.selector, deployment.spec.template.metadata.labels)).toBe(
      true,
    );
    const servicePort = (service.spec.ports as any[]).find((p) => p.name === 'http');
    expect(containerPort(servicePort.targetPort)).toBe(containerPort('http'));
    expect(servicePort.port).toBe(containerPort('http'));
    const [endpoint, ...others] = serviceMonitor.spec.endpoints;
    expect(others).toEqual([]);
    expect(endpoint.port).toBe(servicePort.name);
    expect(endpoint.path).toBe('/metrics');
    expect(serviceMonitor.metadata.namespace).toBe(service.metadata.namespace);
    expect(matchesLabels(serviceMonitor.spec.selector.matchLabels, service.metadata.labels)).toBe(
      true,
    );
  });

  it('give the scrape the job name that up{job=…} in remediator’s alert rules expects', () => {
    const rules = parse(read(`${RULES_DIR}/remediator.rules.yml`));
    const jobs = new Set<string>();
    for (const group of rules.groups) {
      for (const rule of group.rules) {
        for (const s of selectors(rule.expr)) {
          if (s.metric !== 'up') continue;
          for (const m of s.matchers) if (m.label === 'job' && m.op === '=') jobs.add(m.value);
        }
      }
    }
    expect([...jobs]).toHaveLength(1);
    const job =
      serviceMonitor.spec.jobLabel === undefined
        ? service.metadata.name
        : service.metadata.labels?.[serviceMonitor.spec.jobLabel];
    expect(job).toBe([...jobs][0]);
  });
});

describe('RBAC', () => {
  const serviceAccount = one(objects, 'ServiceAccount', podSpec.serviceAccountName);
  const subject = {
    kind: 'ServiceAccount',
    name: serviceAccount.metadata.name,
    namespace: serviceAccount.metadata.namespace,
  };

  it('grants in target namespaces exactly the rules the actions and the executor declare', () => {
    // Fails when an action's RBAC changes and `npm run generate` was not run.
    expect(one(objects, 'ClusterRole', TARGET_CLUSTER_ROLE).rules).toEqual(targetNamespaceRules());
  });

  it('grants in remediator’s own namespace exactly the Lease rules', () => {
    const bindings = all(objects, 'RoleBinding').filter(
      (b) => b.metadata.namespace === ownNamespace,
    );
    expect(bindings).toHaveLength(1);
    const [binding] = bindings;
    expect(binding!.roleRef.kind).toBe('Role');
    expect(binding!.subjects).toEqual([subject]);
    const role = one(objects, 'Role', binding!.roleRef.name);
    expect(role.metadata.namespace).toBe(ownNamespace);
    expect(role.rules).toEqual(OWN_NAMESPACE_RULES);
  });

  it('binds the GitOps ClusterRole in Argo CD’s and Flux’s namespaces, to remediator only', () => {
    expect(one(objects, 'ClusterRole', GITOPS_CLUSTER_ROLE).rules).toEqual(GITOPS_CLUSTER_RULES);
    const bindings = all(objects, 'RoleBinding').filter(
      (b) => b.roleRef.name === GITOPS_CLUSTER_ROLE,
    );
    expect(bindings.map((b) => b.metadata.namespace).sort()).toEqual([
      DEFAULT_GITOPS_SETTINGS.argocdNamespace,
      'flux-system',
    ]);
    for (const binding of bindings) {
      expect(binding.roleRef.kind).toBe('ClusterRole');
      expect(binding.subjects).toEqual([subject]);
    }
  });

  it('binds the target ClusterRole, to remediator only, in namespaces other than its own', () => {
    const targets = all(objects, 'RoleBinding').filter(
      (b) => b.metadata.namespace !== ownNamespace && b.roleRef.name !== GITOPS_CLUSTER_ROLE,
    );
    expect(targets.map((b) => b.metadata.namespace)).toContain('prod');
    for (const binding of targets) {
      expect(binding.roleRef).toEqual({
        apiGroup: 'rbac.authorization.k8s.io',
        kind: 'ClusterRole',
        name: TARGET_CLUSTER_ROLE,
      });
      expect(binding.subjects).toEqual([subject]);
    }
  });
});

describe('the PrometheusRules', () => {
  const files = readdirSync(join(ROOT, RULES_DIR))
    .filter((f) => f.endsWith(RULES_SUFFIX))
    .sort();

  it.each(files)('hold the groups of %s, unchanged', (file) => {
    const rule = one(objects, 'PrometheusRule', prometheusRuleName(file));
    expect(rule.spec.groups).toEqual(parse(read(`${RULES_DIR}/${file}`)).groups);
  });

  it('exist only for the rules files', () => {
    expect(
      all(objects, 'PrometheusRule')
        .map((r) => r.metadata.name)
        .sort(),
    ).toEqual(files.map(prometheusRuleName).sort());
  });
});

describe('the Grafana dashboard ConfigMap', () => {
  it('holds deploy/grafana/remediator.json byte for byte, labelled for the Grafana sidecar', () => {
    const configMap = one(objects, 'ConfigMap', DASHBOARD_CONFIG_MAP);
    expect(configMap.metadata.labels?.grafana_dashboard).toBe('1');
    expect(configMap.data).toEqual({ [DASHBOARD_KEY]: read(DASHBOARD_FILE) });
  });
});

describe('the AlertmanagerConfig', () => {
  const receiver = alertmanagerConfig.spec.receivers.find(
    (r: any) => r.name === alertmanagerConfig.spec.route.receiver,
  );
  const webhook = receiver.webhookConfigs[0];

  it('posts to the Service’s DNS name and port, on the webhook path', () => {
    const port = (service.spec.ports as any[]).find((p) => p.name === 'http').port;
    expect(webhook.url).toBe(
      `http://${service.metadata.name}.${service.metadata.namespace}.svc:${port}${WEBHOOK_PATH}`,
    );
  });

  it('sends resolved notices and every alert of a group, with the token remediator reads', () => {
    expect(webhook.sendResolved).toBe(true);
    expect(webhook.maxAlerts).toBe(0);
    const tokenFile = envValue('REMEDIATOR_WEBHOOK_TOKEN_FILE')!;
    const secretName = mountHolding(tokenFile).volume.secret.secretName;
    expect(webhook.httpConfig.authorization).toEqual({
      type: 'Bearer',
      credentials: { name: secretName, key: posix.basename(tokenFile) },
    });
  });

  it('lives in a target namespace: the operator routes only alerts of its own namespace to it', () => {
    const targets = all(objects, 'RoleBinding')
      .filter((b) => b.roleRef.name === TARGET_CLUSTER_ROLE)
      .map((b) => b.metadata.namespace);
    expect(targets).toContain(alertmanagerConfig.metadata.namespace);
  });
});
