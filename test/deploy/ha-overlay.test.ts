import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { posix } from 'node:path';
import { parse } from 'yaml';
import {
  all,
  containerArg,
  one,
  read,
  renderKustomization,
  volumeHolding,
  type KubeObject,
} from './manifests';

/*
 * deploy/overlays/ha, the high-availability install (several replicas on a PostgreSQL journal), as
 * kubectl renders it, against the base deploy/k8s as kubectl renders that: what the overlay must
 * change (replicas, rollout, disruption budget, spread, no volume claim, the journal Secret, the
 * advertised URL), and that it changes nothing else.
 */

const OVERLAY = 'deploy/overlays/ha';
const JOURNAL_SECRET = 'remediator-journal';
const JOURNAL_KEY = 'url';

const rendered = renderKustomization(OVERLAY);
// kustomize v2 (kubectl 1.20, what CI installs on Debian) cannot drop a base's object: what a
// `$patch: delete` leaves is an empty document. Newer kustomize leaves nothing.
const empty = rendered.filter((o) => Object.keys(o).length === 0);
const objects = rendered.filter((o) => Object.keys(o).length > 0);
const base = renderKustomization('deploy/k8s');

const deployment = one(objects, 'Deployment', 'remediator');
const podSpec = deployment.spec.template.spec;
const container = podSpec.containers[0];
const podLabels: Record<string, string> = deployment.spec.template.metadata.labels;
const baseDeployment = one(base, 'Deployment', 'remediator');

const env = (name: string): any => (container.env as any[]).find((e) => e.name === name);

const argValue = (flag: string): string => containerArg(container, flag);
const mountHolding = (path: string) => volumeHolding(podSpec, container, path);

const matchesLabels = (selector: Record<string, string>, labels: Record<string, string> = {}) =>
  Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels[k] === v);

const id = (o: KubeObject) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;

describe('kubectl kustomize deploy/overlays/ha', () => {
  it('renders the base’s objects without the PersistentVolumeClaim, plus a PodDisruptionBudget', () => {
    const pvc = one(base, 'PersistentVolumeClaim');
    expect(objects.map(id).sort()).toEqual(
      [
        ...base.filter((o) => o !== pvc).map(id),
        'PodDisruptionBudget/remediator/remediator',
      ].sort(),
    );
    // Only kustomize v2's leftover of the one deleted object, if anything.
    expect(empty.length).toBeLessThanOrEqual(1);
  });

  it('changes no object of the base other than the Deployment', () => {
    for (const object of objects) {
      if (object.kind === 'Deployment' || object.kind === 'PodDisruptionBudget') continue;
      expect(object).toEqual(base.find((b) => id(b) === id(object)));
    }
  });

  it('uses only what the kustomize v2 inside Debian kubectl 1.20 understands', () => {
    const kustomization = parse(read(`${OVERLAY}/kustomization.yaml`));
    const allowed = ['apiVersion', 'kind', 'bases', 'resources', 'patchesStrategicMerge'];
    expect(Object.keys(kustomization).filter((k) => !allowed.includes(k))).toEqual([]);
    expect(kustomization.bases).toEqual(['../../k8s']);
    // v2 reads only files in `resources` and `patchesStrategicMerge` (directories came with v2.1).
    for (const file of [...kustomization.resources, ...kustomization.patchesStrategicMerge]) {
      expect(file).toMatch(/^[\w.-]+\.ya?ml$/);
    }
  });

  it('gives the Deployment and the PodDisruptionBudget shapes their models accept', () => {
    expect(() => new Deployment(deployment as any).validate()).not.toThrow();
    const pdb = one(objects, 'PodDisruptionBudget');
    expect(() => new PodDisruptionBudget(pdb as any).validate()).not.toThrow();
  });
});

