/**
 * Alertmanager label matchers (`name="value"`, `name!="value"`, `name=~"regex"`, `name!~"regex"`),
 * parsed and evaluated the way Alertmanager does, so that a matcher valid in a policy is valid in an
 * Alertmanager route too, and selects the same alerts.
 *
 * Parsing follows Alertmanager's default "fallback" mode (0.27 and later, `matcher/compat`): the
 * input is parsed by the classic parser (`pkg/labels`, `matcher/oldparse`) and, when that fails, by
 * the UTF-8 parser (`matcher/parse`). When both accept an input, Alertmanager keeps the classic
 * result, so this module tries the classic parser first. In practice:
 * - Classic: `{` and `}` around the list are optional, each trimmed once; matchers are separated by
 *   commas outside double quotes; a label name is `[a-zA-Z_:][a-zA-Z0-9_:]*`; the value may be
 *   unquoted (it runs to the next comma, trailing whitespace removed) or double-quoted; only `\"`,
 *   `\\` and `\n` are escapes, any other backslash stays literal (so `"\d+"` is the regex `\d+`, and
 *   `"\t"` is a backslash and a `t`, not a tab).
 * - UTF-8 (only when the classic parser fails): label names and values are double-quoted Go strings
 *   (`\t`, `\x41`, `\u00e9`, `\U0001f642`…) or unquoted runs of anything but whitespace and
 *   `{}!=~,\"'` and backquote; so `"foo bar"="baz"`, `foo🙂=bar` and `invalid-name=x` are accepted.
 *
 * Evaluation: an absent label has the value `""`; a regex must match the whole value (Alertmanager
 * compiles `^(?:` + value + `)$`, and so does this module, quirks included: the value `a)|(b` is
 * valid and unanchored). Regexes are in Go's RE2 syntax; this module parses that syntax itself,
 * rejects everything RE2 rejects (backreferences `\1`, lookarounds `(?=` `(?!` `(?<=` `(?<!`,
 * possessive and atomic groups, `\u`, `\cX`, repeat counts above 1000, …), and translates the rest
 * to an equivalent JavaScript regex: RE2's `.` excludes only `\n`, `\s` is `[\t\n\f\r ]`, inline
 * flags `(?i)`, `(?s)`, `(?m)`, `(?U)` (and combinations, `(?i:…)` groups, `(?-s)`) are honoured.
 *
 * Deliberate differences from Alertmanager:
 * - `(?i)` must cover every case-sensitive part of the expression (`(?i)foo|bar` and `(?i:foo|bar)`
 *   are fine, `foo(?i:bar)` is rejected): JavaScript (Node 20) cannot scope case-insensitivity.
 *   `(?s)`, `(?m)` and `(?U)` may be scoped freely.
 * - JavaScript's regex engine backtracks: a pathological regex such as `(a+)+b` can take
 *   exponential time on a long value, where RE2 is linear. RE2's program-size and nesting-depth
 *   limits are not enforced (its repeat-count limits are).
 * - Unicode classes (`\pL`, `\p{Greek}`) use V8's Unicode tables, not Go's; under `(?i)`, negated
 *   POSIX classes such as `[[:^alpha:]]` inside a larger class, and `\b` next to `ſ` or the Kelvin
 *   sign, may differ from RE2.
 * - `parseMatcher` accepts an input wrapped in `{…}` (Alertmanager's single-matcher parser does
 *   not; its config parser, which reads `matchers:` lines, does).
 * - Inputs containing a lone UTF-16 surrogate are rejected: they have no UTF-8 encoding, and
 *   Alertmanager's two parsers treat invalid UTF-8 differently.
 * - `toString()` quotes an empty label name (`""="x"`), which Alertmanager prints unquoted.
 * - Error messages are this module's own; `column` is an offset in UTF-16 code units (a JavaScript
 *   string index), where Alertmanager counts runes.
 *
 * This module is pure: it imports nothing.
 */

/** `=` equal, `!=` not equal, `=~` regex matches the whole value, `!~` regex does not match it. */
export type MatchType = '=' | '!=' | '=~' | '!~';

/** One label matcher, compiled once; `matches` is cheap and allocates nothing. */
export interface Matcher {
  readonly name: string;
  readonly type: MatchType;
  /** The value as written, unescaped; for `=~` and `!~` the RE2 source (without the anchors). */
  readonly value: string;
  /** Whether the label value satisfies the matcher; `undefined` (label absent) counts as `""`. */
  matches(labelValue: string | undefined): boolean;
  /** Alertmanager's canonical form, `name="value"` with `\\`, `\"` and `\n` escaped. */
  toString(): string;
}

/** A matcher that Alertmanager would refuse (or that this module cannot honour; see above). */
export class MatcherSyntaxError extends Error {
  override readonly name = 'MatcherSyntaxError';

  /**
   * @param input the text that was parsed (for {@link newMatcher}, the regex)
   * @param column 0-based offset in `input` (UTF-16 code units) where the problem is
   * @param reason what is wrong, without the input
   */
  constructor(
    readonly input: string,
    readonly column: number,
    readonly reason: string,
  ) {
    super(`bad matcher '${input}': ${reason}`);
  }
}

/**
 * Builds a matcher from its parts, like Alertmanager's `labels.NewMatcher`; for `=~` and `!~` the
 * value is compiled as RE2 once, here.
 * @throws MatcherSyntaxError when the regex is invalid (the error's `input` is the regex), or when
 * the name or value contains a lone UTF-16 surrogate.
 */
export function newMatcher(type: MatchType, name: string, value: string): Matcher {
  for (const [what, text] of [
    ['label name', name],
    ['value', value],
  ] as const) {
    const bad = findLoneSurrogate(text);
    if (bad >= 0)
      throw new MatcherSyntaxError(text, bad, `the ${what} is not valid Unicode (lone surrogate)`);
  }
  if (type === '=' || type === '!=') return new LiteralMatcher(name, type, value);
  const compiled = compileRegex(value);
  if (compiled instanceof Re2Error) {
    throw new MatcherSyntaxError(value, compiled.index, regexReason(value, compiled.reason));
  }
  return new RegexMatcher(name, type, value, compiled);
}

/**
 * Parses exactly one matcher, optionally wrapped in `{…}` (a trailing comma is allowed), e.g.
 * `alertname=~"ServiceDown|DataBreach"`, `namespace!="kube-system"`, `severity=warning`.
 * @throws MatcherSyntaxError when the input is not one valid matcher.
 */
