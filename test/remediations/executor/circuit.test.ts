import fc from 'fast-check';
import {
  admit,
  CLOSED,
  judgesPolicy,
  parseCircuit,
  record,
  type Circuit,
  type CircuitConfig,
  type RunVerdict,
} from '../../../src/remediations/executor/circuit';

const CONFIG: CircuitConfig = { failures: 3, openForMs: 60_000 };
const T = Date.parse('2024-05-01T10:00:00Z');
const FC_SEED = process.env.FC_SEED === undefined ? 42 : Number(process.env.FC_SEED);

describe('admit', () => {
  it.each<[string, Circuit, number, boolean, Circuit]>([
    ['a closed circuit with no failures', CLOSED, T, true, CLOSED],
    [
      'a closed circuit with failures below the limit',
      { state: 'closed', failures: 2 },
      T,
      true,
      { state: 'closed', failures: 2 },
    ],
    [
      'an open circuit just after it opened',
      { state: 'open', failures: 3, openedAt: T },
      T,
      false,
      { state: 'open', failures: 3, openedAt: T },
    ],
    [
      'an open circuit 1 ms before openForMs has passed',
      { state: 'open', failures: 3, openedAt: T },
      T + 59_999,
      false,
      { state: 'open', failures: 3, openedAt: T },
    ],
    [
      'an open circuit exactly openForMs after it opened',
      { state: 'open', failures: 3, openedAt: T },
      T + 60_000,
      true,
      { state: 'half_open', failures: 3, trialStarted: true },
    ],
    [
      'an open circuit long after it opened',
      { state: 'open', failures: 4, openedAt: T },
      T + 3_600_000,
      true,
      { state: 'half_open', failures: 4, trialStarted: true },
    ],
    [
      'a half-open circuit whose trial already started',
      { state: 'half_open', failures: 3, trialStarted: true },
      T + 3_600_000,
      false,
      { state: 'half_open', failures: 3, trialStarted: true },
    ],
    [
      'a half-open circuit whose trial has not started',
      { state: 'half_open', failures: 3, trialStarted: false },
      T,
      true,
      { state: 'half_open', failures: 3, trialStarted: true },
    ],
  ])('%s: allowed is %s', (_name, circuit, now, allowed, after) => {
    expect(admit(circuit, now, CONFIG)).toEqual({ allowed, circuit: after });
  });
});

describe('record', () => {
  it.each<[string, Circuit, RunVerdict, Circuit]>([
    ['a first failure is counted', CLOSED, 'failure', { state: 'closed', failures: 1 }],
    [
      'a failure below the limit keeps it closed',
      { state: 'closed', failures: 1 },
      'failure',
      { state: 'closed', failures: 2 },
    ],
    [
      'the failure that reaches the limit opens it, at now',
      { state: 'closed', failures: 2 },
      'failure',
      { state: 'open', failures: 3, openedAt: T + 5 },
    ],
    [
      'a success resets the count of a closed circuit',
      { state: 'closed', failures: 2 },
      'success',
      CLOSED,
    ],
    [
      'a successful trial closes a half-open circuit',
      { state: 'half_open', failures: 3, trialStarted: true },
      'success',
      CLOSED,
    ],
    [
      'a failed trial opens a half-open circuit again, from now',
      { state: 'half_open', failures: 3, trialStarted: true },
      'failure',
      { state: 'open', failures: 4, openedAt: T + 5 },
    ],
    [
      "a run without a verdict leaves a closed circuit's count alone",
      { state: 'closed', failures: 2 },
      'no_verdict',
      { state: 'closed', failures: 2 },
    ],
    [
      'a run without a verdict leaves an open circuit open',
      { state: 'open', failures: 3, openedAt: T },
      'no_verdict',
      { state: 'open', failures: 3, openedAt: T },
    ],
    [
      'a trial without a verdict hands the trial to the next run',
      { state: 'half_open', failures: 3, trialStarted: true },
      'no_verdict',
      { state: 'half_open', failures: 3, trialStarted: false },
    ],
  ])('%s', (_name, circuit, outcome, after) => {
    expect(record(circuit, outcome, T + 5, CONFIG)).toEqual(after);
  });

  it('opens on the first failed trial even when the limit is higher than the count', () => {
    const config = { failures: 10, openForMs: 60_000 };
    const trial: Circuit = { state: 'half_open', failures: 0, trialStarted: true };
    expect(record(trial, 'failure', T, config)).toEqual({
      state: 'open',
      failures: 1,
      openedAt: T,
    });
  });
});

describe('judgesPolicy', () => {
  it.each(['not_found', 'invalid'])('a %s failure says nothing about the policy', (reason) => {
    expect(judgesPolicy(reason)).toBe(false);
  });

  it.each(['forbidden', 'conflict', 'unavailable', 'timeout', 'rate_limited', 'error'])(
    'a %s failure counts against the policy',
    (reason) => {
      expect(judgesPolicy(reason)).toBe(true);
    },
  );
});

