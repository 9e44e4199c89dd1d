import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { describeError } from '../errors';
import { ClientNodeKube, loadKubeConfig } from '../kube/adapter';
import { findKubeCredentials } from '../kube/credentials';
import { KubeError } from '../kube/errors';
import type { KubePort } from '../kube/port';
import { remediationEvent } from '../remediations/audit';
import { NotSuspendedError, resumeOwner, resumeTarget } from '../remediations/gitops-suspension';
import { EXIT, parseCommandLine, usageError, type CommandIo } from './command';

export const GITOPS_USAGE = `Usage: remediator gitops resume KIND NAMESPACE/NAME

Lifts a GitOps suspension that remediator made before acting on a workload (a policy with
\`gitops: suspend\`): KIND is Kustomization or HelmRelease (Flux: spec.suspend back to false,
and a reconcile requested) or Application (Argo CD: the automated sync policy it had, kept in
its annotation remediator.dev/previous-automated-sync, is restored). remediator never lifts a
suspension itself: fix Git first, or the controller redeploys what made the incident.

Talks to the Kubernetes API with your credentials (KUBECONFIG, ~/.kube/config, or the pod's
service account), as kubectl does; the running server offers the same as
POST /api/v1/gitops/resume. Refuses an object remediator did not suspend.

Exit status: 0 when resumed, 1 when refused or the API server said no, 2 on a usage error.`;

/** `remediator gitops resume KIND NAMESPACE/NAME`. Resolves with the exit code. */
export async function gitopsCommand(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  io: CommandIo,
  connect: (
    env: Readonly<Record<string, string | undefined>>,
  ) => KubePort | undefined = connectKube,
  now: () => Date = () => new Date(),
): Promise<number> {
  const args = parseCommandLine('gitops', argv, {}, io);
  if (args === undefined) return EXIT.usage;
  if (args.values.help === true) {
    io.out(`${GITOPS_USAGE}\n`);
    return EXIT.ok;
  }
  const [verb, kind, namespacedName, ...extra] = args.positionals;
  if (verb !== 'resume' || kind === undefined || namespacedName === undefined || extra.length > 0)
    return usageError('gitops', 'give: resume KIND NAMESPACE/NAME', io);
  const [namespace, name, ...rest] = namespacedName.split('/');
  const target = resumeTarget(kind, namespace, rest.length === 0 ? name : undefined);
  if (typeof target === 'string') return usageError('gitops', target, io);
  const kube = connect(env);
  if (kube === undefined) {
    io.err(
      'remediator gitops: no Kubernetes credentials (no service account, KUBECONFIG or ~/.kube/config)\n',
    );
    return EXIT.failed;
  }
  try {
    const at = now();
    const resumed = await resumeOwner(kube, target.resource, target.namespace, target.name, at);
    try {
      await kube.createEvent(
        resumed.ref.namespace,
        remediationEvent({
          regarding: resumed.ref,
          action: 'resume',
          reason: 'GitOpsResumed',
          note: `${resumed.summary} with remediator gitops resume`,
          instance: `remediator-cli@${hostname()}`,
          now: at,
        }),
      );
    } catch (err) {
      io.err(
        `remediator gitops: resumed, but the Event could not be written: ${describeError(err)}\n`,
      );
    }
    io.out(`${resumed.summary}\n`);
    return EXIT.ok;
  } catch (err) {
    if (err instanceof NotSuspendedError || err instanceof KubeError) {
      io.err(`remediator gitops: ${err.message}\n`);
      return EXIT.failed;
    }
    throw err;
  } finally {
    if (kube instanceof ClientNodeKube) kube.close();
  }
}

function connectKube(env: Readonly<Record<string, string | undefined>>): KubePort | undefined {
  const credentials = findKubeCredentials(env, existsSync);
  if (credentials.kind === 'none') return undefined;
  return new ClientNodeKube(loadKubeConfig(credentials));
}