export function parseMatcher(text: string): Matcher {
  const parsed = parseAll(text);
  if (parsed.length === 1 && parsed[0] !== undefined) return parsed[0].matcher;
  if (parsed.length === 0) throw new MatcherSyntaxError(text, 0, 'no matcher found');
  const second = parsed[1]?.start ?? 0;
  throw new MatcherSyntaxError(
    text,
    second,
    `expected exactly one matcher, found ${parsed.length}`,
  );
}

/**
 * Parses a comma-separated list of matchers, optionally wrapped in `{…}`, e.g.
 * `{alertname="HighLatency", namespace=~"prod|staging",}`, exactly as Alertmanager reads one line
 * of a route's `matchers:`. Like Alertmanager, returns no matchers for ``, `{}`, `{` and `}`.
 * @throws MatcherSyntaxError when any matcher is invalid.
 */
export function parseMatchers(text: string): Matcher[] {
  return parseAll(text).map((p) => p.matcher);
}

/**
 * Whether every matcher matches the labels of one alert (so an empty list matches every alert).
 * Only own properties count as labels: `constructor` or `__proto__` never reach `Object.prototype`.
 */
export function matchesLabels(
  matchers: readonly Matcher[],
  labels: Readonly<Record<string, string>>,
): boolean {
  for (const m of matchers) {
    const value = Object.hasOwn(labels, m.name) ? labels[m.name] : undefined;
    if (!m.matches(value)) return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// Matcher objects

class LiteralMatcher implements Matcher {
  constructor(
    readonly name: string,
    readonly type: '=' | '!=',
    readonly value: string,
  ) {
    Object.freeze(this);
  }

  matches(labelValue: string | undefined): boolean {
    return ((labelValue ?? '') === this.value) === (this.type === '=');
  }

  toString(): string {
    return formatMatcher(this.name, this.type, this.value);
  }
}

class RegexMatcher implements Matcher {
  constructor(
    readonly name: string,
    readonly type: '=~' | '!~',
    readonly value: string,
    private readonly re: RegExp,
  ) {
    Object.freeze(this);
  }

  matches(labelValue: string | undefined): boolean {
    // Neither the global nor the sticky flag is ever set, so test() keeps no state between calls.
    return this.re.test(labelValue ?? '') === (this.type === '=~');
  }

  toString(): string {
    return formatMatcher(this.name, this.type, this.value);
  }
}

/** Mirrors Alertmanager's `Matcher.String()`. */
function formatMatcher(name: string, type: MatchType, value: string): string {
  let reserved = name === '';
  for (const ch of name) {
    if (isReserved(cp(ch))) {
      reserved = true;
      break;
    }
  }
  if (reserved) return `${goQuote(name)}${type}${goQuote(value)}`;
  const escaped = value.replace(/[\\\n"]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`));
  return `${name}${type}"${escaped}"`;
}

const GO_PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;

/** Go's `strconv.Quote`, which the UTF-8 parser's `strconv.Unquote` reverses. */
function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = cp(ch);
    const simple = GO_SIMPLE_ESCAPES.get(c);
    if (simple !== undefined) out += `\\${simple}`;
    else if (GO_PRINTABLE.test(ch)) out += ch;
    else if (c < 0x20 || c === 0x7f) out += `\\x${hex(c, 2)}`;
    else if (c < 0x10000) out += `\\u${hex(c, 4)}`;
    else out += `\\U${hex(c, 8)}`;
  }
  return `${out}"`;
}

const GO_SIMPLE_ESCAPES = new Map<number, string>([
  [0x07, 'a'],
  [0x08, 'b'],
  [0x0c, 'f'],
  [0x0a, 'n'],
  [0x0d, 'r'],
  [0x09, 't'],
  [0x0b, 'v'],
  [0x5c, '\\'],
  [0x22, '"'],
]);

function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, '0');
}

// ---------------------------------------------------------------------------------------------
// Fallback parsing: classic first, then UTF-8, as Alertmanager's compat package does

/** A matcher as one parser read it, before its regex is compiled. */
interface RawMatcher {
  readonly name: string;
  readonly type: MatchType;
  readonly value: string;
  /** Offset of the matcher in the input. */
  readonly start: number;
  /** Offset in the input of each UTF-16 unit of `value`, to place regex errors; or of the value. */
  readonly valueColumns: readonly number[] | number;
}

/**
 * Why one parser refused the input: `syntax` (the shape), `value` (a value's quoting, classic
 * parser) or `regex` (the shape was fine, a regex was not).
 */
interface Failure {
  readonly stage: 'syntax' | 'value' | 'regex';
  readonly column: number;
  readonly reason: string;
}

interface Parsed {
  readonly matcher: Matcher;
  readonly start: number;
}

function parseAll(text: string): Parsed[] {
  const lone = findLoneSurrogate(text);
  if (lone >= 0) throw new MatcherSyntaxError(text, lone, 'not valid Unicode (lone surrogate)');
  const classic = compileAll(parseClassic(text));
  if (!isFailure(classic)) return classic;
  const utf8 = compileAll(parseUtf8(text));
  if (!isFailure(utf8)) return utf8;
  // Both refused it (Alertmanager then reports the classic error). Show the error that tells the
  // author most: a regex error first (the syntax was fine), then a classic quoting error, then the
  // UTF-8 parser's, which knows where the shape went wrong.
  const chosen =
    [classic, utf8].find((f) => f.stage === 'regex') ??
    (classic.stage === 'value' ? classic : utf8);
  throw new MatcherSyntaxError(text, chosen.column, chosen.reason);
}

function isFailure(x: readonly unknown[] | Failure): x is Failure {
  return !Array.isArray(x);
}

function compileAll(raw: RawMatcher[] | Failure): Parsed[] | Failure {
  if (isFailure(raw)) return raw;
  const out: Parsed[] = [];
  for (const r of raw) {
    if (r.type === '=' || r.type === '!=') {
      out.push({ matcher: new LiteralMatcher(r.name, r.type, r.value), start: r.start });
      continue;
    }
    const re = compileRegex(r.value);
    if (re instanceof Re2Error) {
      const cols = r.valueColumns;
      const column = typeof cols === 'number' ? cols : (cols[re.index] ?? cols.at(-1) ?? r.start);
      return { stage: 'regex', column, reason: regexReason(r.value, re.reason) };
    }
    out.push({ matcher: new RegexMatcher(r.name, r.type, r.value, re), start: r.start });
  }
  return out;
}

function regexReason(regex: string, reason: string): string {
  return `invalid regular expression "${regex}": ${reason}`;
}

const OPERATORS: readonly MatchType[] = ['=~', '=', '!=', '!~'];

