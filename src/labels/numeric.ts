/**
 * Numbers that alerts carry as label or annotation strings, and the numeric conditions that
 * severity rules and policies put on them (`value: { annotation: p99_seconds, above: 1 }`).
 *
 * Pure: imports nothing, reads no clock, returns its reasons.
 */

/** The outcome of {@link parseNumeric}: a finite number in base units, or why the text is not one. */
export type ParsedNumber = { ok: true; value: number } | { ok: false; reason: string };

/** The bounds a {@link NumericCondition} can set; every bound given must hold. */
export type Comparison = 'above' | 'atLeast' | 'below' | 'atMost' | 'equals';

/**
 * A comparison on one label or annotation value. Bounds are in the base units of
 * {@link parseNumeric}: seconds for durations, a fraction for percentages (`"95%"` is `0.95`, so
 * "accuracy under 90 %" is written `below: 0.9`). Several bounds make a range:
 * `{ above: 0.5, below: 0.9 }`.
 */
export interface NumericCondition {
  source: 'label' | 'annotation';
  key: string;
  above?: number;
  atLeast?: number;
  below?: number;
  atMost?: number;
  equals?: number;
}

/** Whether a condition held, and a one-line reason quoting the value it read. */
export interface ConditionResult {
  matched: boolean;
  reason: string;
}

/** What the alert must provide; both maps are read through own properties only. */
export interface NumericAlert {
  labels: Readonly<Record<string, string>>;
  annotations: Readonly<Record<string, string>>;
}

type UnitKind = 'duration' | 'scale' | 'percent';

interface Unit {
  kind: UnitKind;
  /**
   * A power of ten applied to the decimal text itself (`"99.9" "e" -2`), so that `99.9%` is 0.999
   * and `1900ms` is 1.9 as exactly as if they had been written in base units; dividing the
   * parsed number instead gives `0.9990000000000001`.
   */
  power: number;
  /** Applied after parsing, for units that are not powers of ten (minutes, Ki...). */
  multiplier: number;
  /** Durations only: larger units rank higher, so that `1h30m` can be checked for order. */
  rank: number;
}

const decimal = (kind: UnitKind, power: number, rank = 0): Unit => ({
  kind,
  power,
  multiplier: 1,
  rank,
});
const times = (kind: UnitKind, multiplier: number, rank = 0): Unit => ({
  kind,
  power: 0,
  multiplier,
  rank,
});

const MINUTE = 60;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

// Prometheus' durations (a year is 365 days there too), Go's time.Duration (µ is U+00B5, μ is
// U+03BC; Go accepts both), humanize's SI prefixes and humanize1024's binary ones.
const UNITS: ReadonlyMap<string, Unit> = new Map([
  ['y', times('duration', 365 * DAY, 9)],
  ['w', times('duration', 7 * DAY, 8)],
  ['d', times('duration', DAY, 7)],
  ['h', times('duration', HOUR, 6)],
  ['m', times('duration', MINUTE, 5)],
  ['s', decimal('duration', 0, 4)],
  ['ms', decimal('duration', -3, 3)],
  ['us', decimal('duration', -6, 2)],
  ['\u00b5s', decimal('duration', -6, 2)],
  ['\u03bcs', decimal('duration', -6, 2)],
  ['ns', decimal('duration', -9, 1)],
  ['%', decimal('percent', -2)],
  ['k', decimal('scale', 3)],
  ['M', decimal('scale', 6)],
  ['G', decimal('scale', 9)],
  ['T', decimal('scale', 12)],
  ['P', decimal('scale', 15)],
  ['Ki', times('scale', 2 ** 10)],
  ['Mi', times('scale', 2 ** 20)],
  ['Gi', times('scale', 2 ** 30)],
  ['Ti', times('scale', 2 ** 40)],
  ['Pi', times('scale', 2 ** 50)],
]);

const EXPECTED = 'expected e.g. 1.9, 1900ms, 95%';

// One "number [unit]" part; whitespace is allowed between number and unit and between parts
// because Prometheus' humanizeDuration renders "1m 30s".
const PART = /(\d+(?:\.\d*)?|\.\d+)(?:[eE]([+-]?\d+))?\s*([A-Za-z\u00b5\u03bc%]*)\s*/y;
const NOT_FINITE = /^[+-]?(?:nan|inf|infinity)$/i;
const HEX = /^[+-]?0x/i;

