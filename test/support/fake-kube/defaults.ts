import { asArray, asObject, asString, ensureObject, isObject, type JsonObject } from './json';

/**
 * Defaulting the server applies when it decodes an object (on create, update and after a patch),
 * limited to the fields tests and remediator look at. Applying the same defaults to Deployments
 * and ReplicaSets keeps template comparisons (rollback) as they are against a real cluster.
 */

function defaultContainer(container: JsonObject): void {
  container.terminationMessagePath ??= '/dev/termination-log';
  container.terminationMessagePolicy ??= 'File';
  if (container.imagePullPolicy === undefined) {
    // An image that does not parse (empty) counts as tagged, as in SetDefaults_Container.
    const image = asString(container.image) ?? '';
    const lastSegment = image.split('/').pop() ?? image;
    const hasDigest = image.includes('@');
    const tag = lastSegment.includes(':') ? lastSegment.split(':').pop() : 'latest';
    const latest = image !== '' && !hasDigest && tag === 'latest';
    container.imagePullPolicy = latest ? 'Always' : 'IfNotPresent';
  }
  container.resources ??= {};
  for (const port of asArray(container.ports) ?? []) {
    if (isObject(port)) port.protocol ??= 'TCP';
  }
  for (const env of asArray(container.env) ?? []) {
    const fieldRef = asObject(asObject(asObject(env)?.valueFrom)?.fieldRef);
    if (fieldRef !== undefined) fieldRef.apiVersion ??= 'v1';
  }
}

/** SetDefaults_PodSpec and friends. */
export function defaultPodSpec(spec: JsonObject): void {
  spec.restartPolicy ??= 'Always';
  spec.terminationGracePeriodSeconds ??= 30;
  spec.dnsPolicy ??= 'ClusterFirst';
  spec.securityContext ??= {};
  spec.schedulerName ??= 'default-scheduler';
  for (const list of ['containers', 'initContainers']) {
    for (const container of asArray(spec[list]) ?? []) {
      if (isObject(container)) defaultContainer(container);
    }
  }
  for (const volume of asArray(spec.volumes) ?? []) {
    if (!isObject(volume)) continue;
    const configMap = asObject(volume.configMap);
    if (configMap !== undefined) configMap.defaultMode ??= 420;
    const secret = asObject(volume.secret);
    if (secret !== undefined) secret.defaultMode ??= 420;
  }
}

function defaultTemplate(spec: JsonObject): void {
  const template = ensureObject(spec, 'template');
  defaultPodSpec(ensureObject(template, 'spec'));
}

/** apps/v1 Deployment defaults. */
export function defaultDeployment(obj: JsonObject): void {
  const spec = ensureObject(obj, 'spec');
  spec.replicas ??= 1;
  const strategy = ensureObject(spec, 'strategy');
  strategy.type ??= 'RollingUpdate';
  if (strategy.type === 'RollingUpdate') {
    const rolling = ensureObject(strategy, 'rollingUpdate');
    rolling.maxUnavailable ??= '25%';
    rolling.maxSurge ??= '25%';
  }
  spec.revisionHistoryLimit ??= 10;
  spec.progressDeadlineSeconds ??= 600;
  defaultTemplate(spec);
}

/** apps/v1 ReplicaSet defaults. */
export function defaultReplicaSet(obj: JsonObject): void {
  const spec = ensureObject(obj, 'spec');
  spec.replicas ??= 1;
  defaultTemplate(spec);
}

/** apps/v1 StatefulSet defaults. */
export function defaultStatefulSet(obj: JsonObject): void {
  const spec = ensureObject(obj, 'spec');
  spec.replicas ??= 1;
  spec.podManagementPolicy ??= 'OrderedReady';
  const strategy = ensureObject(spec, 'updateStrategy');
  strategy.type ??= 'RollingUpdate';
  if (strategy.type === 'RollingUpdate') ensureObject(strategy, 'rollingUpdate').partition ??= 0;
  spec.revisionHistoryLimit ??= 10;
  const retention = ensureObject(spec, 'persistentVolumeClaimRetentionPolicy');
  retention.whenDeleted ??= 'Retain';
  retention.whenScaled ??= 'Retain';
  defaultTemplate(spec);
}

/** apps/v1 DaemonSet defaults. */
export function defaultDaemonSet(obj: JsonObject): void {
  const spec = ensureObject(obj, 'spec');
  const strategy = ensureObject(spec, 'updateStrategy');
  strategy.type ??= 'RollingUpdate';
  if (strategy.type === 'RollingUpdate') {
    const rolling = ensureObject(strategy, 'rollingUpdate');
    rolling.maxUnavailable ??= 1;
    rolling.maxSurge ??= 0;
  }
  spec.revisionHistoryLimit ??= 10;
  defaultTemplate(spec);
}

/** batch/v1 Job defaults (the pod template gets restartPolicy Always, which validation refuses). */
export function defaultJob(obj: JsonObject): void {
  const spec = ensureObject(obj, 'spec');
  spec.parallelism ??= 1;
  spec.completions ??= 1;
  spec.backoffLimit ??= 6;
  spec.completionMode ??= 'NonIndexed';
  spec.suspend ??= false;
  spec.podReplacementPolicy ??= 'TerminatingOrFailed';
  defaultTemplate(spec);
}

/** autoscaling/v2 HorizontalPodAutoscaler defaults. */
export function defaultHorizontalPodAutoscaler(obj: JsonObject): void {
  const spec = ensureObject(obj, 'spec');
  spec.minReplicas ??= 1;
  const metrics = asArray(spec.metrics);
  if (metrics === undefined || metrics.length === 0) {
    spec.metrics = [
      {
        type: 'Resource',
        resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } },
      },
    ];
  }
}

/** networking.k8s.io/v1 NetworkPolicy defaults: policyTypes from the rules present. */
export function defaultNetworkPolicy(obj: JsonObject): void {
  const spec = ensureObject(obj, 'spec');
  spec.podSelector ??= {};
  const types = asArray(spec.policyTypes);
  if (types === undefined || types.length === 0) {
    const egress = asArray(spec.egress);
    spec.policyTypes =
      egress !== undefined && egress.length > 0 ? ['Ingress', 'Egress'] : ['Ingress'];
  }
}

/** core/v1 Pod defaults. */
export function defaultPod(obj: JsonObject): void {
  const spec = ensureObject(obj, 'spec');
  defaultPodSpec(spec);
  spec.enableServiceLinks ??= true;
}
