/**
 * The circuit breakers of every policy, as the journal keeps them: loaded at start, asked before
 * a step acts, told each run's verdict, saved when they change. The decisions themselves are the
 * pure functions of circuit.ts.
 */
import type { Clock } from '../../clock';
import type { Journal } from '../../journal/journal';
import type { RemediationRecords } from '../../journal/remediation-records';
import type { Logger } from '../../logger';
import type { Metrics } from '../../metrics';
import type { PolicySet } from '../../policies/policy';
import { admit, CLOSED, parseCircuit, record, type Circuit, type RunVerdict } from './circuit';
import type { Skip } from './gates';

export interface CircuitStoreDeps {
  journal: Journal;
  remediations: RemediationRecords;
  policies: () => PolicySet;
  metrics: Metrics;
  logger: Logger;
  clock: Clock;
}

export class CircuitStore {
  private readonly circuits: Map<string, Circuit>;

  constructor(private readonly deps: CircuitStoreDeps) {
    this.circuits = new Map(
      [...deps.remediations.circuits()].map(([policy, text]) => [policy, parseCircuit(text)]),
    );
    for (const [policy, circuit] of this.circuits) {
      deps.metrics.circuitOpen.set({ policy }, circuit.state === 'closed' ? 0 : 1);
    }
  }

  /** The circuit gate; `claim` takes the half-open trial when the step is about to act. */
  async gate(policy: string, now: number, claim: boolean): Promise<Skip | undefined> {
    const circuit = admit(
      this.circuits.get(policy) ?? CLOSED,
      now,
      this.deps.policies().safety.circuitBreaker,
    );
    if (!circuit.allowed) {
      return {
        code: 'circuit_open',
        reason: `policy ${policy} failed ${circuit.circuit.failures} times in a row; its circuit breaker is open`,
      };
    }
    if (claim) await this.save(policy, circuit.circuit);
    return undefined;
  }

  /** A run's verdict: a success closes the circuit, failures in a row open it. */
  async recordRun(policy: string, outcome: RunVerdict): Promise<void> {
    const config = this.deps.policies().safety.circuitBreaker;
    const before = this.circuits.get(policy) ?? CLOSED;
    const after = record(before, outcome, this.deps.clock.now().getTime(), config);
    await this.save(policy, after);
    if (after.state === 'open' && before.state !== 'open') {
      this.deps.logger.warn('circuit breaker opened', { policy, failures: after.failures });
    }
  }

  private async save(policy: string, circuit: Circuit): Promise<void> {
    if (JSON.stringify(this.circuits.get(policy) ?? CLOSED) === JSON.stringify(circuit)) return;
    this.circuits.set(policy, circuit);
    this.deps.metrics.circuitOpen.set({ policy }, circuit.state === 'closed' ? 0 : 1);
    await this.deps.journal.write(() => {
      this.deps.remediations.saveCircuit(policy, JSON.stringify(circuit));
    });
  }
}