describe('the HA Deployment', () => {
  it('runs 3 replicas, rolled by starting a new pod before stopping an old one', () => {
    expect(deployment.spec.replicas).toBe(3);
    expect(deployment.spec.strategy).toEqual({
      type: 'RollingUpdate',
      rollingUpdate: { maxSurge: 1, maxUnavailable: 0 },
    });
  });

  it('keeps everything else of the base’s Deployment: probes, security context, resources, args, mounts', () => {
    const changedEnv = ['REMEDIATOR_JOURNAL_FILE', 'POD_IP', 'REMEDIATOR_ADVERTISE_URL'];
    const changedVolumes = ['data', 'journal'];
    const rest = (d: KubeObject) => {
      const copy = structuredClone(d);
      delete copy.spec.replicas;
      delete copy.spec.strategy;
      const spec = copy.spec.template.spec;
      delete spec.topologySpreadConstraints;
      const c = spec.containers[0];
      c.env = c.env.filter((e: any) => !changedEnv.includes(e.name));
      c.volumeMounts = c.volumeMounts
        .filter((m: any) => m.name !== 'journal')
        .sort((a: any, b: any) => a.name.localeCompare(b.name));
      spec.volumes = spec.volumes
        .filter((v: any) => !changedVolumes.includes(v.name))
        .sort((a: any, b: any) => a.name.localeCompare(b.name));
      return copy;
    };
    expect(rest(deployment)).toEqual(rest(baseDeployment));
    expect(container.livenessProbe).toBeDefined();
    expect(container.securityContext.readOnlyRootFilesystem).toBe(true);
  });

  it('mounts an emptyDir at the data directory, and refers to no PersistentVolumeClaim', () => {
    const { mount, volume } = mountHolding(argValue('data-dir'));
    expect(mount.mountPath).toBe(argValue('data-dir'));
    expect(Object.keys(volume).sort()).toEqual(['emptyDir', 'name']);
    expect(volume.emptyDir.sizeLimit).toEqual(expect.any(String));
    expect(all(objects, 'PersistentVolumeClaim')).toEqual([]);
    expect(JSON.stringify(rendered)).not.toMatch(/persistentVolumeClaim|PersistentVolumeClaim/);
  });

  it('reads the journal URL from the key url of the Secret remediator-journal, as a file REMEDIATOR_JOURNAL_FILE names', () => {
    const file: string = env('REMEDIATOR_JOURNAL_FILE')?.value;
    expect(file).toMatch(/^\//);
    const { mount, volume } = mountHolding(file);
    expect(mount.readOnly).toBe(true);
    expect(mount.subPath).toBeUndefined(); // a subPath mount would not see a rotated password
    expect(posix.dirname(file)).toBe(mount.mountPath);
    expect(posix.basename(file)).toBe(JOURNAL_KEY);
    expect(volume.secret.secretName).toBe(JOURNAL_SECRET);
    expect(volume.secret.items).toBeUndefined(); // so the file is named by the key
    expect(volume.secret.optional).not.toBe(true); // no journal, no start
    expect(volume.secret.defaultMode).toBe(0o440); // remediator's group (fsGroup), not others
    // The Secret holds the password: created by the operator (README.md), never shipped.
    expect(all(objects, 'Secret')).toEqual([]);
  });

  it('puts no journal URL in an environment variable or an argument, only the file’s path', () => {
    expect(env('REMEDIATOR_JOURNAL')).toBeUndefined();
    expect(container.args).not.toContain('--journal');
    for (const e of container.env as any[]) expect(e.value ?? '').not.toMatch(/postgres/i);
    for (const a of container.args as string[]) expect(a).not.toMatch(/postgres/i);
  });

  it('advertises http://POD_IP:PORT, the pod IP from the downward API, defined before its use', () => {
    const names = (container.env as any[]).map((e) => e.name);
    expect(env('POD_IP')?.valueFrom).toEqual({ fieldRef: { fieldPath: 'status.podIP' } });
    // Kubernetes expands $(VAR) only for variables defined earlier in the list.
    expect(names.indexOf('POD_IP')).toBeLessThan(names.indexOf('REMEDIATOR_ADVERTISE_URL'));
    const advertised: string = env('REMEDIATOR_ADVERTISE_URL')?.value;
    expect(advertised).toContain('$(POD_IP)');
    const url = new URL(advertised.replace('$(POD_IP)', '10.1.2.3'));
    expect(url.protocol).toBe('http:');
    expect(url.hostname).toBe('10.1.2.3');
    const http = (container.ports as any[]).find((p) => p.name === 'http');
    expect(Number(url.port)).toBe(http.containerPort);
    expect(url.pathname).toBe('/');
  });

  it('spreads the replicas over nodes strictly and over zones where it can', () => {
    const constraints: any[] = podSpec.topologySpreadConstraints ?? [];
    const on = (key: string) => constraints.find((c) => c.topologyKey === key);
    const nodes = on('kubernetes.io/hostname');
    const zones = on('topology.kubernetes.io/zone');
    expect(nodes).toMatchObject({ maxSkew: 1, whenUnsatisfiable: 'DoNotSchedule' });
    // A cordoned or unreachable node must not count as an empty one, or a drain's pods stay Pending.
    expect(nodes.nodeTaintsPolicy).toBe('Honor');
    // Nodes without a zone label would be ruled out by DoNotSchedule.
    expect(zones).toMatchObject({ maxSkew: 1, whenUnsatisfiable: 'ScheduleAnyway' });
    for (const c of [nodes, zones]) {
      expect(matchesLabels(c.labelSelector.matchLabels, podLabels)).toBe(true);
      expect(c.matchLabelKeys).toEqual(['pod-template-hash']);
    }
  });
});

describe('the PodDisruptionBudget', () => {
  const pdb = one(objects, 'PodDisruptionBudget');

  it('selects the Deployment’s pods, in their namespace, and nothing else of the overlay', () => {
    expect(pdb.metadata.namespace).toBe(deployment.metadata.namespace);
    expect(Object.keys(pdb.spec.selector)).toEqual(['matchLabels']);
    expect(matchesLabels(pdb.spec.selector.matchLabels, podLabels)).toBe(true);
    expect(pdb.spec.selector.matchLabels).toEqual(deployment.spec.selector.matchLabels);
  });

  it('lets one replica of three go at a time, and never blocks a drain on unready pods', () => {
    const replicas: number = deployment.spec.replicas;
    const allowed =
      pdb.spec.maxUnavailable !== undefined
        ? pdb.spec.maxUnavailable
        : replicas - pdb.spec.minAvailable;
    expect(allowed).toBe(1);
    expect(pdb.spec.unhealthyPodEvictionPolicy).toBe('AlwaysAllow');
  });
});

describe('deploy/overlays/ha/README.md', () => {
  const readme = read(`${OVERLAY}/README.md`);

  it('creates the Secret and key the Deployment mounts, from a file', () => {
    // Each `kubectl create secret` of the README, `\` continuations joined.
    const commands = [
      ...readme.replace(/\\\n\s*/g, '').matchAll(/^\s*kubectl .*create secret.*$/gm),
    ].map((m) => m[0].trim());
    expect(commands.length).toBeGreaterThan(0);
    for (const command of commands) {
      expect(command).toContain(
        `kubectl -n ${deployment.metadata.namespace} create secret generic ${JOURNAL_SECRET} `,
      );
      // From a file: a literal would leave the password in the shell's history.
      expect(command).toContain(` --from-file=${JOURNAL_KEY}=`);
      expect(command).not.toContain('--from-literal');
    }
  });

  it('applies the overlay by its path', () => {
    expect(readme).toContain(`kubectl apply -k ${OVERLAY}`);
  });
});