// ---------------------------------------------------------------------------------------------
// The classic parser (pkg/labels.ParseMatchers)

function parseClassic(text: string): RawMatcher[] | Failure {
  let start = 0;
  let end = text.length;
  if (text.startsWith('{')) start = 1;
  if (end > start && text.endsWith('}')) end -= 1;
  // Split at commas outside double quotes. Like Go, a backslash toggles "escaped" and only a quote
  // or another character clears it; a comma leaves it as it was.
  const tokens: [number, number][] = [];
  let tokenStart = start;
  let quoted = false;
  let escaped = false;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x2c) {
      if (!quoted) {
        tokens.push([tokenStart, i]);
        tokenStart = i + 1;
      }
    } else if (c === 0x22) {
      if (escaped) escaped = false;
      else quoted = !quoted;
    } else if (c === 0x5c) {
      escaped = !escaped;
    } else {
      escaped = false;
    }
  }
  // Only the last token is trimmed (Unicode whitespace), and dropped when empty: a trailing comma.
  let lastStart = tokenStart;
  let lastEnd = end;
  while (lastStart < lastEnd && isGoSpace(cpAt(text, lastStart)))
    lastStart += width(cpAt(text, lastStart));
  while (lastEnd > lastStart && isGoSpace(cpBefore(text, lastEnd)))
    lastEnd -= width(cpBefore(text, lastEnd));
  if (lastEnd > lastStart) tokens.push([lastStart, lastEnd]);

  const out: RawMatcher[] = [];
  for (const [a, b] of tokens) {
    const m = parseClassicMatcher(text.slice(a, b), a);
    if ('stage' in m) return m;
    out.push(m);
  }
  return out;
}

/** One classic matcher: `^\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(=~|=|!=|!~)\s*((?s).*?)\s*$`. */
function parseClassicMatcher(token: string, offset: number): RawMatcher | Failure {
  const fail = (stage: Failure['stage'], at: number, reason: string): Failure => ({
    stage,
    column: offset + at,
    reason,
  });
  let i = skipRe2Space(token, 0);
  const nameStart = i;
  if (!isClassicNameStart(token.charCodeAt(i))) return fail('syntax', i, 'expected a label name');
  i++;
  while (isClassicNameChar(token.charCodeAt(i))) i++;
  const name = token.slice(nameStart, i);
  i = skipRe2Space(token, i);
  const type = OPERATORS.find((op) => token.startsWith(op, i));
  if (type === undefined) return fail('syntax', i, EXPECTED_OPERATOR);
  i = skipRe2Space(token, i + type.length);
  let end = token.length;
  while (end > i && isRe2Space(token.charCodeAt(end - 1))) end--;

  // Unescape: `\"`, `\\` and `\n` are escapes, any other backslash is literal; a double quote may
  // only open (first character) and close (last character) the value.
  const valueStart = i;
  let closingQuoteExpected = false;
  if (token.charCodeAt(i) === 0x22) {
    closingQuoteExpected = true;
    i++;
  }
  let value = '';
  const columns: number[] = [];
  const put = (s: string, at: number): void => {
    value += s;
    columns.push(...new Array<number>(s.length).fill(offset + at));
  };
  for (; i < end; i++) {
    const c = token.charCodeAt(i);
    if (c === 0x5c) {
      if (i === end - 1) {
        put('\\', i);
        continue;
      }
      const next = token.charCodeAt(i + 1);
      if (next === 0x6e) put('\n', i);
      else if (next === 0x22 || next === 0x5c) put(token.charAt(i + 1), i);
      else put(`\\${token.charAt(i + 1)}`, i);
      i++;
    } else if (c === 0x22) {
      if (!closingQuoteExpected || i !== end - 1) {
        return fail(
          'value',
          i,
          'unescaped double quote in the value (write \\" for a literal one)',
        );
      }
      closingQuoteExpected = false;
    } else {
      put(token.charAt(i), i);
    }
  }
  if (closingQuoteExpected) return fail('value', valueStart, 'missing closing double quote');
  columns.push(offset + end);
  return { name, type, value, start: offset + nameStart, valueColumns: columns };
}

const EXPECTED_OPERATOR = "expected an operator such as '=', '!=', '=~' or '!~'";

function isClassicNameStart(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x5f || c === 0x3a;
}

function isClassicNameChar(c: number): boolean {
  return isClassicNameStart(c) || (c >= 0x30 && c <= 0x39);
}

/** RE2's `\s`, which the classic parser's regex uses: ASCII only, without `\v`. */
function isRe2Space(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0c || c === 0x0d;
}

function skipRe2Space(s: string, i: number): number {
  while (isRe2Space(s.charCodeAt(i))) i++;
  return i;
}

// ---------------------------------------------------------------------------------------------
// The UTF-8 parser (matcher/parse)

type TokenKind = '{' | '}' | ',' | MatchType | 'quoted' | 'unquoted' | 'end';

interface Token {
  readonly kind: TokenKind;
  readonly start: number;
  readonly text: string;
}

/** Tokens up to the first lexical error, which ends the list (the parser may fail before it). */
function lex(s: string): (Token | Failure)[] {
  const out: (Token | Failure)[] = [];
  let i = 0;
  const fail = (at: number, reason: string): Failure => ({ stage: 'syntax', column: at, reason });
  for (;;) {
    while (i < s.length && isGoSpace(cpAt(s, i))) i += width(cpAt(s, i));
    if (i >= s.length) {
      out.push({ kind: 'end', start: s.length, text: '' });
      return out;
    }
    const start = i;
    const c = cpAt(s, i);
    if (c === 0x7b || c === 0x7d || c === 0x2c) {
      out.push({ kind: s.charAt(i) as '{' | '}' | ',', start, text: s.charAt(i) });
      i++;
    } else if (c === 0x3d || c === 0x21) {
      const next = s.charCodeAt(i + 1);
      let op: MatchType;
      if (c === 0x3d) op = next === 0x7e ? '=~' : '=';
      else if (next === 0x3d) op = '!=';
      else if (next === 0x7e) op = '!~';
      else {
        out.push(fail(i, "'!' must be followed by '=' or '~'"));
        return out;
      }
      out.push({ kind: op, start, text: op });
      i += op.length;
    } else if (c === 0x22) {
      let escaped = false;
      i++;
      for (; i < s.length; i++) {
        const q = s.charCodeAt(i);
        if (escaped) escaped = false;
        else if (q === 0x5c) escaped = true;
        else if (q === 0x22) break;
      }
      if (i >= s.length) {
        out.push(fail(start, 'missing closing double quote'));
        return out;
      }
      i++;
      out.push({ kind: 'quoted', start, text: s.slice(start, i) });
    } else if (!isReserved(c)) {
      while (i < s.length && !isReserved(cpAt(s, i))) i += width(cpAt(s, i));
      out.push({ kind: 'unquoted', start, text: s.slice(start, i) });
    } else {
      out.push(fail(i, `unexpected character '${String.fromCodePoint(c)}'`));
      return out;
    }
  }
}

