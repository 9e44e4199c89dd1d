import fc from 'fast-check';
import {
  evaluateNumericCondition,
  formatNumber,
  parseNumeric,
  validateNumericCondition,
  type NumericCondition,
} from '../../src/labels/numeric';

const FC = { seed: 42, numRuns: 500 };
const EXPECTED = 'expected e.g. 1.9, 1900ms, 95%';

function valueOf(text: string): number {
  const parsed = parseNumeric(text);
  if (!parsed.ok) throw new Error(`expected ${JSON.stringify(text)} to parse: ${parsed.reason}`);
  return parsed.value;
}

describe('parseNumeric', () => {
  it.each([
    ['1.9', 1.9],
    ['0', 0],
    ['-2', -2],
    ['+0.5', 0.5],
    ['-0', 0],
    ['.5', 0.5],
    ['1.5e3', 1500],
    ['1E-3', 0.001],
    ['2.5e+2', 250],
    [' 2 ', 2],
    ['\t3\n', 3],
  ])('reads the plain number %j as %p', (text, expected) => {
    expect(valueOf(text)).toBe(expected);
  });

  it.each([
    ['1.9s', 1.9],
    ['1900ms', 1.9],
    ['100 ms', 0.1],
    ['250us', 0.00025],
    ['250\u00b5s', 0.00025],
    ['250\u03bcs', 0.00025],
    ['5ns', 5e-9],
    ['2m', 120],
    ['1.5h', 5400],
    ['1d', 86400],
    ['1w', 604800],
    ['1y', 31536000],
    ['1m30s', 90],
    ['1m 30s', 90],
    ['1h30m', 5400],
    ['1h30m0s', 5400],
    ['1m30.5s', 90.5],
    ['1d 2h 3m 4s', 93784],
    ['2h45m30.5s', 9930.5],
    ['1s500ms', 1.5],
    ['-1m30s', -90],
    ['1.5e3ms', 1.5],
  ])('reads the duration %j as %p seconds', (text, expected) => {
    expect(valueOf(text)).toBe(expected);
  });

  it('reads "m" as minutes, not as milli', () => {
    expect(valueOf('1.5m')).toBe(90);
  });

  it.each([
    ['95%', 0.95],
    ['0.5%', 0.005],
    ['99.9%', 0.999],
    ['1.5e1%', 0.15],
    ['100 %', 1],
    ['-3%', -0.03],
  ])('reads the percentage %j as the fraction %p', (text, expected) => {
    expect(valueOf(text)).toBe(expected);
  });

  it.each([
    ['1.2k', 1200],
    ['3M', 3e6],
    ['2G', 2e9],
    ['1T', 1e12],
    ['1P', 1e15],
    ['1Ki', 1024],
    ['512Mi', 536870912],
    ['1.5Gi', 1610612736],
    ['2Ti', 2 * 2 ** 40],
    ['1Pi', 2 ** 50],
  ])('reads the humanized %j as %p', (text, expected) => {
    expect(valueOf(text)).toBe(expected);
  });

  it.each([
    ['', '"" is not a number (it is empty)'],
    ['   ', '"   " is not a number (it is empty)'],
    ['abc', `"abc" is not a number (${EXPECTED})`],
    ['model_accuracy=0.71', `"model_accuracy=0.71" is not a number (${EXPECTED})`],
    ['NaN', '"NaN" is not a number (NaN and infinities cannot be compared)'],
    ['0x1F', `"0x1F" is not a number (hexadecimal is not supported; ${EXPECTED})`],
    ['0.71 accuracy', `"0.71 accuracy" is not a number (unknown unit "accuracy"; ${EXPECTED})`],
    ['1k30s', '"1k30s" is not a number (only durations can be combined, as in 1m30s)'],
    [
      '30s1m',
      '"30s1m" is not a number (duration parts must go from largest to smallest, as in 1h30m)',
    ],
    ['1e999', '"1e999" is not a number (it is out of range)'],
    [
      '1e99999999999999999999999',
      '"1e99999999999999999999999" is not a number (it is out of range)',
    ],
  ])('refuses %j with the reason %j', (text, reason) => {
    expect(parseNumeric(text)).toEqual({ ok: false, reason });
  });

  it.each([
    'nan',
    'Inf',
    '+Inf',
    '-Inf',
    'Infinity',
    '-0x10',
    'ten',
    'value: 3',
    '3 apples',
    '1.5mm',
    '1K',
    '1.5e',
    '95%%',
    '1.2.3',
    '1 2',
    '--1',
    '+-1',
    '-',
    '+',
    '1h-30m',
    '1m1m',
    '1s30m',
    '1m 30',
    '5%30s',
    '1,000',
    '\u0661',
    '1_000',
  ])('does not read %j as a number and quotes it in the reason', (text) => {
    const parsed = parseNumeric(text);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.reason).toContain(JSON.stringify(text));
  });

  it('shortens a very long value in the reason', () => {
    const parsed = parseNumeric('x'.repeat(1000));
    expect(parsed).toEqual({
      ok: false,
      reason: `"${'x'.repeat(61)}..." is not a number (${EXPECTED})`,
    });
  });

  it('never throws and only ever returns finite numbers, whatever the string', () => {
    const numberish = fc
      .array(
        fc.constantFrom(
          '1',
          '0',
          '.',
          'e',
          'E',
          '-',
          '+',
          ' ',
          'm',
          's',
          'ms',
          'h',
          '%',
          'Ki',
          'k',
        ),
        { maxLength: 12 },
      )
      .map((parts) => parts.join(''));
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary' }), numberish), (text) => {
        const parsed = parseNumeric(text);
        if (parsed.ok) expect(Number.isFinite(parsed.value)).toBe(true);
        else expect(parsed.reason).toContain(' is not a number (');
      }),
      FC,
    );
  });

  it('reads back every finite double as JavaScript prints it', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (d) => {
        expect(valueOf(String(d))).toBe(d === 0 ? 0 : d);
      }),
      FC,
    );
  });
});

