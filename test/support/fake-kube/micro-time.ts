/** The layout metav1.MicroTime is parsed with. */
export const RFC3339_MICRO = '2006-01-02T15:04:05.000000Z07:00';

function goTimeQuote(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

function parseError(value: string, valueElem: string, layoutElem: string): string {
  return `parsing time ${goTimeQuote(value)} as ${goTimeQuote(RFC3339_MICRO)}: cannot parse ${goTimeQuote(
    valueElem,
  )} as ${goTimeQuote(layoutElem)}`;
}

function rangeError(value: string, what: string): string {
  return `parsing time ${goTimeQuote(value)}: ${what} out of range`;
}

function daysIn(month: number, year: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

const isDigit = (s: string, i: number): boolean => /[0-9]/.test(s.charAt(i));

/**
 * Checks a MicroTime the way Go's `time.Parse(RFC3339Micro, s)` does and returns Go's error text,
 * or undefined when it parses. The fractional part must have exactly six digits.
 */
export function microTimeError(value: string): string | undefined {
  let rest = value;
  // [layout element, how to consume it]; numbers are checked for range as Go does.
  const literal = (text: string): string | undefined => {
    if (!rest.startsWith(text)) return parseError(value, rest, text);
    rest = rest.slice(text.length);
    return undefined;
  };
  const fixedNumber = (
    layoutElem: string,
    digits: number,
    min: number,
    max: number,
    name: string,
  ): { error?: string; n: number } => {
    const hold = rest;
    for (let i = 0; i < digits; i++) {
      if (!isDigit(rest, i)) return { error: parseError(value, hold, layoutElem), n: 0 };
    }
    const n = Number(rest.slice(0, digits));
    rest = rest.slice(digits);
    if (n < min || n > max) return { error: rangeError(value, name), n };
    return { n };
  };

  const yearHold = rest;
  if (rest.length < 4 || ![0, 1, 2, 3].every((i) => isDigit(rest, i))) {
    return parseError(value, yearHold, '2006');
  }
  const year = Number(rest.slice(0, 4));
  rest = rest.slice(4);
  let err = literal('-');
  if (err) return err;
  const month = fixedNumber('01', 2, 1, 12, 'month');
  if (month.error) return month.error;
  err = literal('-');
  if (err) return err;
  const day = fixedNumber('02', 2, 0, 99, 'day');
  if (day.error) return day.error;
  err = literal('T');
  if (err) return err;
  // "15" accepts one or two digits.
  const hourHold = rest;
  if (!isDigit(rest, 0)) return parseError(value, hourHold, '15');
  const hourDigits = isDigit(rest, 1) ? 2 : 1;
  const hour = Number(rest.slice(0, hourDigits));
  rest = rest.slice(hourDigits);
  if (hour >= 24) return rangeError(value, 'hour');
  err = literal(':');
  if (err) return err;
  const minute = fixedNumber('04', 2, 0, 59, 'minute');
  if (minute.error) return minute.error;
  err = literal(':');
  if (err) return err;
  const second = fixedNumber('05', 2, 0, 59, 'second');
  if (second.error) return second.error;

  const fracHold = rest;
  if (
    rest.length < 7 ||
    !(rest.startsWith('.') || rest.startsWith(',')) ||
    ![1, 2, 3, 4, 5, 6].every((i) => isDigit(rest, i))
  ) {
    return parseError(value, fracHold, '.000000');
  }
  rest = rest.slice(7);

  const tzHold = rest;
  if (rest.startsWith('Z')) {
    rest = rest.slice(1);
  } else {
    if (rest.length < 6 || rest.charAt(3) !== ':') return parseError(value, tzHold, 'Z07:00');
    const sign = rest.charAt(0);
    if (![1, 2, 4, 5].every((i) => isDigit(rest, i)) || (sign !== '+' && sign !== '-')) {
      return parseError(value, tzHold, 'Z07:00');
    }
    if (Number(rest.slice(1, 3)) > 24) return rangeError(value, 'time zone offset hour');
    if (Number(rest.slice(4, 6)) > 60) return rangeError(value, 'time zone offset minute');
    rest = rest.slice(6);
  }
  if (rest.length > 0)
    return `parsing time ${goTimeQuote(value)}: extra text: ${goTimeQuote(rest)}`;
  if (day.n < 1 || day.n > daysIn(month.n, year)) return rangeError(value, 'day');
  return undefined;
}

/** Formats a date as a MicroTime (six fractional digits, UTC). */
export function formatMicroTime(date: Date): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** Formats a date as a metav1.Time (second precision, UTC). */
export function formatTime(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
