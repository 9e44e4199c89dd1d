/**
 * Durations as policies, flags and test files write them (`30s`, `5m`, `1h30m`, `2d`), parsed one
 * way and formatted two ways: exactly, in the same syntax (`formatDuration`, which round-trips),
 * and roughly, for people reading a timeline or a message (`formatElapsed`).
 */

/** A duration as policies write it: `30s`, `5m`, `1h30m`, `2d`; units largest first, each once. */
export const durationSchema = {
  type: 'string',
  pattern: '^(?=[0-9])([0-9]+d)?([0-9]+h)?([0-9]+m(?!s))?([0-9]+s)?([0-9]+ms)?$',
  description:
    'A duration: numbers with units, largest first (d, h, m, s, ms), e.g. 30s, 5m, 1h30m.',
} as const;

const DURATION = new RegExp(durationSchema.pattern);

const UNITS: readonly (readonly [unit: string, ms: number])[] = [
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1_000],
  ['ms', 1],
];
const UNIT_MS: ReadonlyMap<string, number> = new Map(UNITS);

/** `1h30m` → 5400000; undefined for anything that is not a duration in that syntax. */
export function parseDuration(text: string): number | undefined {
  if (!DURATION.test(text)) return undefined;
  let total = 0;
  for (const [, amount, unit] of text.matchAll(/([0-9]+)(ms|s|m|h|d)/g)) {
    total += Number(amount) * (UNIT_MS.get(unit ?? '') ?? 0);
  }
  return total;
}

/** Like `parseDuration`, for text a schema has already checked: throws if it is not a duration. */
export function durationMs(text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined) throw new Error(`not a duration: ${JSON.stringify(text)}`);
  return ms;
}

/** Exactly, in the policy syntax: 300000 → `5m`; 5400000 → `1h30m`; 0 → `0s`. */
export function formatDuration(ms: number): string {
  if (ms <= 0 || !Number.isFinite(ms)) return '0s';
  let rest = Math.round(ms);
  let out = '';
  for (const [unit, size] of UNITS) {
    const n = Math.floor(rest / size);
    if (n > 0) out += `${n}${unit}`;
    rest -= n * size;
  }
  return out;
}

/** Roughly, for people: whole seconds, the two largest units (`5h 3m`, `45s`, `2d 1h`). */
export function formatElapsed(ms: number): string {
  const total = Number.isFinite(ms) && ms > 0 ? Math.floor(ms / 1000) : 0;
  const parts: [number, string][] = [
    [Math.floor(total / 86_400), 'd'],
    [Math.floor(total / 3_600) % 24, 'h'],
    [Math.floor(total / 60) % 60, 'm'],
    [total % 60, 's'],
  ];
  const first = parts.findIndex(([v]) => v > 0);
  if (first === -1) return '0s';
  return parts
    .slice(first, first + 2)
    .filter(([v]) => v > 0)
    .map(([v, unit]) => `${v}${unit}`)
    .join(' ');
}
