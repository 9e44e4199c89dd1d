/**
 * The end-to-end harness: a real Prometheus and Alertmanager, a simulated service, the fake
 * Kubernetes API server and `remediator serve` from `dist/`, all on loopback. See ../README.md.
 */
export {
  startStack,
  OWN_NAMESPACE,
  WEBHOOK_TOKEN,
  type Notice,
  type Stack,
  type StackOptions,
} from './stack';
export {
  HEART_DISEASE_API,
  REVISION,
  seedService,
  type JobFate,
  type Revision,
  type ServiceSpec,
} from './cluster';
export { elapsed, phase, phaseTimings, step } from './log';
export { freePort, freePorts, refusesConnections } from './ports';
export { postgresBinDir, startPostgres, type PrivatePostgres } from './postgres';
export { exists, requireBinaries, which } from './processes';
export {
  Remediator,
  sumSeries,
  type IncidentView,
  type PlanView,
  type RemediationView,
  type TimelineEntry,
} from './remediator';
export {
  parseDuration,
  rewritePolicies,
  rewriteRuleDurations,
  type PolicyDocument,
} from './rewrite';
export {
  DEFAULT_BEHAVIOUR,
  LATENCY_BUCKETS,
  startSimService,
  type SimBehaviour,
  type SimService,
} from './sim-service';
export { startTcpProxy, type ProxyTarget, type TcpProxy } from './tcp-proxy';
export { GiveUp, sleep, waitFor } from './wait';