function parseUtf8(text: string): RawMatcher[] | Failure {
  const tokens = lex(text);
  let k = 0;
  const peek = (): Token | Failure => tokens[Math.min(k, tokens.length - 1)] ?? END;
  const fail = (t: Token, reason: string): Failure => ({
    stage: 'syntax',
    column: t.start,
    reason,
  });
  const describe = (t: Token): string => (t.kind === 'end' ? 'end of input' : `'${t.text}'`);
  const out: RawMatcher[] = [];

  let t = peek();
  if ('stage' in t) return t;
  if (t.kind === 'end') return out;
  const braced = t.kind === '{';
  let more = true;
  if (braced) {
    k++;
    t = peek();
    if ('stage' in t) return t;
    more = t.kind !== '}' && t.kind !== 'end';
  }
  while (more) {
    const nameToken = peek();
    if ('stage' in nameToken) return nameToken;
    if (nameToken.kind !== 'quoted' && nameToken.kind !== 'unquoted') {
      return fail(nameToken, `expected a label name, got ${describe(nameToken)}`);
    }
    k++;
    const name = unquoteToken(nameToken);
    if (typeof name !== 'string') return name;
    const opToken = peek();
    if ('stage' in opToken) return opToken;
    if (!OPERATORS.includes(opToken.kind as MatchType)) {
      return fail(opToken, `${EXPECTED_OPERATOR}, got ${describe(opToken)}`);
    }
    k++;
    const valueToken = peek();
    if ('stage' in valueToken) return valueToken;
    if (valueToken.kind !== 'quoted' && valueToken.kind !== 'unquoted') {
      return fail(valueToken, `expected a label value, got ${describe(valueToken)}`);
    }
    k++;
    const value = unquoteToken(valueToken);
    if (typeof value !== 'string') return value;
    out.push({
      name,
      type: opToken.kind as MatchType,
      value,
      start: nameToken.start,
      valueColumns: valueToken.start + (valueToken.kind === 'quoted' ? 1 : 0),
    });

    const after = peek();
    if ('stage' in after) return after;
    if (after.kind === 'end' || after.kind === '}') break;
    if (after.kind !== ',') return fail(after, `expected ',' or '}', got ${describe(after)}`);
    k++;
    const next = peek();
    if ('stage' in next) return next;
    if (next.kind === 'end' || next.kind === '}') break;
    if (next.kind !== 'quoted' && next.kind !== 'unquoted') {
      return fail(next, `expected a matcher or '}' after ',', got ${describe(next)}`);
    }
  }
  // The closing brace, then the end.
  t = peek();
  if ('stage' in t) return t;
  if (braced) {
    if (t.kind !== '}') return fail(t, `expected '}' to close the opening '{', got ${describe(t)}`);
    k++;
  } else if (t.kind === '}') {
    return fail(t, "unexpected '}' without an opening '{'");
  }
  t = peek();
  if ('stage' in t) return t;
  if (t.kind !== 'end') return fail(t, `expected the end of the input, got ${describe(t)}`);
  return out;
}

const END: Token = { kind: 'end', start: 0, text: '' };

function unquoteToken(t: Token): string | Failure {
  if (t.kind !== 'quoted') return t.text;
  const r = goUnquote(t.text);
  return typeof r === 'string' ? r : { stage: 'syntax', column: t.start + r.at, reason: r.reason };
}

/** Go's `strconv.Unquote` for a double-quoted string, then its UTF-8 validity check. */
function goUnquote(q: string): string | { at: number; reason: string } {
  const bytes: number[] = [];
  const end = q.length - 1;
  for (let i = 1; i < end;) {
    const c = cpAt(q, i);
    if (c === 0x0a)
      return { at: i, reason: 'a quoted string cannot contain a line break (write \\n)' };
    if (c !== 0x5c) {
      pushUtf8(bytes, c);
      i += width(c);
      continue;
    }
    const at = i;
    const e = q.charAt(i + 1);
    i += 2;
    const bad = {
      at,
      reason: `invalid escape sequence '${q.slice(at, Math.min(at + 2, end))}' in a quoted string`,
    };
    const simple = GO_CHAR_ESCAPES.get(e);
    if (simple !== undefined) {
      bytes.push(simple);
    } else if (e === 'x' || e === 'u' || e === 'U') {
      const n = e === 'x' ? 2 : e === 'u' ? 4 : 8;
      const digits = q.slice(i, i + n);
      if (i + n > end || !/^[0-9a-fA-F]+$/.test(digits)) return bad;
      const v = parseInt(digits, 16);
      i += n;
      if (e === 'x') bytes.push(v);
      else if (v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) return bad;
      else pushUtf8(bytes, v);
    } else if (e >= '0' && e <= '7') {
      const digits = q.slice(i - 1, i + 2);
      if (!/^[0-7]{3}$/.test(digits) || i + 2 > end) return bad;
      const v = parseInt(digits, 8);
      if (v > 255) return bad;
      bytes.push(v);
      i += 2;
    } else {
      return bad;
    }
  }
  const decoded = decodeUtf8(bytes);
  return decoded ?? { at: 0, reason: `quoted string ${q} is not valid UTF-8` };
}

const GO_CHAR_ESCAPES = new Map<string, number>([
  ['a', 0x07],
  ['b', 0x08],
  ['f', 0x0c],
  ['n', 0x0a],
  ['r', 0x0d],
  ['t', 0x09],
  ['v', 0x0b],
  ['\\', 0x5c],
  ['"', 0x22],
]);

function pushUtf8(bytes: number[], c: number): void {
  if (c < 0x80) bytes.push(c);
  else if (c < 0x800) bytes.push(0xc0 | (c >> 6), 0x80 | (c & 0x3f));
  else if (c < 0x10000) bytes.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f));
  else {
    bytes.push(
      0xf0 | (c >> 18),
      0x80 | ((c >> 12) & 0x3f),
      0x80 | ((c >> 6) & 0x3f),
      0x80 | (c & 0x3f),
    );
  }
}

