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
 * valid and unanchored). Regexes are compiled by re2js, a JavaScript port of Go's RE2 (`regexp`):
 * the same syntax, flags (`(?i)`, `(?s)`, `(?m)`, `(?U)`, scoped or not) and error messages, the
 * same refusals (backreferences `\1`, lookarounds, possessive and atomic groups, `\u`, `\cX`,
 * repeat counts above 1000, nesting deeper than 1000, …), and time linear in the length of the
 * value, so no label value in an alert can make a matcher slow. Compiled regexes are shared by
 * source in a bounded cache.
 *
 * Deliberate differences from Alertmanager:
 * - `parseMatcher` accepts an input wrapped in `{…}` (Alertmanager's single-matcher parser does
 *   not; its config parser, which reads `matchers:` lines, does).
 * - Inputs containing a lone UTF-16 surrogate are rejected: they have no UTF-8 encoding, and
 *   Alertmanager's two parsers treat invalid UTF-8 differently.
 * - `toString()` quotes an empty label name (`""="x"`), which Alertmanager prints unquoted.
 * - Parse error messages are this module's own (regex errors are RE2's, without Go's
 *   "error parsing regexp: " prefix); `column` is an offset in UTF-16 code units (a JavaScript
 *   string index), where Alertmanager counts runes. For a regex error it is where the text RE2
 *   quotes starts, or the start of the regex when RE2 quotes all of it (`missing closing )`).
 * And differences that come with re2js rather than Go: its Unicode tables (`\pL`, `\p{Greek}`,
 * `(?i)` folding) are those of the Unicode version it was built from, not necessarily the one of
 * the Go release Alertmanager was built with; and it refuses programs above about 1.4 million
 * instructions as `expression too large`, where Go allows 3.3 million.
 *
 * One idea, the matcher syntax, in one file of about 800 lines: the two parsers exist only to be
 * tried in turn, and share the token, failure and column types. It imports only re2js and
 * lru-cache, and is otherwise pure (the cache is a memo: nothing observable depends on it).
 */

import { LRUCache } from 'lru-cache';
import { RE2JS, RE2JSException, RE2JSSyntaxException } from 're2js';

/** `=` equal, `!=` not equal, `=~` regex matches the whole value, `!~` regex does not match it. */
export type MatchType = '=' | '!=' | '=~' | '!~';

