/**
 * A stateful fake Kubernetes API server for tests: plain HTTP on 127.0.0.1, driven in-process.
 * See README.md in this folder for what it models and what it does not.
 */
export {
  startFakeKube,
  type FakeKube,
  type FakeKubeOptions,
  type KubeObject,
  type RecordedRequest,
} from './start-fake-kube';
export type { FaultRule } from './faults';
export { kubeconfigOptions, kubeconfigYaml } from './kubeconfig';
export { formatMicroTime, formatTime } from './micro-time';
export { spawnFakeKube, type SpawnedFakeKube } from './spawn-fake-kube';
