import fc from 'fast-check';
import { parser } from '@prometheus-io/lezer-promql';
import {
  promqlDurationMs,
  promqlEscapeFor,
  promqlSyntaxProblem,
  queryReach,
} from '../../src/policies/promql';
import { compileTemplate } from '../../src/policies/template';

/** A query template compiled as a policy's `verify.query` is. */
function query(source: string) {
  return compileTemplate(source, { escapeFor: promqlEscapeFor });
}

function render(source: string, labels: Record<string, string>): string {
  const result = query(source).render({ labels });
  if (!result.ok) throw new Error(result.reason);
  return result.value;
}

/** The string literals of a query as Prometheus' grammar reads them, and whether it parses. */
function stringLiterals(text: string): { literals: string[]; parses: boolean } {
  const literals: string[] = [];
  let parses = true;
  parser.parse(text).iterate({
    enter(node) {
      if (node.type.isError) parses = false;
      if (node.name === 'StringLiteral') literals.push(text.slice(node.from, node.to));
    },
  });
  return { literals, parses };
}

describe('label values in a PromQL query template', () => {
  it('go into a double- or single-quoted string with its escapes', () => {
    expect(render('up{deployment="{{ labels.d }}"}', { d: 'a"} or vector(1) #\\' })).toBe(
      'up{deployment="a\\"} or vector(1) #\\\\"}',
    );
    expect(render("up{deployment='{{ labels.d }}'}", { d: "it's\nme\t\u0001" })).toBe(
      "up{deployment='it\\'s\\nme\\t\\x01'}",
    );
  });

  it('have their regex metacharacters quoted in the string of a regex matcher', () => {
    expect(render('up{pod=~"{{ labels.pod }}-.*"}', { pod: 'web.1+(x)|y' })).toBe(
      'up{pod=~"web\\\\.1\\\\+\\\\(x\\\\)\\\\|y-.*"}',
    );
    expect(render('up{pod!~ `{{ labels.pod }}`}', { pod: 'a.b' })).toBe('up{pod!~ `a\\.b`}');
  });

  it('are refused where they could add syntax: outside strings, or a backtick in a raw string', () => {
    expect(render('rate(x[{{ labels.w }}])', { w: '5m' })).toBe('rate(x[5m])');
    const outside = query('rate(x[{{ labels.w }}])').render({ labels: { w: '5m]) or up[' } });
    expect(outside).toEqual({
      ok: false,
      missing: ['labels.w'],
      reason:
        'label "w" ("5m]) or up[") cannot go into a PromQL query outside a string literal: only letters, digits, _, : and . can (quote it: "{{ … }}")',
    });
    const raw = query('up{a=`{{ labels.a }}`}').render({ labels: { a: 'x`} or up{b=`' } });
    expect(raw).toMatchObject({
      ok: false,
      reason: expect.stringContaining('contains a backtick'),
    });
  });

  it('tells where a hole stands after escaped quotes, strings of other quotes and comments', () => {
    expect(render('x{a="\\"{{ labels.v }}"}', { v: '"' })).toBe('x{a="\\"\\""}');
    expect(render('x{a=\'"\'} + y{b="{{ labels.v }}"}', { v: '"' })).toBe(
      'x{a=\'"\'} + y{b="\\""}',
    );
    expect(render('# "\nx{b="{{ labels.v }}"}', { v: '"' })).toBe('# "\nx{b="\\""}');
  });

  it('never end the string they are in, whatever they hold (property)', () => {
    const template = 'sum(up{deployment="{{ labels.d }}", pod=~"{{ labels.p }}"}) > 0';
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', maxLength: 40 }),
        fc.string({ maxLength: 40 }),
        (d, p) => {
          const result = query(template).render({ labels: { d, p } });
          if (!result.ok) return result.reason.includes('not valid Unicode');
          const { literals, parses } = stringLiterals(result.value);
          return parses && literals.length === 2;
        },
      ),
    );
  });
});

describe('PromQL syntax', () => {
  it('accepts a query and says where the first problem of a broken one is', () => {
    expect(
      promqlSyntaxProblem(
        'histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{deployment="x"}[2m])))',
      ),
    ).toBeUndefined();
    expect(promqlSyntaxProblem('sum(rate(x[5m]) ')).toEqual({
      offset: 16,
      message: 'PromQL syntax error: the query ends too early',
    });
    expect(promqlSyntaxProblem('rate(x[5m]) by (a)')).toEqual({
      offset: 12,
      message: 'PromQL syntax error near "by (a)"',
    });
    expect(promqlSyntaxProblem('  ')).toEqual({ offset: 0, message: 'the query is empty' });
  });
});

describe('what a query reads', () => {
  it('is its longest range or subquery range plus offsets, and the metrics it selects', () => {
    expect(
      queryReach(
        'sum by (le) (rate(http_request_duration_seconds_bucket[5m])) > 2 * max_over_time(ns:r:rate5m[1h:1m] offset 10m)',
      ),
    ).toEqual({
      lookbackMs: 70 * 60_000,
      metrics: ['http_request_duration_seconds_bucket', 'ns:r:rate5m'],
    });
    expect(queryReach('up == 0')).toEqual({ lookbackMs: 0, metrics: ['up'] });
    expect(queryReach('rate(x[5m]')).toBeUndefined();
  });

  it('reads PromQL durations', () => {
    expect(promqlDurationMs('1h30m')).toBe(5_400_000);
    expect(promqlDurationMs('90')).toBe(90_000);
    expect(promqlDurationMs('1w')).toBe(604_800_000);
    expect(promqlDurationMs('5x')).toBe(0);
  });
});