describe('formatNumber', () => {
  it.each([
    [1, '1'],
    [-42, '-42'],
    [0.30000000000000004, '0.3'],
    [1.23456789, '1.23457'],
    [0.000123456789, '0.000123457'],
    [1e-7, '1e-7'],
    [1234567, '1234567'],
    [2 ** 50, '1125899906842624'],
    [1.5e300, '1.5e+300'],
  ])('formats %p compactly as %j', (n, text) => {
    expect(formatNumber(n)).toBe(text);
  });
});

describe('evaluateNumericCondition', () => {
  const alert = (
    labels: Record<string, string> = {},
    annotations: Record<string, string> = {},
  ): { labels: Record<string, string>; annotations: Record<string, string> } => ({
    labels,
    annotations,
  });
  const p99 = (bounds: Partial<NumericCondition>): NumericCondition => ({
    source: 'annotation',
    key: 'p99_seconds',
    ...bounds,
  });

  it.each<[string, NumericCondition, string | undefined, boolean, string]>([
    ['a value above', p99({ above: 1 }), '1.9s', true, 'annotation p99_seconds="1.9s" (1.9) > 1'],
    [
      'a value not above',
      p99({ above: 1 }),
      '0.4',
      false,
      'annotation p99_seconds="0.4" (0.4) is not > 1',
    ],
    ['an absent value', p99({ above: 1 }), undefined, false, 'annotation p99_seconds is absent'],
    [
      'a value that is not a number',
      p99({ above: 1 }),
      'slow',
      false,
      `annotation p99_seconds="slow" is not a number (${EXPECTED})`,
    ],
    [
      'a value inside a range',
      p99({ above: 0.5, below: 0.9 }),
      '710ms',
      true,
      'annotation p99_seconds="710ms" (0.71) > 0.5 and < 0.9',
    ],
    [
      'a percentage above the top of a range',
      p99({ above: 0.5, below: 0.9 }),
      '95%',
      false,
      'annotation p99_seconds="95%" (0.95) is not < 0.9',
    ],
    [
      'a value equal to atLeast',
      p99({ atLeast: 1 }),
      '1000ms',
      true,
      'annotation p99_seconds="1000ms" (1) >= 1',
    ],
    [
      'a value equal to above',
      p99({ above: 1 }),
      '1s',
      false,
      'annotation p99_seconds="1s" (1) is not > 1',
    ],
    [
      'a value equal to atMost',
      p99({ atMost: 90 }),
      '1m30s',
      true,
      'annotation p99_seconds="1m30s" (90) <= 90',
    ],
    [
      'a value equal to below',
      p99({ below: 90 }),
      '1m 30s',
      false,
      'annotation p99_seconds="1m 30s" (90) is not < 90',
    ],
    [
      'a converted value equal to equals',
      p99({ equals: 0.3 }),
      '300ms',
      true,
      'annotation p99_seconds="300ms" (0.3) == 0.3',
    ],
    [
      'a value equal to equals up to float rounding',
      p99({ equals: 0.1 + 0.2 }),
      '0.3',
      true,
      'annotation p99_seconds="0.3" (0.3) == 0.3',
    ],
    [
      'a value not equal to equals',
      p99({ equals: 2 }),
      '2.5',
      false,
      'annotation p99_seconds="2.5" (2.5) is not == 2',
    ],
  ])('reports %s', (_case, cond, value, matched, reason) => {
    const annotations: Record<string, string> = value === undefined ? {} : { p99_seconds: value };
    expect(evaluateNumericCondition(cond, alert({}, annotations))).toEqual({ matched, reason });
  });

  it('reads labels for a label condition and annotations for an annotation condition', () => {
    const both = alert({ errors: '5' }, { errors: '50' });
    expect(evaluateNumericCondition({ source: 'label', key: 'errors', above: 10 }, both)).toEqual({
      matched: false,
      reason: 'label errors="5" (5) is not > 10',
    });
    expect(
      evaluateNumericCondition({ source: 'annotation', key: 'errors', above: 10 }, both),
    ).toEqual({ matched: true, reason: 'annotation errors="50" (50) > 10' });
  });

  it.each(['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf'])(
    'treats the key %j as absent unless the alert has it as its own',
    (key) => {
      expect(evaluateNumericCondition({ source: 'label', key, above: 0 }, alert())).toEqual({
        matched: false,
        reason: `label ${key} is absent`,
      });
    },
  );

  it('never reads a value through the prototype chain', () => {
    const labels = Object.create({ errors: '50' }) as Record<string, string>;
    expect(
      evaluateNumericCondition({ source: 'label', key: 'errors', above: 1 }, alert(labels)),
    ).toEqual({ matched: false, reason: 'label errors is absent' });
  });

  it('reads own keys named like Object.prototype members', () => {
    const labels = JSON.parse('{"__proto__": "7", "constructor": "3"}');
    expect(
      evaluateNumericCondition({ source: 'label', key: '__proto__', above: 5 }, alert(labels)),
    ).toEqual({ matched: true, reason: 'label __proto__="7" (7) > 5' });
    expect(
      evaluateNumericCondition({ source: 'label', key: 'constructor', above: 5 }, alert(labels)),
    ).toEqual({ matched: false, reason: 'label constructor="3" (3) is not > 5' });
  });

  it('quotes a key that is not a plain name', () => {
    expect(
      evaluateNumericCondition({ source: 'annotation', key: 'a.b', above: 1 }, alert()),
    ).toEqual({ matched: false, reason: 'annotation "a.b" is absent' });
  });

  it('treats a value that is not a string at run time as absent', () => {
    const labels = { replicas: 3 } as unknown as Record<string, string>;
    expect(
      evaluateNumericCondition({ source: 'label', key: 'replicas', above: 1 }, alert(labels)),
    ).toEqual({ matched: false, reason: 'label replicas is absent' });
  });

  it.each<[string, NumericCondition, string[]]>([
    ['one bound', { source: 'label', key: 'x', above: 1 }, []],
    ['a range', { source: 'label', key: 'x', above: 0.5, below: 0.9 }, []],
    [
      'no bound',
      { source: 'label', key: 'x' },
      ['the condition on label x sets no bound (above, atLeast, below, atMost or equals)'],
    ],
    [
      'a NaN bound',
      { source: 'label', key: 'x', above: Number.NaN },
      ['above on label x must be a finite number'],
    ],
    [
      'infinite bounds',
      { source: 'annotation', key: 'y', atLeast: Infinity, equals: -Infinity },
      [
        'atLeast on annotation y must be a finite number',
        'equals on annotation y must be a finite number',
      ],
    ],
  ])('validates a condition with %s', (_case, cond, problems) => {
    expect(validateNumericCondition(cond)).toEqual(problems);
  });

  it('does not match a condition without bounds, and says why', () => {
    expect(evaluateNumericCondition({ source: 'label', key: 'x' }, alert({ x: '1' }))).toEqual({
      matched: false,
      reason: 'the condition on label x sets no bound (above, atLeast, below, atMost or equals)',
    });
  });

  it('never throws, whatever the keys and values, and matches only parseable values', () => {
    const key = fc.oneof(
      fc.constantFrom('__proto__', 'constructor', 'toString', 'valueOf', 'p99'),
      fc.string(),
    );
    const labels = fc
      .array(fc.tuple(key, fc.string({ unit: 'binary' })), { maxLength: 5 })
      .map((entries) => {
        const map: Record<string, string> = {};
        for (const [k, v] of entries) {
          Object.defineProperty(map, k, { value: v, enumerable: true, configurable: true });
        }
        return map;
      });
    fc.assert(
      fc.property(
        key,
        labels,
        fc.double({ noNaN: true, noDefaultInfinity: true }),
        (k, map, bound) => {
          const result = evaluateNumericCondition(
            { source: 'label', key: k, atLeast: bound },
            alert(map),
          );
          const own = Object.getOwnPropertyDescriptor(map, k)?.value as string | undefined;
          if (result.matched) {
            expect(own).toBeDefined();
            expect(parseNumeric(own ?? '').ok).toBe(true);
          }
          if (own === undefined) expect(result.reason).toMatch(/ is absent$/);
        },
      ),
      FC,
    );
  });
});