/** Strict UTF-8 (Go's `utf8.ValidString`): no overlong forms, surrogates or values past U+10FFFF. */
function decodeUtf8(bytes: readonly number[]): string | undefined {
  let out = '';
  for (let i = 0; i < bytes.length;) {
    const b0 = bytes[i] ?? 0;
    let n: number;
    let c: number;
    let min: number;
    if (b0 < 0x80) [n, c, min] = [0, b0, 0];
    else if (b0 >= 0xc2 && b0 <= 0xdf) [n, c, min] = [1, b0 & 0x1f, 0x80];
    else if (b0 >= 0xe0 && b0 <= 0xef) [n, c, min] = [2, b0 & 0x0f, 0x800];
    else if (b0 >= 0xf0 && b0 <= 0xf4) [n, c, min] = [3, b0 & 0x07, 0x10000];
    else return undefined;
    for (let k = 1; k <= n; k++) {
      const b = bytes[i + k];
      if (b === undefined || (b & 0xc0) !== 0x80) return undefined;
      c = (c << 6) | (b & 0x3f);
    }
    if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) return undefined;
    out += String.fromCodePoint(c);
    i += n + 1;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Characters

/** Go's `unicode.IsSpace`. */
function isGoSpace(c: number): boolean {
  return (
    (c >= 0x09 && c <= 0x0d) ||
    c === 0x20 ||
    c === 0x85 ||
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000
  );
}

/** Characters that end an unquoted token of the UTF-8 parser. */
function isReserved(c: number): boolean {
  return isGoSpace(c) || RESERVED.has(c);
}

const RESERVED = new Set(Array.from('{}!=~,\\"\'`', (ch) => ch.charCodeAt(0)));

function cp(ch: string): number {
  return ch.codePointAt(0) ?? 0;
}

function cpAt(s: string, i: number): number {
  return s.codePointAt(i) ?? -1;
}

function cpBefore(s: string, end: number): number {
  const low = s.charCodeAt(end - 1);
  if (low >= 0xdc00 && low <= 0xdfff && end >= 2) {
    const high = s.charCodeAt(end - 2);
    if (high >= 0xd800 && high <= 0xdbff) return cpAt(s, end - 2);
  }
  return low;
}

function width(c: number): number {
  return c > 0xffff ? 2 : 1;
}

function findLoneSurrogate(s: string): number {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = s.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
      else return i;
    } else if (c >= 0xdc00 && c <= 0xdfff) {
      return i;
    }
  }
  return -1;
}

// ---------------------------------------------------------------------------------------------
// RE2 → JavaScript

/** A regex RE2 would refuse, or that cannot be honoured in JavaScript; `index` is in the value. */
class Re2Error extends Error {
  constructor(
    readonly index: number,
    readonly reason: string,
  ) {
    super(reason);
  }
}

const WRAP_PREFIX = '^(?:';

/** Compiles `^(?:value)$` as Go's `regexp.Compile` would, or says why not. */
function compileRegex(value: string): RegExp | Re2Error {
  const pattern = `${WRAP_PREFIX}${value})$`;
  let translated: { source: string; ignoreCase: boolean };
  try {
    translated = new Re2Translator(pattern).translate();
  } catch (err) {
    if (!(err instanceof Re2Error)) throw err;
    const index = Math.max(0, Math.min(value.length, err.index - WRAP_PREFIX.length));
    return new Re2Error(index, err.reason);
  }
  try {
    return new RegExp(translated.source, translated.ignoreCase ? 'iu' : 'u');
  } catch (err) {
    // Not expected: the translator only emits syntax V8 accepts. Say so rather than crash.
    return new Re2Error(
      0,
      `cannot be translated to JavaScript (${err instanceof Error ? err.message : 'unknown error'})`,
    );
  }
}

interface Re2Flags {
  /** `(?i)` case-insensitive */
  readonly i: boolean;
  /** `(?m)` `^` and `$` match at line breaks */
  readonly m: boolean;
  /** `(?s)` `.` matches `\n` */
  readonly s: boolean;
  /** `(?U)` ungreedy: `*` is lazy and `*?` greedy */
  readonly U: boolean;
}

interface Atom {
  readonly src: string;
  /** Already carries a quantifier, or is an assertion: needs a group before taking one. */
  readonly wrap: boolean;
  /** Largest product of `{n,m}` counts on any path inside, for RE2's 1000-copies limit. */
  readonly weight: number;
}

interface Group {
  readonly open: number;
  /** The flags to restore when the group closes. */
  readonly flags: Re2Flags;
  readonly alternatives: string[];
  weight: number;
  sequence: Atom[];
}

const MAX_REPEAT = 1000;
// Sticky: they match exactly at lastIndex, which is set before each use.
const COUNTS = /\{(0|[1-9][0-9]*)(?:(,)(0|[1-9][0-9]*)?)?\}/y;
const BRACED_HEX = /\{([0-9a-fA-F]+)\}/y;

/**
 * A recursive-descent reading of Go's `regexp/syntax` parser (Perl flags, as `regexp.Compile` uses)
 * that emits JavaScript `u`-mode source. Every literal is emitted as `\u{…}` unless it is a word
 * character, so JavaScript's stricter escaping rules never bite.
 */
class Re2Translator {
  private pos = 0;
  private flags: Re2Flags = { i: false, m: false, s: false, U: false };
  private readonly stack: Group[] = [];
  private group: Group = newGroup(-1, this.flags);
  private readonly names = new Set<string>();
  private firstFolded = -1;
  private firstExact = -1;

  constructor(private readonly p: string) {}

