/**
 * PromQL as the policy language meets it: a step's `verify.query`, templated from an alert's
 * labels, and the alert rules whose decay a verify window must outlast.
 *
 * - Templating: a value a `{{ }}` prints goes into the query escaped for where it stands (see
 *   `promqlEscapeFor`): inside a string literal with the literal's escapes (and, in the string of
 *   a regex matcher `=~ "…"`, with every regex metacharacter quoted, so a label value matches
 *   itself only); outside a string only as one plain token (a number, a duration, a name). Label
 *   values are attacker-controlled: none can end a string or add to the query.
 * - Syntax: Prometheus' own Lezer grammar (@prometheus-io/lezer-promql), offline.
 * - Lookback: how far back a query reads (range selectors and subqueries), and the metrics it
 *   reads, for `remediator check --rules`.
 *
 * Pure.
 */
import { parser } from '@prometheus-io/lezer-promql';
import type { HoleEscape } from './template';

type Place = 'code' | 'comment' | { readonly quote: '"' | "'" | '`'; readonly regex: boolean };

/** Where the end of `text` stands in PromQL: in code, a comment, or a string literal. */
function placeAfter(text: string): Place {
  let place: Place = 'code';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (place === 'comment') {
      if (c === '\n') place = 'code';
    } else if (place === 'code') {
      if (c === '#') place = 'comment';
      else if (c === '"' || c === "'" || c === '`') {
        place = { quote: c, regex: /[=!]~\s*$/.test(text.slice(0, i)) };
      }
    } else if (c === '\\' && place.quote !== '`') {
      i += 1;
    } else if (c === place.quote) {
      place = 'code';
    }
  }
  return place;
}

/** One plain token: a number, a duration, a metric or label name. Nothing that adds syntax. */
const PLAIN_TOKEN = /^[A-Za-z0-9_:.]+$/;

/** RE2's metacharacters (Go's `regexp.QuoteMeta`). */
const REGEX_META = /[\\.+*?()|[\]{}^$]/g;

/**
 * How a `{{ }}` standing after `before` in a query template is escaped: for `compileTemplate`'s
 * `escapeFor`.
 */
export function promqlEscapeFor(before: string): HoleEscape {
  const place = placeAfter(before);
  if (place === 'code' || place === 'comment') {
    return (value) =>
      PLAIN_TOKEN.test(value)
        ? { text: value }
        : {
            refused:
              'cannot go into a PromQL query outside a string literal: only letters, digits, _, : and . can (quote it: "{{ … }}")',
          };
  }
  const { quote, regex } = place;
  return (value) => {
    if (/[\uD800-\uDFFF]/u.test(value.replace(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g, '')))
      return { refused: 'is not valid Unicode' };
    const literal = regex ? value.replace(REGEX_META, '\\$&') : value;
    if (quote === '`') {
      return literal.includes('`')
        ? { refused: 'contains a backtick, which a PromQL raw string cannot hold' }
        : { text: literal };
    }
    return { text: escapeString(literal, quote) };
  };
}

/** Go's escapes, which PromQL strings use: backslash, the quote, and every control character. */
function escapeString(value: string, quote: '"' | "'"): string {
  let out = '';
  for (const ch of value) {
    const code = ch.codePointAt(0) ?? 0;
    if (ch === '\\' || ch === quote) out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return out;
}

/**
 * The first syntax error in a query, by Prometheus' Lezer grammar: where (an offset in the text)
 * and what is there; undefined when it parses.
 */
export function promqlSyntaxProblem(
  query: string,
): { offset: number; message: string } | undefined {
  if (query.trim() === '') return { offset: 0, message: 'the query is empty' };
  let offset: number | undefined;
  parser.parse(query).iterate({
    enter(node) {
      if (offset !== undefined) return false;
      if (node.type.isError) offset = node.from;
      return undefined;
    },
  });
  if (offset === undefined) return undefined;
  const near = query.slice(offset, offset + 20).split('\n')[0] ?? '';
  return {
    offset,
    message:
      near === ''
        ? 'PromQL syntax error: the query ends too early'
        : `PromQL syntax error near ${JSON.stringify(near)}`,
  };
}

/** What a query reads: how far back (ms, 0 for an instant query), and the metric names. */
export interface QueryReach {
  readonly lookbackMs: number;
  readonly metrics: readonly string[];
}

/**
 * How far back a query reads and which metrics: the longest range selector or subquery range
 * plus its `offset`, and every metric name selected. Undefined when it does not parse.
 */
export function queryReach(query: string): QueryReach | undefined {
  if (promqlSyntaxProblem(query) !== undefined) return undefined;
  let lookbackMs = 0;
  const metrics = new Set<string>();
  const tree = parser.parse(query);
  const text = (n: { from: number; to: number }): string => query.slice(n.from, n.to);
  tree.iterate({
    enter(ref) {
      const { node } = ref;
      const ranged = node.name === 'MatrixSelector' || node.name === 'SubqueryExpr';
      if (!ranged && node.name !== 'VectorSelector') return;
      const range = ranged ? node.getChild('DurationExpr') : null;
      // An offset moves everything inside it back in time.
      let reach = range === null ? 0 : promqlDurationMs(text(range));
      for (let up = node.parent; up !== null; up = up.parent) {
        const by = up.name === 'OffsetExpr' ? up.getChild('OffsetDurationExpr') : null;
        if (by !== null) reach += Math.max(0, promqlDurationMs(text(by)));
      }
      lookbackMs = Math.max(lookbackMs, reach);
      const name = node.name === 'VectorSelector' ? node.getChild('Identifier') : null;
      if (name !== null) metrics.add(text(name));
    },
  });
  return { lookbackMs, metrics: [...metrics] };
}

const PROMQL_UNITS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
  y: 31_536_000_000,
};

/** A PromQL duration (`5m`, `1h30m`, `90s`, or a number of seconds) in ms; 0 when it is not one. */
export function promqlDurationMs(text: string): number {
  const trimmed = text.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed) * 1000;
  let total = 0;
  let rest = trimmed;
  for (const [whole, amount, unit] of trimmed.matchAll(/(\d+)(ms|s|m|h|d|w|y)/g)) {
    total += Number(amount) * (PROMQL_UNITS[unit ?? ''] ?? 0);
    rest = rest.replace(whole, '');
  }
  return rest === '' ? total : 0;
}