describe('the circuit breaker state machine', () => {
  /** One run: admitted or not; when admitted, its verdict is recorded. */
  function run(
    circuit: Circuit,
    now: number,
    outcome: 'success' | 'failure',
  ): { allowed: boolean; circuit: Circuit } {
    const admitted = admit(circuit, now, CONFIG);
    if (!admitted.allowed) return admitted;
    return { allowed: true, circuit: record(admitted.circuit, outcome, now, CONFIG) };
  }

  it('walks closed → open → half-open → open → half-open → closed', () => {
    let c: Circuit = CLOSED;
    let r = run(c, T, 'failure');
    expect(r).toEqual({ allowed: true, circuit: { state: 'closed', failures: 1 } });
    c = run(r.circuit, T + 1_000, 'failure').circuit;
    r = run(c, T + 2_000, 'failure');
    expect(r.circuit).toEqual({ state: 'open', failures: 3, openedAt: T + 2_000 });
    c = r.circuit;

    // Open: nothing runs until openForMs has passed since it opened.
    expect(run(c, T + 2_000 + 59_999, 'success')).toEqual({ allowed: false, circuit: c });

    // Half-open: one trial goes through while a second run is refused.
    const trial = admit(c, T + 62_000, CONFIG);
    expect(trial.allowed).toBe(true);
    expect(admit(trial.circuit, T + 62_001, CONFIG).allowed).toBe(false);

    // The trial fails: open again, counted from the trial's verdict.
    c = record(trial.circuit, 'failure', T + 63_000, CONFIG);
    expect(c).toEqual({ state: 'open', failures: 4, openedAt: T + 63_000 });
    expect(admit(c, T + 63_000 + 59_999, CONFIG).allowed).toBe(false);

    // The next trial succeeds: closed, with the count reset.
    const second = admit(c, T + 123_000, CONFIG);
    expect(second.allowed).toBe(true);
    expect(admit(second.circuit, T + 123_000, CONFIG).allowed).toBe(false);
    c = record(second.circuit, 'success', T + 124_000, CONFIG);
    expect(c).toEqual(CLOSED);

    // Counting starts from zero again: it takes `failures` more to open.
    c = run(c, T + 125_000, 'failure').circuit;
    c = run(c, T + 126_000, 'failure').circuit;
    expect(c).toEqual({ state: 'closed', failures: 2 });
    expect(run(c, T + 127_000, 'failure').circuit.state).toBe('open');
  });

  it('needs `failures` failures in a row: a success in between starts the count over', () => {
    let c: Circuit = CLOSED;
    for (const outcome of ['failure', 'failure', 'success', 'failure', 'failure'] as const) {
      c = run(c, T, outcome).circuit;
    }
    expect(c).toEqual({ state: 'closed', failures: 2 });
  });

  it('lets exactly one run through per openForMs once open, however many ask', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 200_000 }), { minLength: 1, maxLength: 30 }),
        (offsets) => {
          const opened: Circuit = { state: 'open', failures: 3, openedAt: T };
          let c: Circuit = opened;
          let allowed = 0;
          for (const offset of [...offsets].sort((a, b) => a - b)) {
            const a = admit(c, T + offset, CONFIG);
            if (a.allowed) allowed += 1;
            c = a.circuit;
          }
          const afterWindow = offsets.some((o) => o >= CONFIG.openForMs);
          expect(allowed).toBe(afterWindow ? 1 : 0);
        },
      ),
      { seed: FC_SEED, numRuns: 200 },
    );
  });
});

describe('parseCircuit', () => {
  it('reads no stored state as closed', () => {
    expect(parseCircuit(undefined)).toEqual(CLOSED);
  });

  it.each<Circuit>([
    CLOSED,
    { state: 'closed', failures: 2 },
    { state: 'open', failures: 3, openedAt: T },
    { state: 'half_open', failures: 3, trialStarted: true },
    { state: 'half_open', failures: 5, trialStarted: false },
  ])('reads back what was stored: %j', (circuit) => {
    expect(parseCircuit(JSON.stringify(circuit))).toEqual(circuit);
  });

  it.each([
    ['an empty string', ''],
    ['text that is not JSON', 'open'],
    ['truncated JSON', '{"state":"open","fail'],
    ['null', 'null'],
    ['a number', '42'],
    ['a bare state string', '"open"'],
    ['an array', '["open"]'],
    ['an object without a state', '{"failures":3}'],
    ['an unknown state', '{"state":"tripped","failures":3}'],
    ['a state of the wrong case', '{"state":"OPEN","failures":3,"openedAt":1}'],
  ])('reads %s as closed', (_name, text) => {
    expect(parseCircuit(text)).toEqual(CLOSED);
  });

  it.each([
    ['no failure count', '{"state":"closed"}'],
    ['a null failure count', '{"state":"closed","failures":null}'],
    ['a failure count as a string', '{"state":"closed","failures":"2"}'],
  ])(
    'reads a closed circuit with %s so that it still opens after exactly `failures` failures',
    (_name, text) => {
      let c = parseCircuit(text);
      const states: string[] = [];
      for (let i = 0; i < CONFIG.failures; i++) {
        c = record(c, 'failure', T, CONFIG);
        states.push(c.state);
      }
      expect(states).toEqual(['closed', 'closed', 'open']);
    },
  );
});