  translate(): { source: string; ignoreCase: boolean } {
    const p = this.p;
    let afterRepeat = false;
    while (this.pos < p.length) {
      const c = p.charCodeAt(this.pos);
      let repeated = false;
      switch (c) {
        case 0x28: // (
          this.openGroup();
          break;
        case 0x7c: // |
          this.group.alternatives.push(sequenceSource(this.group.sequence));
          this.group.weight = Math.max(this.group.weight, sequenceWeight(this.group.sequence));
          this.group.sequence = [];
          this.pos++;
          break;
        case 0x29: // )
          this.closeGroup();
          break;
        case 0x5e: // ^
          this.pushAssertion(this.flags.m ? '(?<![^\\n])' : '^');
          this.pos++;
          break;
        case 0x24: // $
          this.pushAssertion(this.flags.m ? '(?![^\\n])' : '$');
          this.pos++;
          break;
        case 0x2e: // .
          this.push(this.flags.s ? '[\\s\\S]' : '[^\\n]', false);
          this.pos++;
          break;
        case 0x5b: // [
          this.parseClass();
          break;
        case 0x2a: // *
        case 0x2b: // +
        case 0x3f: // ?
          this.pos++;
          this.repeat(p.charAt(this.pos - 1), this.pos - 1, afterRepeat, -1, -1);
          repeated = true;
          break;
        case 0x7b: {
          // { is a literal unless it starts a valid {n}, {n,} or {n,m}
          const start = this.pos;
          const counts = this.parseCounts();
          if (counts === undefined) {
            this.pushLiteral(0x7b);
            this.pos++;
            break;
          }
          const [min, max] = counts;
          if (min < 0 || min > MAX_REPEAT || max > MAX_REPEAT || (max >= 0 && min > max)) {
            throw new Re2Error(start, `invalid repeat count ${p.slice(start, this.pos)}`);
          }
          const text = max === min ? `{${min}}` : max < 0 ? `{${min},}` : `{${min},${max}}`;
          this.repeat(text, start, afterRepeat, min, max);
          repeated = true;
          break;
        }
        case 0x5c: // \
          this.parseBackslash();
          break;
        default: {
          const ch = cpAt(p, this.pos);
          this.pushLiteral(ch);
          this.pos += width(ch);
        }
      }
      afterRepeat = repeated;
    }
    if (this.stack.length > 0) throw new Re2Error(this.group.open, 'missing closing )');
    if (this.firstFolded >= 0 && this.firstExact >= 0) {
      throw new Re2Error(
        Math.max(this.firstFolded, this.firstExact),
        '(?i) must apply to the whole expression here (put it at the very start): JavaScript ' +
          'cannot make only part of a regular expression case-insensitive',
      );
    }
    const source = [...this.group.alternatives, sequenceSource(this.group.sequence)].join('|');
    return { source, ignoreCase: this.firstFolded >= 0 };
  }

  private push(src: string, caseSensitive: boolean, weight = 1): void {
    this.noteCase(caseSensitive);
    this.group.sequence.push({ src, wrap: false, weight });
  }

  private pushAssertion(src: string): void {
    this.group.sequence.push({ src, wrap: true, weight: 1 });
  }

  private pushLiteral(c: number): void {
    this.push(literal(c), hasCase(c));
  }

  /** Records whether a case-sensitive piece was under `(?i)`, to check it is all or nothing. */
  private noteCase(caseSensitive: boolean): void {
    if (!caseSensitive) return;
    if (this.flags.i) {
      if (this.firstFolded < 0) this.firstFolded = this.pos;
    } else if (this.firstExact < 0) {
      this.firstExact = this.pos;
    }
  }

  private repeat(op: string, start: number, afterRepeat: boolean, min: number, max: number): void {
    let lazy = false;
    if (this.p.charCodeAt(this.pos) === 0x3f) {
      lazy = true;
      this.pos++;
    }
    if (afterRepeat) {
      throw new Re2Error(
        start,
        `invalid nested repetition operator ${this.p.slice(start, this.pos)}`,
      );
    }
    const seq = this.group.sequence;
    const last = seq.at(-1);
    if (last === undefined) {
      throw new Re2Error(
        start,
        `missing argument to repetition operator ${this.p.slice(start, this.pos)}`,
      );
    }
    let weight = last.weight;
    if (op.startsWith('{')) {
      const m = max < 0 ? min : max;
      if ((min >= 2 || max >= 2) && m > 0 && m * last.weight > MAX_REPEAT) {
        throw new Re2Error(
          start,
          `invalid repeat count ${this.p.slice(start, this.pos)} (RE2 allows 1000 copies at most)`,
        );
      }
      weight = m === 0 ? 1 : m * last.weight;
    }
    const base = last.wrap ? `(?:${last.src})` : last.src;
    seq[seq.length - 1] = {
      src: `${base}${op}${lazy !== this.flags.U ? '?' : ''}`,
      wrap: true,
      weight,
    };
  }

  /** `{n}`, `{n,}` or `{n,m}` at `pos` (leading zeros are not numbers); consumed only if valid. */
  private parseCounts(): [number, number] | undefined {
    COUNTS.lastIndex = this.pos;
    const match = COUNTS.exec(this.p);
    if (match === null) return undefined;
    const number = (s: string): number => (s.length > 8 ? -1 : Number(s));
    const min = number(match[1] ?? '');
    let max = min;
    if (match[2] !== undefined) max = match[3] === undefined ? -1 : number(match[3]);
    this.pos += match[0].length;
    // Go marks a too-large max by making min invalid.
    return [match[3] !== undefined && max < 0 ? -1 : min, max];
  }

  private openGroup(): void {
    const p = this.p;
    const start = this.pos;
    if (!p.startsWith('(?', start)) {
      this.stack.push(this.group);
      this.group = newGroup(start, this.flags);
      this.pos++;
      return;
    }
    const named =
      p.startsWith('(?P<', start) && p.length - start > 4
        ? 4
        : p.length - start > 3 && p.startsWith('(?<', start)
          ? 3
          : 0;
    if (named > 0) {
      if (named === 3 && (p.charAt(start + 3) === '=' || p.charAt(start + 3) === '!')) {
        throw new Re2Error(
          start,
          `lookbehind assertions such as ${p.slice(start, start + 4)} are not supported by RE2`,
        );
      }
      const end = p.indexOf('>', start);
      const name = end < 0 ? '' : p.slice(start + named, end);
      if (end < 0 || !/^[A-Za-z0-9_]+$/.test(name)) {
        throw new Re2Error(
          start,
          `invalid named capture ${p.slice(start, end < 0 ? p.length : end + 1)}`,
        );
      }
      if (this.names.has(name)) throw new Re2Error(start, `duplicate capture group name ${name}`);
      this.names.add(name);
      this.stack.push(this.group);
      this.group = newGroup(start, this.flags);
      this.pos = end + 1;
      return;
    }
    // Flags: (?flags) sets them until the enclosing group closes, (?flags:re) inside re only.
    const set = { ...this.flags };
    let negated = false;
    let sawFlag = false;
    for (let i = start + 2; i < p.length; i++) {
      const c = p.charAt(i);
      if (c === 'i' || c === 'm' || c === 's' || c === 'U') {
        set[c] = !negated;
        sawFlag = true;
      } else if (c === '-' && !negated) {
        negated = true;
        sawFlag = false;
      } else if ((c === ':' || c === ')') && (!negated || sawFlag)) {
        if (c === ':') {
          this.stack.push(this.group);
          this.group = newGroup(start, this.flags);
        }
        this.flags = set;
        this.pos = i + 1;
        return;
      } else {
        break;
      }
    }
    const next = p.charAt(start + 2);
    if (next === '=' || next === '!') {
      throw new Re2Error(
        start,
        `lookahead assertions such as ${p.slice(start, start + 3)} are not supported by RE2`,
      );
    }
    throw new Re2Error(start, `invalid or unsupported Perl syntax ${p.slice(start, start + 3)}`);
  }

