import { createHash } from 'node:crypto';
import type { V1EnvVar, V1Job } from '@kubernetes/client-node';
import type { FromSchema } from 'json-schema-to-ts';
import { KubeError } from '../../kube/errors';
import { envVarNameProblem } from '../../kube/names';
import { objectRef, readTargetObject } from '../../kube/objects';
import { MANAGED_BY } from '../../kube/port';
import type { ActionSpec } from '../../policies/action-spec';
import type { Action, ActionContext, ActionDecision, ActionResult } from '../action';
import { asModel, type Plain } from './history';

/** Diagnostics: a Job from a template in the policy, with the alert's labels in its environment. */
const runJobSpec = {
  name: 'run-job',
  description:
    "Runs a diagnostic batch/v1 Job in the target's namespace (the runbook's quick system check or model metrics check): the image and command come from the policy, every alert label is passed as an environment variable `ALERT_LABEL_<NAME>`, the Job is deleted `ttlSecondsAfterFinished` after it ends, and its outcome (succeeded or failed) is recorded in the incident timeline.",
  targetKinds: ['Deployment', 'StatefulSet', 'DaemonSet', 'Pod'],
  remediates: false,
  params: {
    type: 'object',
    additionalProperties: false,
    required: ['image'],
    properties: {
      image: { type: 'string', minLength: 1, description: 'Container image.' },
      command: {
        type: 'array',
        items: { type: 'string' },
        description: 'Entrypoint (templates allowed).',
      },
      args: {
        type: 'array',
        items: { type: 'string' },
        description: 'Arguments (templates allowed).',
      },
      env: {
        type: 'object',
        additionalProperties: { type: 'string' },
        default: {},
        description:
          'Extra environment variables (templates allowed in values). Names follow the rule API servers before Kubernetes 1.32 apply: letters, digits, `_`, `-` and `.`, not starting with a digit.',
      },
      serviceAccountName: {
        type: 'string',
        minLength: 1,
        description: 'Service account the Job runs as.',
      },
      activeDeadlineSeconds: {
        type: 'integer',
        minimum: 1,
        default: 600,
        description: 'Kill the Job after this long.',
      },
      ttlSecondsAfterFinished: {
        type: 'integer',
        minimum: 0,
        default: 3600,
        description: 'Delete the Job this long after it finished.',
      },
    },
  },
  // A name such as `my var` is accepted by 1.32+ (RelaxedEnvironmentVariableValidation) but gets
  // a 422 on Job create from every earlier API server: refuse it when the policy is loaded.
  checkParams(params) {
    const env = params.env;
    if (typeof env !== 'object' || env === null) return [];
    return Object.keys(env).flatMap((name): [string, string][] => {
      const problem = envVarNameProblem(name);
      return problem === undefined
        ? []
        : [['env', `environment variable name ${JSON.stringify(name)} ${problem}`]];
    });
  },
  rbac: [{ apiGroups: ['batch'], resources: ['jobs'], verbs: ['get', 'create'] }],
  example: {
    action: 'run-job',
    params: {
      image: 'curlimages/curl:8.10.1',
      command: ['curl', '-fsS', 'http://{{ labels.service }}.{{ labels.namespace }}/health'],
    },
  },
} as const satisfies ActionSpec;

export type RunJobParams = FromSchema<
  typeof runJobSpec.params,
  { keepDefaultedPropertiesOptional: true }
>;

/** Label on the Job and its pods: the incident that ran it. */
export const INCIDENT_LABEL = 'remediator.dev/incident';
/** Annotation on the Job: the policy that ran it. */
export const POLICY_ANNOTATION = 'remediator.dev/policy';
/** The Job's one container. */
export const JOB_CONTAINER = 'diagnostics';
/** How long past `activeDeadlineSeconds` `awaitOutcome` keeps waiting for the Job's status. */
export const OUTCOME_GRACE_SECONDS = 30;

/** What `apply()`, `reconcile()` and `awaitOutcome()` need; journaled before the write. */
export interface RunJobIntent {
  readonly namespace: string;
  readonly job: string;
  readonly activeDeadlineSeconds: number;
  readonly body: Plain<V1Job>;
}

/** What `awaitOutcome` waits with; injected by tests. */
export interface RunJobDeps {
  /** Waits between two reads of the Job (default: a timer). */
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Epoch milliseconds (default: Date.now). */
  readonly now?: () => number;
  /** Between two reads of the Job; default 2 s. */
  readonly pollIntervalMs?: number;
}

/**
 * `remediator-<policy>-<8 hex>`: the hash of the incident, the policy, the plan step and what it
 * planned (target, params, alert instances), so that running the same step again names the same
 * Job (a retried create then meets AlreadyExists), while another step or incident gets its own. At most 63
 * characters: the name becomes the `job-name` label of its pods.
 */