/** One label matcher, compiled once; `matches` takes time linear in the length of the value. */
export interface Matcher {
  readonly name: string;
  readonly type: MatchType;
  /** The value as written, unescaped; for `=~` and `!~` the RE2 source (without the anchors). */
  readonly value: string;
  /** Whether the label value satisfies the matcher; `undefined` (label absent) counts as `""`. */
  matches(labelValue: string | undefined): boolean;
  /**
   * Every value it can match, when that is a known finite set (`=`, and `=~` of a literal
   * alternation such as `a|b`); undefined otherwise. An index, e.g. of policies by alertname.
   */
  readonly values?: ReadonlySet<string>;
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
  if (!(compiled instanceof RE2JS)) {
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
  readonly values?: ReadonlySet<string>;

  constructor(
    readonly name: string,
    readonly type: '=' | '!=',
    readonly value: string,
  ) {
    if (type === '=') this.values = new Set([value]);
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
  private readonly test: (value: string) => boolean;
  readonly values?: ReadonlySet<string>;

  constructor(
    readonly name: string,
    readonly type: '=~' | '!~',
    readonly value: string,
    re: RE2JS,
  ) {
    // A search, as Go's MatchString is: the anchors are in the pattern (see compileRegex).
    const literals = type === '=~' ? literalAlternation(value) : undefined;
    if (literals !== undefined) this.values = literals;
    this.test = literalShortcut(value) ?? ((v) => re.test(v));
    Object.freeze(this);
  }

  matches(labelValue: string | undefined): boolean {
    return this.test(labelValue ?? '') === (this.type === '=~');
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
// Regexes: Go's RE2, linear in the length of the value

/** What Alertmanager wraps around a regex value before `regexp.Compile`. */
const ANCHOR_START = '^(?:';
const ANCHOR_END = ')$';

/** A regex RE2 refuses: RE2's own message, and where in the regex the problem is. */
interface RegexError {
  readonly index: number;
  readonly reason: string;
}

/**
 * Compiled regexes by their source. Policies repeat the same regexes (and are compiled again on
 * every reload); sharing one compiled RE2 also shares the DFA it builds while matching. Bounded,
 * and a memo only: a regex missing from it is compiled again to the same result.
 */
const compiledRegexes = new LRUCache<string, RE2JS>({ max: 1000 });

/** Compiles `^(?:value)$` as Go's `regexp.Compile` would, or says why RE2 refuses it. */
function compileRegex(value: string): RE2JS | RegexError {
  const cached = compiledRegexes.get(value);
  if (cached !== undefined) return cached;
  const pattern = `${ANCHOR_START}${value}${ANCHOR_END}`;
  try {
    const re = RE2JS.compile(pattern);
    compiledRegexes.set(value, re);
    return re;
  } catch (err) {
    if (err instanceof RE2JSSyntaxException) {
      // Go's message without its "error parsing regexp: " prefix: what is wrong, then the part of
      // the pattern RE2 quotes, which starts where the problem is (or is the whole pattern).
      const fragment = err.getPattern();
      const at = fragment === null ? -1 : pattern.indexOf(fragment, ANCHOR_START.length);
      return {
        index: at < 0 ? 0 : Math.min(at - ANCHOR_START.length, value.length),
        reason:
          fragment === null ? err.getDescription() : `${err.getDescription()}: \`${fragment}\``,
      };
    }
    if (err instanceof RE2JSException) return { index: 0, reason: err.message };
    throw err;
  }
}

/** Characters that stand for themselves in RE2 outside a class, whatever follows them. */
const PLAIN = '[A-Za-z0-9_\\-:/@,=!<>\'"%&~#; ]';
const LITERAL_ALTERNATION = new RegExp(`^${PLAIN}+(?:\\|${PLAIN}+)*$`);
const LITERAL_PREFIX = new RegExp(`^(${PLAIN}+)\\.\\*$`);

/**
 * The shapes most matchers take, decided without the regex engine, as Prometheus' own fast regex
 * matcher does: `a|b|c` (whole-value alternation of literals) is a set lookup, `prefix.*` a
 * prefix test (RE2's `.` stops at a newline). Both are only taken once RE2 accepted the regex, and
 * a property test holds them equal to RE2. Undefined for any other regex.
 */
function literalShortcut(regex: string): ((value: string) => boolean) | undefined {
  const values = literalAlternation(regex);
  if (values !== undefined) return (v) => values.has(v);
  const prefix = LITERAL_PREFIX.exec(regex)?.[1];
  if (prefix !== undefined) return (v) => v.startsWith(prefix) && !v.includes('\n', prefix.length);
  return undefined;
}

/** The values `a|b|c` matches, for a whole-value alternation of literals; else undefined. */
function literalAlternation(regex: string): ReadonlySet<string> | undefined {
  return LITERAL_ALTERNATION.test(regex) ? new Set(regex.split('|')) : undefined;
}

function regexReason(regex: string, reason: string): string {
  return `invalid regular expression "${regex}": ${reason}`;
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
    if (!(re instanceof RE2JS)) {
      const cols = r.valueColumns;
      const column = typeof cols === 'number' ? cols : (cols[re.index] ?? cols.at(-1) ?? r.start);
      return { stage: 'regex', column, reason: regexReason(r.value, re.reason) };
    }
    out.push({ matcher: new RegexMatcher(r.name, r.type, r.value, re), start: r.start });
  }
  return out;
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
      if (!closingQuoteExpected && i === end - 1 && i > valueStart) {
        // `alertname=KubePodCrashLooping"`: the value's opening quote is the likely omission.
        const fixed = `${name}${type}"${token.slice(valueStart, end)}`;
        return fail(
          'value',
          i,
          `missing opening double quote${fixed.length <= 100 ? ` (write ${fixed})` : ''}, or write \\" for a literal one`,
        );
      }
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