  private closeGroup(): void {
    const parent = this.stack.pop();
    if (parent === undefined) throw new Re2Error(this.pos, 'unexpected )');
    const g = this.group;
    const body = [...g.alternatives, sequenceSource(g.sequence)].join('|');
    const weight = Math.max(g.weight, sequenceWeight(g.sequence));
    this.flags = g.flags;
    this.group = parent;
    parent.sequence.push({ src: `(?:${body})`, wrap: false, weight });
    this.pos++;
  }

  private parseBackslash(): void {
    const p = this.p;
    const start = this.pos;
    const e = p.charAt(start + 1);
    switch (e) {
      case 'A':
        this.pushAssertion('^');
        this.pos += 2;
        return;
      case 'z':
        this.pushAssertion('$');
        this.pos += 2;
        return;
      case 'b':
      case 'B':
        this.pushAssertion(`\\${e}`);
        this.pos += 2;
        return;
      case 'Q': {
        const stop = p.indexOf('\\E', start + 2);
        const text = p.slice(start + 2, stop < 0 ? p.length : stop);
        this.pos = start + 2;
        for (const ch of text) {
          this.pushLiteral(cp(ch));
          this.pos += ch.length;
        }
        this.pos = stop < 0 ? p.length : stop + 2;
        return;
      }
      case 'p':
      case 'P':
        this.push(this.parseUnicodeClass(), true);
        return;
      case 'd':
      case 'D':
      case 's':
      case 'S':
      case 'w':
      case 'W':
        this.push(PERL_CLASSES[e].outside, e === 'w' || e === 'W');
        this.pos += 2;
        return;
      default: {
        const c = this.parseEscape();
        this.pushLiteral(c);
      }
    }
  }

  /** A single-character escape at `pos` (Go's `parseEscape`); advances past it. */
  private parseEscape(): number {
    const p = this.p;
    const start = this.pos;
    if (start + 1 >= p.length) throw new Re2Error(start, 'trailing backslash at end of expression');
    const c = cpAt(p, start + 1);
    let i = start + 2;
    const isOctal = (k: number): boolean => p.charCodeAt(k) >= 0x30 && p.charCodeAt(k) <= 0x37;
    if (c < 0x80 && !isAsciiAlnum(c)) {
      this.pos = i;
      return c;
    }
    const e = String.fromCodePoint(c);
    if (c === 0x30 || (c >= 0x31 && c <= 0x37 && isOctal(i))) {
      let r = c - 0x30;
      for (let k = 0; k < 2 && isOctal(i); k++, i++) r = r * 8 + (p.charCodeAt(i) - 0x30);
      this.pos = i;
      return r;
    }
    if (e === 'x') {
      BRACED_HEX.lastIndex = i;
      const braced = BRACED_HEX.exec(p);
      if (braced?.[1] !== undefined) {
        const v = parseInt(braced[1], 16);
        if (v <= 0x10ffff) {
          this.pos = i + braced[0].length;
          return v;
        }
      } else if (/^[0-9a-fA-F]{2}/.test(p.slice(i, i + 2))) {
        this.pos = i + 2;
        return parseInt(p.slice(i, i + 2), 16);
      }
      throw new Re2Error(start, `invalid escape sequence ${p.slice(start, i + 2)}`);
    }
    const control = RE2_CONTROL_ESCAPES.get(e);
    if (control !== undefined) {
      this.pos = i;
      return control;
    }
    if (c >= 0x31 && c <= 0x39) {
      throw new Re2Error(start, `backreferences such as \\${e} are not supported by RE2`);
    }
    if (e === 'k')
      throw new Re2Error(start, 'named backreferences (\\k<name>) are not supported by RE2');
    if (e === 'u')
      throw new Re2Error(start, '\\u escapes are not supported by RE2; write \\x{hhhh}');
    throw new Re2Error(start, `invalid escape sequence \\${e}`);
  }

  /** `\pL`, `\p{Greek}`, `\PL`, `\p{^Greek}` at `pos` → a JavaScript property escape. */
  private parseUnicodeClass(): string {
    const p = this.p;
    const start = this.pos;
    let positive = p.charAt(start + 1) === 'p';
    let name: string;
    if (p.charAt(start + 2) === '{') {
      const close = p.indexOf('}', start);
      if (close < 0) throw new Re2Error(start, `invalid character class range ${p.slice(start)}`);
      name = p.slice(start + 3, close);
      this.pos = close + 1;
    } else {
      const c = cpAt(p, start + 2);
      name = c < 0 ? '' : String.fromCodePoint(c);
      this.pos = start + 2 + name.length;
    }
    const seq = p.slice(start, this.pos);
    if (name.startsWith('^')) {
      positive = !positive;
      name = name.slice(1);
    }
    const property = unicodeProperty(name);
    if (property === undefined) throw new Re2Error(start, `invalid character class range ${seq}`);
    return `\\${positive ? 'p' : 'P'}{${property}}`;
  }

  /** A bracketed class at `pos` (Go's `parseClass`). */
  private parseClass(): void {
    const p = this.p;
    const start = this.pos;
    const classStart = this.pos;
    let i = start + 1;
    let negated = false;
    if (p.charAt(i) === '^') {
      negated = true;
      i++;
    }
    let parts = '';
    let caseSensitive = false;
    let first = true;
    while (i >= p.length || p.charAt(i) !== ']' || first) {
      first = false;
      if (i >= p.length) throw new Re2Error(classStart, 'missing closing ]');
      if (p.startsWith('[:', i)) {
        const close = p.indexOf(':]', i + 2);
        if (close >= 0) {
          const name = p.slice(i, close + 2);
          const negatedPosix = name.startsWith('[:^');
          const posix = POSIX_CLASSES.get(negatedPosix ? `[:${name.slice(3)}` : name);
          if (posix === undefined) throw new Re2Error(i, `invalid character class range ${name}`);
          parts += rangesSource(negatedPosix ? complement(posix.ranges) : posix.ranges);
          caseSensitive ||= posix.caseSensitive;
          i = close + 2;
          continue;
        }
      }
      if (p.charAt(i) === '\\') {
        const e = p.charAt(i + 1);
        if (e === 'p' || e === 'P') {
          this.pos = i;
          parts += this.parseUnicodeClass();
          caseSensitive = true;
          i = this.pos;
          continue;
        }
        if (e === 'd' || e === 'D' || e === 's' || e === 'S' || e === 'w' || e === 'W') {
          parts += PERL_CLASSES[e].inside;
          caseSensitive ||= e === 'w' || e === 'W';
          i += 2;
          continue;
        }
      }
      const rangeStart = i;
      const lo = this.classChar(i, classStart);
      let hi = lo;
      i = this.pos;
      if (p.charAt(i) === '-' && i + 1 < p.length && p.charAt(i + 1) !== ']') {
        hi = this.classChar(i + 1, classStart);
        i = this.pos;
        if (hi < lo)
          throw new Re2Error(rangeStart, `invalid character class range ${p.slice(rangeStart, i)}`);
      }
      parts += rangesSource([[lo, hi]]);
      caseSensitive ||= rangeHasCase(lo, hi);
    }
    this.pos = i + 1;
    // Record the case use where the class starts, not where it ends.
    const end = this.pos;
    this.pos = start;
    this.push(`[${negated ? '^' : ''}${parts}]`, caseSensitive);
    this.pos = end;
  }

