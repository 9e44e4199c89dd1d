import fc from 'fast-check';
import {
  durationMs,
  durationSchema,
  formatDuration,
  formatElapsed,
  parseDuration,
} from '../../src/labels/durations';

const FC_SEED = process.env.FC_SEED === undefined ? 42 : Number(process.env.FC_SEED);

describe('parseDuration', () => {
  it.each([
    ['30s', 30_000],
    ['5m', 300_000],
    ['1h30m', 5_400_000],
    ['2d', 172_800_000],
    ['1d2h3m4s5ms', 93_784_005],
    ['250ms', 250],
    ['0s', 0],
  ])('%s is %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
    expect(durationMs(text)).toBe(ms);
  });

  it.each(['', '5', 'm', '1m1h', '1.5h', ' 5m', '5m ', '-5m', '5mm', '1h1h', 'ms'])(
    '%j is not a duration',
    (text) => {
      expect(parseDuration(text)).toBeUndefined();
      expect(() => durationMs(text)).toThrow(/not a duration/);
    },
  );

  it('accepts exactly what the schema pattern accepts', () => {
    const pattern = new RegExp(durationSchema.pattern);
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9dhms]{0,8}$/), (text) => {
        expect(parseDuration(text) !== undefined).toBe(pattern.test(text));
      }),
      { seed: FC_SEED, numRuns: 500 },
    );
  });
});

describe('formatDuration: exactly, in the policy syntax', () => {
  it.each([
    [0, '0s'],
    [300_000, '5m'],
    [5_400_000, '1h30m'],
    [93_784_005, '1d2h3m4s5ms'],
    [-1, '0s'],
  ])('%d ms reads %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it('round-trips through parseDuration', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 90 * 86_400_000 }), (ms) => {
        expect(parseDuration(formatDuration(ms))).toBe(ms);
      }),
      { seed: FC_SEED, numRuns: 300 },
    );
  });
});

describe('formatElapsed: roughly, for people', () => {
  it.each([
    [0, '0s'],
    [999, '0s'],
    [45_000, '45s'],
    [61_000, '1m 1s'],
    [20 * 60_000, '20m'],
    [72 * 60_000, '1h 12m'],
    [3_600_000, '1h'],
    [3_661_000, '1h 1m'],
    [86_400_000 + 3_600_000 + 60_000, '1d 1h'],
    [86_400_000 + 60_000, '1d'],
    [-5_000, '0s'],
    [Number.NaN, '0s'],
  ])('%d ms reads %s', (ms, expected) => {
    expect(formatElapsed(ms)).toBe(expected);
  });

  it('never overstates, and is off by less than one unit below the largest it shows', () => {
    const seconds = { d: 86_400, h: 3_600, m: 60, s: 1 } as const;
    const finer = { d: 3_600, h: 60, m: 1, s: 1 } as const;
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 30 * 86_400_000 }), (ms) => {
        const text = formatElapsed(ms);
        expect(text).toMatch(/^\d+[dhms]( \d+[dhms])?$/);
        const parts = text.split(' ').map((p) => {
          const unit = p.slice(-1) as keyof typeof seconds;
          return { unit, value: Number(p.slice(0, -1)) };
        });
        const shown = parts.reduce((sum, p) => sum + p.value * seconds[p.unit], 0);
        const total = Math.floor(ms / 1000);
        expect(shown).toBeLessThanOrEqual(total);
        expect(total - shown).toBeLessThan(finer[parts[0]!.unit]);
      }),
      { seed: FC_SEED, numRuns: 300 },
    );
  });
});
