import { formatMicroTime, formatTime, microTimeError } from '../support/fake-kube/micro-time';

const LAYOUT = '"2006-01-02T15:04:05.000000Z07:00"';

describe('MicroTime parsing', () => {
  it.each([
    '2024-05-01T10:00:00.123456Z',
    '2024-05-01T10:00:00.000000+02:00',
    '2024-02-29T23:59:59.999999Z',
  ])('accepts %s', (value) => {
    expect(microTimeError(value)).toBeUndefined();
  });

  it.each([
    [
      '2024-05-01T10:00:00.123Z',
      `parsing time "2024-05-01T10:00:00.123Z" as ${LAYOUT}: cannot parse ".123Z" as ".000000"`,
    ],
    [
      '2024-05-01T10:00:00Z',
      `parsing time "2024-05-01T10:00:00Z" as ${LAYOUT}: cannot parse "Z" as ".000000"`,
    ],
    [
      '2024-05-01T10:00:00.123456789Z',
      `parsing time "2024-05-01T10:00:00.123456789Z" as ${LAYOUT}: cannot parse "789Z" as "Z07:00"`,
    ],
    ['', `parsing time "" as ${LAYOUT}: cannot parse "" as "2006"`],
    [
      '2024/05/01T10:00:00.123456Z',
      `parsing time "2024/05/01T10:00:00.123456Z" as ${LAYOUT}: cannot parse "/05/01T10:00:00.123456Z" as "-"`,
    ],
    [
      '2024-13-01T10:00:00.123456Z',
      'parsing time "2024-13-01T10:00:00.123456Z": month out of range',
    ],
    ['2023-02-29T10:00:00.123456Z', 'parsing time "2023-02-29T10:00:00.123456Z": day out of range'],
    [
      '2024-05-01T10:00:00.123456Zjunk',
      'parsing time "2024-05-01T10:00:00.123456Zjunk": extra text: "junk"',
    ],
  ])('refuses %j as Go does', (value, message) => {
    expect(microTimeError(value)).toBe(message);
  });

  it('formats MicroTime with six digits and metav1.Time at second precision', () => {
    const date = new Date('2024-05-01T10:00:00.123Z');
    expect(formatMicroTime(date)).toBe('2024-05-01T10:00:00.123000Z');
    expect(microTimeError(formatMicroTime(date))).toBeUndefined();
    expect(formatTime(date)).toBe('2024-05-01T10:00:00Z');
  });
});