  private classChar(i: number, classStart: number): number {
    if (i >= this.p.length) throw new Re2Error(classStart, 'missing closing ]');
    this.pos = i;
    if (this.p.charCodeAt(i) === 0x5c) return this.parseEscape();
    const c = cpAt(this.p, i);
    this.pos = i + width(c);
    return c;
  }
}

function newGroup(open: number, flags: Re2Flags): Group {
  return { open, flags, alternatives: [], weight: 1, sequence: [] };
}

function sequenceSource(seq: readonly Atom[]): string {
  return seq.map((a) => a.src).join('');
}

function sequenceWeight(seq: readonly Atom[]): number {
  return seq.reduce((w, a) => Math.max(w, a.weight), 1);
}

function literal(c: number): string {
  return isAsciiAlnum(c) || c === 0x5f ? String.fromCharCode(c) : `\\u{${c.toString(16)}}`;
}

function isAsciiAlnum(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}

/** Whether case folding can change what this character matches. */
function hasCase(c: number): boolean {
  const ch = String.fromCodePoint(c);
  return ch.toLowerCase() !== ch || ch.toUpperCase() !== ch;
}

function rangeHasCase(lo: number, hi: number): boolean {
  if (hi >= 0x80) return true;
  return (lo <= 0x5a && hi >= 0x41) || (lo <= 0x7a && hi >= 0x61);
}

type Ranges = readonly (readonly [number, number])[];

function rangesSource(ranges: Ranges): string {
  return ranges
    .map(([lo, hi]) => (lo === hi ? literal(lo) : `${literal(lo)}-${literal(hi)}`))
    .join('');
}

function complement(ranges: Ranges): Ranges {
  const out: [number, number][] = [];
  let next = 0;
  for (const [lo, hi] of ranges) {
    if (lo > next) out.push([next, lo - 1]);
    next = hi + 1;
  }
  if (next <= 0x10ffff) out.push([next, 0x10ffff]);
  return out;
}

const RE2_SPACE = parseRangeSpec('\t\n\f\r ');

const PERL_CLASSES = {
  d: { outside: '\\d', inside: '\\d' },
  D: { outside: '\\D', inside: '\\D' },
  w: { outside: '\\w', inside: '\\w' },
  W: { outside: '\\W', inside: '\\W' },
  // RE2's \s is ASCII and has no \v; JavaScript's is much wider.
  s: { outside: `[${rangesSource(RE2_SPACE)}]`, inside: rangesSource(RE2_SPACE) },
  S: { outside: `[^${rangesSource(RE2_SPACE)}]`, inside: rangesSource(complement(RE2_SPACE)) },
} as const;

const RE2_CONTROL_ESCAPES = new Map<string, number>([
  ['a', 0x07],
  ['f', 0x0c],
  ['n', 0x0a],
  ['r', 0x0d],
  ['t', 0x09],
  ['v', 0x0b],
]);

/** ASCII sets as RE2 defines them, written as `lo-hi` pairs and single characters. */
const POSIX_CLASSES = new Map<string, { ranges: Ranges; caseSensitive: boolean }>(
  Object.entries({
    alnum: '0-9A-Za-z',
    alpha: 'A-Za-z',
    ascii: '\x00-\x7f',
    blank: '\t ',
    cntrl: '\x00-\x1f\x7f',
    digit: '0-9',
    graph: '!-~',
    lower: 'a-z',
    print: ' -~',
    punct: '!-/:-@[-`{-~',
    space: '\t-\r ',
    upper: 'A-Z',
    word: '0-9A-Z_a-z',
    xdigit: '0-9A-Fa-f',
  }).map(([name, spec]) => {
    const ranges = parseRangeSpec(spec);
    return [
      `[:${name}:]`,
      { ranges, caseSensitive: ranges.some(([lo, hi]) => rangeHasCase(lo, hi)) },
    ];
  }),
);

function parseRangeSpec(spec: string): Ranges {
  const out: [number, number][] = [];
  for (let i = 0; i < spec.length; i++) {
    const lo = spec.charCodeAt(i);
    if (spec.charAt(i + 1) === '-' && i + 2 < spec.length) {
      out.push([lo, spec.charCodeAt(i + 2)]);
      i += 2;
    } else {
      out.push([lo, lo]);
    }
  }
  return out;
}

/** General categories RE2 knows by their short names; any other name is a script. */
const GENERAL_CATEGORIES = new Set([
  ...['C', 'Cc', 'Cf', 'Co', 'Cs', 'L', 'Ll', 'Lm', 'Lo', 'Lt', 'Lu', 'M', 'Mc', 'Me', 'Mn'],
  ...['N', 'Nd', 'Nl', 'No', 'P', 'Pc', 'Pd', 'Pe', 'Pf', 'Pi', 'Po', 'Ps'],
  ...['S', 'Sc', 'Sk', 'Sm', 'So', 'Z', 'Zl', 'Zp', 'Zs'],
]);

const propertyCache = new Map<string, string | undefined>();

function unicodeProperty(name: string): string | undefined {
  if (propertyCache.has(name)) return propertyCache.get(name);
  let property: string | undefined;
  if (GENERAL_CATEGORIES.has(name) || name === 'Any') property = name;
  else if (/^[A-Za-z][A-Za-z_]*$/.test(name)) property = `Script=${name}`;
  if (property !== undefined) {
    try {
      new RegExp(`\\p{${property}}`, 'u');
    } catch {
      property = undefined;
    }
  }
  propertyCache.set(name, property);
  return property;
}
