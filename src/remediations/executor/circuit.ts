/**
 * A circuit breaker per policy, pure. Closed: runs go ahead, failures in a row are counted.
 * `failures` failed or ineffective runs in a row open it: the policy stops acting. After
 * `openForMs` it is half-open: one trial run is let through; its success closes the circuit, its
 * failure opens it again.
 */
export type Circuit =
  | { readonly state: 'closed'; readonly failures: number }
  | { readonly state: 'open'; readonly failures: number; readonly openedAt: number }
  | { readonly state: 'half_open'; readonly failures: number; readonly trialStarted: boolean };

export interface CircuitConfig {
  readonly failures: number;
  readonly openForMs: number;
}

export const CLOSED: Circuit = { state: 'closed', failures: 0 };

/** Whether a run may start now, and the circuit as it stands once it does. */
export function admit(
  circuit: Circuit,
  now: number,
  config: CircuitConfig,
): { allowed: boolean; circuit: Circuit } {
  switch (circuit.state) {
    case 'closed':
      return { allowed: true, circuit };
    case 'open':
      if (now - circuit.openedAt < config.openForMs) return { allowed: false, circuit };
      return {
        allowed: true,
        circuit: { state: 'half_open', failures: circuit.failures, trialStarted: true },
      };
    case 'half_open':
      return circuit.trialStarted
        ? { allowed: false, circuit }
        : { allowed: true, circuit: { ...circuit, trialStarted: true } };
  }
}

/**
 * How a run ended for the breaker: it worked, it failed, or it says nothing about the policy
 * (see `judgesPolicy`): then a half-open circuit's trial is handed to the next run.
 */
export type RunVerdict = 'success' | 'failure' | 'no_verdict';

/**
 * Whether a failed step's reason says something about the policy. A target that does not exist
 * (`not_found`) or a request the API server refuses as invalid (`invalid`, a name or value taken
 * from the alert) is how the alert was written, not a remediation that failed: counting it would
 * let anyone who can post alerts open a policy's circuit, and skip its real work, for everyone.
 */
export function judgesPolicy(failureReason: string): boolean {
  return failureReason !== 'not_found' && failureReason !== 'invalid';
}

/** The circuit after a run's verdict. */
export function record(
  circuit: Circuit,
  outcome: RunVerdict,
  now: number,
  config: CircuitConfig,
): Circuit {
  if (outcome === 'no_verdict')
    return circuit.state === 'half_open' ? { ...circuit, trialStarted: false } : circuit;
  if (outcome === 'success') return CLOSED;
  const failures = circuit.failures + 1;
  if (circuit.state === 'half_open' || failures >= config.failures)
    return { state: 'open', failures, openedAt: now };
  return { state: 'closed', failures };
}

export function parseCircuit(text: string | undefined): Circuit {
  if (text === undefined) return CLOSED;
  try {
    const value = JSON.parse(text) as Partial<Record<string, unknown>>;
    const failures = value.failures;
    if (typeof failures !== 'number' || !Number.isInteger(failures) || failures < 0) return CLOSED;
    if (value.state === 'closed') return { state: 'closed', failures };
    if (value.state === 'open' && typeof value.openedAt === 'number') {
      return { state: 'open', failures, openedAt: value.openedAt };
    }
    if (value.state === 'half_open' && typeof value.trialStarted === 'boolean') {
      return { state: 'half_open', failures, trialStarted: value.trialStarted };
    }
    return CLOSED;
  } catch {
    return CLOSED;
  }
}