export function jobName(ctx: ActionContext): string {
  const hash = createHash('sha256')
    .update(
      JSON.stringify({
        incident: ctx.incident.id,
        policy: ctx.policy,
        step: [ctx.planId, ctx.step],
        plan: {
          target: ctx.target ?? null,
          params: ctx.params,
          alerts: ctx.alerts.map((a) => `${a.fingerprint}@${a.startsAt}`),
        },
      }),
    )
    .digest('hex')
    .slice(0, 8);
  const policy = ctx.policy
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .slice(0, 63 - 'remediator--'.length - hash.length)
    .replace(/^-+|-+$/g, '');
  return policy === '' ? `remediator-${hash}` : `remediator-${policy}-${hash}`;
}

/**
 * `ALERT_LABEL_<NAME>`: upper case, every character other than A-Z and 0-9 an underscore, so
 * that any label name (Alertmanager allows UTF-8 ones) gives a C identifier, which every API
 * server's env name rule accepts.
 */
export function alertLabelEnvName(label: string): string {
  return `ALERT_LABEL_${label.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}

/**
 * The container's environment: the policy's `env`, then every label of the first triggering
 * alert (sorted by name; a name already set by the policy keeps the policy's value), then
 * remediator's own variables, which nothing overrides.
 */
function jobEnv(ctx: ActionContext, params: RunJobParams, namespace: string, name: string) {
  const env = new Map<string, string>(Object.entries(params.env ?? {}));
  const labels = ctx.alerts[0]?.labels ?? {};
  for (const label of Object.keys(labels).sort()) {
    const envName = alertLabelEnvName(label);
    const value = labels[label];
    if (!env.has(envName) && value !== undefined) env.set(envName, value);
  }
  const own: [string, string][] = [
    ['REMEDIATOR_INCIDENT_ID', String(ctx.incident.id)],
    ['REMEDIATOR_TARGET_NAMESPACE', namespace],
    ['REMEDIATOR_TARGET_NAME', name],
  ];
  for (const [key, value] of own) {
    env.delete(key);
    env.set(key, value);
  }
  return [...env].map(([key, value]): Plain<V1EnvVar> => ({ name: key, value }));
}

/** The Job, as POSTed. */
function jobBody(
  ctx: ActionContext,
  params: RunJobParams,
  namespace: string,
  target: string,
): Plain<V1Job> {
  const name = jobName(ctx);
  const labels = { ...MANAGED_BY, [INCIDENT_LABEL]: String(ctx.incident.id) };
  const defaults = runJobSpec.params.properties;
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace, labels, annotations: { [POLICY_ANNOTATION]: ctx.policy } },
    spec: {
      // One attempt: a diagnostic that fails says so; retrying it would only delay the answer.
      backoffLimit: 0,
      activeDeadlineSeconds: params.activeDeadlineSeconds ?? defaults.activeDeadlineSeconds.default,
      ttlSecondsAfterFinished:
        params.ttlSecondsAfterFinished ?? defaults.ttlSecondsAfterFinished.default,
      template: {
        metadata: { labels },
        spec: {
          restartPolicy: 'Never',
          ...(params.serviceAccountName === undefined
            ? {}
            : { serviceAccountName: params.serviceAccountName }),
          containers: [
            {
              name: JOB_CONTAINER,
              image: params.image,
              ...(params.command === undefined ? {} : { command: [...params.command] }),
              ...(params.args === undefined ? {} : { args: [...params.args] }),
              env: jobEnv(ctx, params, namespace, target),
            },
          ],
        },
      },
    },
  };
}

async function plan(ctx: ActionContext): Promise<ActionDecision> {
  const target = ctx.target;
  if (target === undefined) return { kind: 'skip', reason: 'run-job needs a target' };
  const { namespace, name } = target;
  const params = ctx.params as RunJobParams;
  // The target's uid, so that the audit Event shows in `kubectl describe` of the target.
  const regarding = objectRef(target, await readTargetObject(ctx.kube, target));
  const body = jobBody(ctx, params, namespace, name);
  const intent: RunJobIntent = {
    namespace,
    job: body.metadata?.name ?? '',
    activeDeadlineSeconds: body.spec?.activeDeadlineSeconds ?? 0,
    body,
  };
  return {
    kind: 'act',
    summary: `run job ${namespace}/${intent.job} (image ${params.image})`,
    intent: { ...intent },
    regarding,
  };
}

async function apply(
  ctx: ActionContext,
  raw: Readonly<Record<string, unknown>>,
): Promise<ActionResult> {
  const intent = raw as unknown as RunJobIntent;
  let existed = false;
  try {
    await ctx.kube.createJob(intent.namespace, asModel<V1Job>(intent.body), {
      dryRun: ctx.dryRun,
    });
  } catch (err) {
    // The name is ours (it hashes the incident and the plan): this is our own earlier POST,
    // retried after a lost answer or a restart.
    if (!(err instanceof KubeError && err.alreadyExists)) throw err;
    existed = true;
  }
  const what = `job ${intent.namespace}/${intent.job}`;
  return {
    summary: ctx.dryRun
      ? `would create ${what}`
      : existed
        ? `${what} was already created`
        : `created ${what}`,
    data: { job: intent.job, alreadyExisted: existed },
  };
}

/** Done when the Job exists (its outcome is `awaitOutcome`'s business). */
async function reconcile(
  ctx: ActionContext,
  raw: Readonly<Record<string, unknown>>,
): Promise<'done' | 'not_done' | 'unknown'> {
  const intent = raw as unknown as RunJobIntent;
  try {
    await ctx.kube.readJob(intent.namespace, intent.job);
    return 'done';
  } catch (err) {
    if (err instanceof KubeError) return err.reason === 'not_found' ? 'not_done' : 'unknown';
    throw err;
  }
}

function seconds(date: Date | string | undefined): number | undefined {
  if (date === undefined) return undefined;
  const ms = new Date(date).getTime();
  return Number.isNaN(ms) ? undefined : ms / 1000;
}

/** How a finished Job ended, or undefined while it runs. */
export function jobOutcome(
  job: V1Job,
  name: string,
): { readonly succeeded: boolean; readonly summary: string } | undefined {
  const status = job.status;
  const condition = (type: string) =>
    status?.conditions?.find((c) => c.type === type && c.status === 'True');
  const complete = condition('Complete');
  const failed = condition('Failed');
  if (complete !== undefined || (failed === undefined && (status?.succeeded ?? 0) > 0)) {
    const start = seconds(status?.startTime);
    const end = seconds(status?.completionTime ?? complete?.lastTransitionTime);
    const took = start !== undefined && end !== undefined ? ` in ${Math.round(end - start)} s` : '';
    return { succeeded: true, summary: `job ${name} succeeded${took}` };
  }
  if (failed !== undefined || (status?.failed ?? 0) > 0) {
    const why = failed?.reason ?? `${status?.failed ?? 0} pod(s) failed`;
    return { succeeded: false, summary: `job ${name} failed: ${why}` };
  }
  return undefined;
}

/** The `run-job` action, with `awaitOutcome` polling through `deps`. */
export function createRunJob(deps: RunJobDeps = {}): Action {
  // An abort ends the wait early (the loop then sees it), never with an error. The signal lives
  // as long as the executor: each wait takes its listener off again, or every poll would leave one.
  const sleep =
    deps.sleep ??
    ((ms: number, signal?: AbortSignal) =>
      new Promise<void>((resolve) => {
        // An abort that came first never fires again: do not wait the whole interval for it.
        if (signal?.aborted === true) {
          resolve();
          return;
        }
        const onAbort = (): void => {
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        }, ms);
        signal?.addEventListener('abort', onAbort, { once: true });
      }));
  const now = deps.now ?? Date.now;
  const interval = deps.pollIntervalMs ?? 2_000;

  async function awaitOutcome(
    ctx: ActionContext,
    raw: Readonly<Record<string, unknown>>,
  ): Promise<{ readonly succeeded: boolean; readonly summary: string }> {
    const intent = raw as unknown as RunJobIntent;
    if (ctx.dryRun) {
      return { succeeded: true, summary: `dry run: job ${intent.job} was not created` };
    }
    const limitSeconds = intent.activeDeadlineSeconds + OUTCOME_GRACE_SECONDS;
    const started = now();
    for (;;) {
      if (ctx.signal?.aborted === true) {
        return {
          succeeded: false,
          summary: `stopped waiting for job ${intent.job}: remediator shut down`,
        };
      }
      let job: V1Job;
      try {
        job = await ctx.kube.readJob(intent.namespace, intent.job);
      } catch (err) {
        if (err instanceof KubeError && err.reason === 'not_found') {
          return { succeeded: false, summary: `job ${intent.job} disappeared before it finished` };
        }
        throw err;
      }
      const outcome = jobOutcome(job, intent.job);
      if (outcome !== undefined) return outcome;
      if (now() - started >= limitSeconds * 1000) {
        return {
          succeeded: false,
          summary: `job ${intent.job} did not finish within ${limitSeconds} s`,
        };
      }
      await sleep(interval, ctx.signal);
    }
  }

  return { ...runJobSpec, plan, apply, reconcile, awaitOutcome };
}

/** The `run-job` action. */
export const runJob: Action = createRunJob();