/** Quotes a value for a reason, cut short so that a huge annotation cannot flood a log line. */
function quote(text: string): string {
  return JSON.stringify(text.length > 64 ? `${text.slice(0, 61)}...` : text);
}

function notANumber(text: string, detail: string): ParsedNumber {
  return { ok: false, reason: `${quote(text)} is not a number (${detail})` };
}

/**
 * Parses a number the way Prometheus templates tend to render one, into a base unit:
 *
 * - plain numbers, with exponent and sign: `1.9`, `-2`, `+0.5`, `1.5e3`, `" 2 "`;
 * - durations into seconds: `ns`, `us`/`µs`, `ms`, `s`, `m`, `h`, `d`, `w`, `y` (365 days), and
 *   combinations from largest to smallest unit as Go and Prometheus print them: `1h30m`,
 *   `1m30s`, `1m 30s`, `1.5h`; a sign applies to the whole duration;
 * - percentages into a fraction: `95%` is `0.95`;
 * - SI suffixes `k`, `M`, `G`, `T`, `P` (humanize) and binary `Ki`, `Mi`, `Gi`, `Ti`, `Pi`
 *   (humanize1024): `1.2k` is 1200, `512Mi` is 536870912.
 *
 * Units are case-sensitive, and `m` always means minutes, never milli: a value that humanize
 * rendered as `1.5m` (0.0015) reads as 90 seconds. Alerts compared as numbers should carry
 * seconds, ratios or plain numbers, which is what Prometheus recommends anyway.
 *
 * Not numbers, each with a reason that quotes the value: empty strings, `NaN`, `Inf`, hex,
 * words, unknown units and text around a number (`model_accuracy=0.71`). Never throws.
 */
export function parseNumeric(text: string): ParsedNumber {
  const s = text.trim();
  if (s === '') return notANumber(text, 'it is empty');
  if (NOT_FINITE.test(s)) return notANumber(text, 'NaN and infinities cannot be compared');
  if (HEX.test(s)) return notANumber(text, `hexadecimal is not supported; ${EXPECTED}`);

  let i = s.startsWith('-') || s.startsWith('+') ? 1 : 0;
  const negative = s.startsWith('-');
  let total = 0;
  let parts = 0;
  let lastRank = Infinity;
  let firstUnit: Unit | undefined;

  while (i < s.length) {
    PART.lastIndex = i;
    const m = PART.exec(s);
    if (m === null) return notANumber(text, EXPECTED);
    i = PART.lastIndex;
    const [, digits = '', exponent = '0', unitName = ''] = m;
    let unit: Unit | undefined;
    if (unitName !== '') {
      unit = UNITS.get(unitName);
      if (unit === undefined) return notANumber(text, `unknown unit "${unitName}"; ${EXPECTED}`);
    }
    // A huge exponent makes this NaN or Infinity, reported as out of range below.
    const magnitude = Number(`${digits}e${Number(exponent) + (unit?.power ?? 0)}`);
    parts += 1;
    if (parts === 1) {
      firstUnit = unit;
    } else if (unit === undefined || firstUnit === undefined) {
      return notANumber(text, EXPECTED);
    } else if (unit.kind !== 'duration' || firstUnit.kind !== 'duration') {
      return notANumber(text, 'only durations can be combined, as in 1m30s');
    }
    if (unit?.kind === 'duration') {
      if (unit.rank >= lastRank) {
        return notANumber(text, 'duration parts must go from largest to smallest, as in 1h30m');
      }
      lastRank = unit.rank;
    }
    total += magnitude * (unit?.multiplier ?? 1);
  }

  if (parts === 0) return notANumber(text, EXPECTED);
  if (!Number.isFinite(total)) return notANumber(text, 'it is out of range');
  // `|| 0` turns -0 into 0, so that "-0" formats as "0".
  return { ok: true, value: (negative ? -total : total) || 0 };
}

/**
 * Formats a number for a reason: integers as they are, anything else with up to 6 significant
 * digits, so that unit conversions do not show as `0.30000000000000004`.
 */
export function formatNumber(n: number): string {
  if (Number.isSafeInteger(n)) return String(n);
  if (!Number.isFinite(n)) return String(n);
  return String(Number(n.toPrecision(6)));
}

// Unit conversions round (`1m30.1s` is not exactly 90.1), so bounds compare with a relative
// tolerance far below anything a condition could mean on purpose.
const TOLERANCE = 1e-9;

function nearlyEqual(a: number, b: number): boolean {
  return a === b || Math.abs(a - b) <= TOLERANCE * Math.max(Math.abs(a), Math.abs(b));
}

interface Bound {
  name: Comparison;
  symbol: string;
  holds: (value: number, bound: number) => boolean;
}

const BOUNDS: readonly Bound[] = [
  { name: 'above', symbol: '>', holds: (v, b) => v > b && !nearlyEqual(v, b) },
  { name: 'atLeast', symbol: '>=', holds: (v, b) => v > b || nearlyEqual(v, b) },
  { name: 'below', symbol: '<', holds: (v, b) => v < b && !nearlyEqual(v, b) },
  { name: 'atMost', symbol: '<=', holds: (v, b) => v < b || nearlyEqual(v, b) },
  { name: 'equals', symbol: '==', holds: (v, b) => nearlyEqual(v, b) },
];

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

function describeKey(cond: NumericCondition): string {
  return `${cond.source} ${PLAIN_KEY.test(cond.key) ? cond.key : JSON.stringify(cond.key)}`;
}

/**
 * Lists what is wrong with a condition's bounds (none given, a bound that is not a finite number),
 * for the policy loader to report with file and line. Empty when the condition is usable.
 */
export function validateNumericCondition(cond: NumericCondition): string[] {
  const given = BOUNDS.filter((b) => cond[b.name] !== undefined);
  if (given.length === 0) {
    return [
      `the condition on ${describeKey(cond)} sets no bound (above, atLeast, below, atMost or equals)`,
    ];
  }
  return given
    .filter((b) => !Number.isFinite(cond[b.name]))
    .map((b) => `${b.name} on ${describeKey(cond)} must be a finite number`);
}

/**
 * Reads the label or annotation a condition names, parses it with {@link parseNumeric} and checks
 * every bound given. Never throws; an absent key, a value that is not a number or a condition
 * without usable bounds does not match, and the reason says which. Keys are looked up as own
 * properties, so `constructor` or `__proto__` never reach Object.prototype.
 *
 * Reasons: `annotation p99_seconds="1.9s" (1.9) > 1`, `annotation p99_seconds is absent`,
 * `label x="abc" is not a number (...)`, `annotation p99_seconds="0.4" (0.4) is not > 1`.
 */
export function evaluateNumericCondition(
  cond: NumericCondition,
  alert: NumericAlert,
): ConditionResult {
  const where = describeKey(cond);
  const problems = validateNumericCondition(cond);
  if (problems.length > 0) return { matched: false, reason: problems.join('; ') };

  const map = cond.source === 'label' ? alert.labels : alert.annotations;
  // A data descriptor, not `map[key]`: own properties only, and never a getter call.
  const raw: unknown = Object.getOwnPropertyDescriptor(map, cond.key)?.value;
  if (typeof raw !== 'string') return { matched: false, reason: `${where} is absent` };

  const parsed = parseNumeric(raw);
  if (!parsed.ok) return { matched: false, reason: `${where}=${parsed.reason}` };

  const shown = `${where}=${quote(raw)} (${formatNumber(parsed.value)})`;
  const { held, failed } = compareBounds(parsed.value, cond);
  return failed.length === 0
    ? { matched: true, reason: `${shown} ${held.join(' and ')}` }
    : { matched: false, reason: `${shown} ${failed.join(' and ')}` };
}

/** Bounds on a number; every one given must hold. */
export type Bounds = Partial<Pick<NumericCondition, Comparison>>;

/**
 * Checks a number against every bound given: the bounds it meets (`> 1`) and those it does not
 * (`is not < 1`). NaN meets none.
 */
export function compareBounds(value: number, bounds: Bounds): { held: string[]; failed: string[] } {
  const held: string[] = [];
  const failed: string[] = [];
  for (const b of BOUNDS) {
    const bound = bounds[b.name];
    if (bound === undefined) continue;
    const text = `${b.symbol} ${formatNumber(bound)}`;
    if (b.holds(value, bound)) held.push(text);
    else failed.push(`is not ${text}`);
  }
  return { held, failed };
}
