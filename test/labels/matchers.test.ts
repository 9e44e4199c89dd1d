import fc from 'fast-check';
import { RE2JS } from 're2js';

import {
  MatcherSyntaxError,
  matchesLabels,
  newMatcher,
  parseMatcher,
  parseMatchers,
  type MatchType,
  type Matcher,
} from '../../src/labels/matchers';

const FC_SEED = process.env.FC_SEED === undefined ? 42 : Number(process.env.FC_SEED);

type Triple = [name: string, type: MatchType, value: string];

const triples = (ms: readonly Matcher[]): Triple[] => ms.map((m) => [m.name, m.type, m.value]);

function syntaxError(fn: () => unknown): MatcherSyntaxError {
  try {
    fn();
  } catch (err) {
    if (err instanceof MatcherSyntaxError) return err;
    throw err;
  }
  throw new Error('expected a MatcherSyntaxError, nothing was thrown');
}

describe('matching one label value', () => {
  // Alertmanager pkg/labels/matcher_test.go, TestMatcher.
  it.each<[MatchType, string, string, boolean]>([
    ['=', 'bar', 'bar', true],
    ['=', 'bar', 'foo-bar', false],
    ['!=', 'bar', 'bar', false],
    ['!=', 'bar', 'foo-bar', true],
    ['=~', 'bar', 'bar', true],
    ['=~', 'bar', 'foo-bar', false],
    ['=~', '.*bar', 'foo-bar', true],
    ['!~', 'bar', 'bar', false],
    ['!~', 'bar', 'foo-bar', true],
    ['!~', '.*bar', 'foo-bar', false],
    ['=~', 'foo.bar', 'foo-bar', true],
    ['=~', 'foo\\.bar', 'foo-bar', false],
    ['=~', 'foo\\.bar', 'foo.bar', true],
    ['=', 'foo\nbar', 'foo\nbar', true],
    ['=~', 'foo.bar', 'foo\nbar', false],
    ['=~', '(?s)foo.bar', 'foo\nbar', true],
    ['=', '~!="', '~!="', true],
  ])('a %s "%s" matcher says %j for the value %j', (type, value, labelValue, expected) => {
    expect(newMatcher(type, '', value).matches(labelValue)).toBe(expected);
  });

  it.each<[string, boolean]>([
    ['foo=""', true],
    ['foo!=""', false],
    ['foo=~".*"', true],
    ['foo=~".+"', false],
    ['foo!~".+"', true],
    ['foo="bar"', false],
    ['foo!="bar"', true],
  ])('treats an absent label as the empty value, so %s gives %j', (text, expected) => {
    expect(parseMatcher(text).matches(undefined)).toBe(expected);
    expect(matchesLabels([parseMatcher(text)], {})).toBe(expected);
  });

  it.each<[string, string, boolean]>([
    ['bar', 'foobar', false],
    ['bar', 'barfoo', false],
    ['ServiceDown|DataBreach', 'ServiceDown', true],
    ['ServiceDown|DataBreach', 'ServiceDownDataBreach', false],
    ['ServiceDown|DataBreach', 'XServiceDown', false],
    ['a|ab', 'ab', true],
    // Alertmanager compiles "^(?:" + value + ")$" verbatim, so this value escapes the anchors.
    ['a)|(b', 'a-anything', true],
    ['a)|(b', 'anything-b', true],
    ['a)|(b', 'c', false],
  ])('anchors the regex %j to the whole value: %j gives %j', (regex, value, expected) => {
    expect(newMatcher('=~', 'l', regex).matches(value)).toBe(expected);
  });
});

describe('formatting a matcher', () => {
  // Alertmanager pkg/labels/matcher_test.go, TestMatcherString.
  it.each<[string, MatchType, string, string]>([
    ['foo', '=', 'bar', 'foo="bar"'],
    ['foo', '!=', 'bar', 'foo!="bar"'],
    ['foo', '=~', 'bar', 'foo=~"bar"'],
    ['foo', '!~', 'bar', 'foo!~"bar"'],
    ['foo', '=', 'back\\slash', 'foo="back\\\\slash"'],
    ['foo', '=', 'double"quote', 'foo="double\\"quote"'],
    ['foo', '=', 'new\nline', 'foo="new\\nline"'],
    ['foo', '=', 'tab\tstop', 'foo="tab\tstop"'],
    ['foo', '=', '🙂', 'foo="🙂"'],
    ['foo!', '!=', 'bar', '"foo!"!="bar"'],
    ['foo🙂', '=', 'bar', 'foo🙂="bar"'],
    ['foo bar', '=', 'baz', '"foo bar"="baz"'],
  ])('prints name %j, %s and value %j as %s', (name, type, value, expected) => {
    expect(newMatcher(type, name, value).toString()).toBe(expected);
  });

  it.each<[string, MatchType, string, string]>([
    ['', '=', 'x', '""="x"'],
    ['a b', '=', 'tab\tand\u0001control', '"a b"="tab\\tand\\x01control"'],
    ['a,b', '=~', 'x\u00a0y', '"a,b"=~"x\\u00a0y"'],
  ])(
    'quotes names Alertmanager cannot print bare: %j %s %j as %s',
    (name, type, value, expected) => {
      expect(newMatcher(type, name, value).toString()).toBe(expected);
    },
  );

  it.each<[string, MatchType, string]>([
    ['foo', '=', 'a "quoted", back\\slashed\nvalue'],
    ['foo', '=~', '\\d+\\.\\d+'],
    ['0foo', '!=', 'trailing backslash \\'],
    ['foo-bar.baz', '=', 'dots and dashes'],
    ['foo bar', '!~', 'tab\there'],
    ['"quoted"', '=', '{braces}, commas'],
    ['', '=', ''],
    ['ünïcödé', '=', '🙂 Σ\u2028'],
  ])('reads back its own output for name %j, %s and value %j', (name, type, value) => {
    const m = newMatcher(type, name, value);
    expect(triples([parseMatcher(m.toString())])).toEqual([[name, type, value]]);
  });
});

describe('parsing with the classic parser', () => {
  // Alertmanager pkg/labels/parse_test.go, TestMatchers (the latest revision, kept verbatim as
  // matcher/oldparse/parse_test.go): inputs the classic parser accepts.
  it.each<[string, Triple[]]>([
    ['{}', []],
    ["{foo='}", [['foo', '=', "'"]]],
    ['{foo=`}', [['foo', '=', '`']]],
    ['{foo=\\"}', [['foo', '=', '"']]],
    ['{foo=bar}', [['foo', '=', 'bar']]],
    ['{foo="bar"}', [['foo', '=', 'bar']]],
    ['{foo=~bar.*}', [['foo', '=~', 'bar.*']]],
    ['{foo=~"bar.*"}', [['foo', '=~', 'bar.*']]],
    ['{foo!=bar}', [['foo', '!=', 'bar']]],
    ['{foo!="bar"}', [['foo', '!=', 'bar']]],
    ['{foo!~bar.*}', [['foo', '!~', 'bar.*']]],
    ['{foo!~"bar.*"}', [['foo', '!~', 'bar.*']]],
    [
      '{foo="bar", baz!="quux"}',
      [
        ['foo', '=', 'bar'],
        ['baz', '!=', 'quux'],
      ],
    ],
    [
      '{foo="bar", baz!~"quux.*"}',
      [
        ['foo', '=', 'bar'],
        ['baz', '!~', 'quux.*'],
      ],
    ],
    [
      '{foo="bar",baz!~".*quux", derp="wat"}',
      [
        ['foo', '=', 'bar'],
        ['baz', '!~', '.*quux'],
        ['derp', '=', 'wat'],
      ],
    ],
    [
      '{foo="bar", baz!="quux", derp="wat"}',
      [
        ['foo', '=', 'bar'],
        ['baz', '!=', 'quux'],
        ['derp', '=', 'wat'],
      ],
    ],
    [
      '{foo="bar", baz!~".*quux.*", derp="wat"}',
      [
        ['foo', '=', 'bar'],
        ['baz', '!~', '.*quux.*'],
        ['derp', '=', 'wat'],
      ],
    ],
    [
      '{foo="bar", instance=~"some-api.*"}',
      [
        ['foo', '=', 'bar'],
        ['instance', '=~', 'some-api.*'],
      ],
    ],
    ['{foo=""}', [['foo', '=', '']]],
    [
      '{foo="bar,quux", job="job1"}',
      [
        ['foo', '=', 'bar,quux'],
        ['job', '=', 'job1'],
      ],
    ],
    [
      '{foo = "bar", dings != "bums", }',
      [
        ['foo', '=', 'bar'],
        ['dings', '!=', 'bums'],
      ],
    ],
    [
      'foo=bar,dings!=bums',
      [
        ['foo', '=', 'bar'],
        ['dings', '!=', 'bums'],
      ],
    ],
    [
      '{quote="She said: \\"Hi, ladies! That\'s gender-neutral…\\""}',
      [['quote', '=', 'She said: "Hi, ladies! That\'s gender-neutral…"']],
    ],
    ['statuscode=~"5.."', [['statuscode', '=~', '5..']]],
    ['tricky=~~~', [['tricky', '=~', '~~']]],
    ['trickier==\\\\=\\=\\"', [['trickier', '=', '=\\=\\="']]],
    [
      'contains_quote != "\\"" , contains_comma !~ "foo,bar" , ',
      [
        ['contains_quote', '!=', '"'],
        ['contains_comma', '!~', 'foo,bar'],
      ],
    ],
    ['{foo=bar}}', [['foo', '=', 'bar}']]],
    ['{foo=bar}},}', [['foo', '=', 'bar}}']]],
    [
      '{foo=,bar=}}',
      [
        ['foo', '=', ''],
        ['bar', '=', '}'],
      ],
    ],
    ['{foo=bar\\t}', [['foo', '=', 'bar\\t']]],
    ['{foo=bar\\n}', [['foo', '=', 'bar\n']]],
    ['{foo=bar\\}', [['foo', '=', 'bar\\']]],
    ['{foo=bar\\\\}', [['foo', '=', 'bar\\']]],
    ['{foo=bar\\"}', [['foo', '=', 'bar"']]],
    // An older revision of this Go test expected "matcher value is not present"; Alertmanager has
    // accepted an empty unquoted value ever since.
    ['job=', [['job', '=', '']]],
    ['{foo=', [['foo', '=', '']]],
    ['{foo=}b', [['foo', '=', '}b']]],
  ])('reads %j as the matchers %j', (input, expected) => {
    expect(triples(parseMatchers(input))).toEqual(expected);
  });

  // The same Go test: inputs refused by both parsers, so by Alertmanager too.
  it.each<[string, number]>([
    [',', 0],
    ['{,}', 1],
    ['job="value', 4],
    ['job=value"', 9],
    ['trickier==\\\\=\\=\\""', 17],
    ['contains_unescaped_quote = foo"bar', 30],
    ['{foo=~"invalid[regexp"}', 14],
    // Double-escaped strings.
    ['"{foo=\\"bar"}', 12],
    ['"foo=\\"bar"', 11],
    ['"foo=\\"bar\\""', 13],
    ['"foo=\\"bar\\"', 0],
    ['"{foo=\\"bar\\"}"', 15],
    ['"foo="bar""', 6],
    ['{{foo=', 1],
  ])('refuses %j and points at column %i', (input, column) => {
    const err = syntaxError(() => parseMatchers(input));
    expect(err.column).toBe(column);
    expect(err.message).toContain(`'${input}'`);
  });

  it.each<[string, string]>([
    ['alertname=KubePodCrashLooping"', 'write alertname="KubePodCrashLooping"'],
    ['job=~api.*"', 'write job=~"api.*"'],
  ])('suggests the missing opening quote of %j (%s)', (input, fix) => {
    const err = syntaxError(() => parseMatcher(input));
    expect(err.reason).toBe(
      `missing opening double quote (${fix}), or write \\" for a literal one`,
    );
    expect(err.column).toBe(input.length - 1);
  });

  it('says a quote inside an unquoted value is unescaped, not that an opening quote is missing', () => {
    expect(syntaxError(() => parseMatcher('a=b"c')).reason).toBe(
      'unescaped double quote in the value (write \\" for a literal one)',
    );
  });

  it('accepts a label name the classic parser refuses when the UTF-8 parser reads it, as Alertmanager does', () => {
    // pkg/labels/parse_test.go expects "bad matcher format" for this input; since Alertmanager
    // 0.27 the fallback parser accepts it through matcher/parse.
    expect(triples(parseMatchers('{invalid-name = "valid label"}'))).toEqual([
      ['invalid-name', '=', 'valid label'],
    ]);
  });

  it.each<[string, Triple[]]>([
    ['foo="a\\"b"', [['foo', '=', 'a"b']]],
    ['foo="a\\\\b"', [['foo', '=', 'a\\b']]],
    ['foo="a\\nb"', [['foo', '=', 'a\nb']]],
    // Only \", \\ and \n are escapes; Alertmanager keeps the classic reading of other backslashes.
    ['foo="a\\tb"', [['foo', '=', 'a\\tb']]],
    ['foo=~"\\d+\\.\\d+"', [['foo', '=~', '\\d+\\.\\d+']]],
    ['foo="literal\nline feed"', [['foo', '=', 'literal\nline feed']]],
    ['  foo  =  "bar"  ', [['foo', '=', 'bar']]],
    ['\tfoo\n!=\r"bar"\n', [['foo', '!=', 'bar']]],
    ['foo = unquoted value with spaces ', [['foo', '=', 'unquoted value with spaces']]],
    ['foo="  kept  "', [['foo', '=', '  kept  ']]],
    ['foo=ünïcödé 🙂', [['foo', '=', 'ünïcödé 🙂']]],
    ['alert:name_1=x', [['alert:name_1', '=', 'x']]],
  ])('reads the value of %j as written', (input, expected) => {
    expect(triples(parseMatchers(input))).toEqual(expected);
  });
});

describe('parsing with the UTF-8 parser when the classic parser refuses', () => {
  // Alertmanager matcher/parse/parse_test.go, TestMatchers: inputs accepted there.
  it.each<[string, Triple[]]>([
    ['', []],
    ['{}', []],
    ['{foo=bar}', [['foo', '=', 'bar']]],
    ['{foo=bar,}', [['foo', '=', 'bar']]],
    ['{foo!=bar}', [['foo', '!=', 'bar']]],
    ['{foo=~[a-z]+}', [['foo', '=~', '[a-z]+']]],
    ['{foo!~[a-z]+}', [['foo', '!~', '[a-z]+']]],
    ['{foo=🙂}', [['foo', '=', '🙂']]],
    ['{foo=🙂bar}', [['foo', '=', '🙂bar']]],
    ['foo=bar', [['foo', '=', 'bar']]],
    ['foo=bar,', [['foo', '=', 'bar']]],
    ['foo!=bar', [['foo', '!=', 'bar']]],
    ['foo=~[a-z]+', [['foo', '=~', '[a-z]+']]],
    ['foo!~[a-z]+', [['foo', '!~', '[a-z]+']]],
    ['{"foo"="bar"}', [['foo', '=', 'bar']]],
    ['{"foo"="bar",}', [['foo', '=', 'bar']]],
    ['{"foo"!="bar"}', [['foo', '!=', 'bar']]],
    ['{"foo"=~"[a-z]+"}', [['foo', '=~', '[a-z]+']]],
    ['{"foo"!~"[a-z]+"}', [['foo', '!~', '[a-z]+']]],
    ['{"foo"="🙂"}', [['foo', '=', '🙂']]],
    ['{"foo"="\\xf0\\x9f\\x99\\x82"}', [['foo', '=', '🙂']]],
    ['{"foo"="\\U0001f642"}', [['foo', '=', '🙂']]],
    ['{"foo"="🙂bar"}', [['foo', '=', '🙂bar']]],
    ['{"foo"="bar\\n"}', [['foo', '=', 'bar\n']]],
    ['{"foo"="bar\\t"}', [['foo', '=', 'bar\t']]],
    ['{"foo"="\\"bar\\""}', [['foo', '=', '"bar"']]],
    ['{"foo"="bar\\\\"}', [['foo', '=', 'bar\\']]],
    ['"foo"="bar"', [['foo', '=', 'bar']]],
    ['"foo"="bar",', [['foo', '=', 'bar']]],
    [
      '{foo=bar,bar!=baz}',
      [
        ['foo', '=', 'bar'],
        ['bar', '!=', 'baz'],
      ],
    ],
    [
      '{foo="bar",bar!="baz"}',
      [
        ['foo', '=', 'bar'],
        ['bar', '!=', 'baz'],
      ],
    ],
    [
      'foo=bar,bar!=baz',
      [
        ['foo', '=', 'bar'],
        ['bar', '!=', 'baz'],
      ],
    ],
    [
      'foo="bar",bar!="baz"',
      [
        ['foo', '=', 'bar'],
        ['bar', '!=', 'baz'],
      ],
    ],
  ])('reads %j as the matchers %j', (input, expected) => {
    expect(triples(parseMatchers(input))).toEqual(expected);
  });

  // The same Go test: errors that remain errors in Alertmanager's default fallback mode.
  it.each<[string, number]>([
    [',', 0],
    ['{,}', 1],
    ['{foo=:"bar"}', 6],
    ['{"foo"="\\xf0\\x9f"}', 7],
  ])('refuses %j and points at column %i', (input, column) => {
    expect(syntaxError(() => parseMatchers(input)).column).toBe(column);
  });

  // The same Go test expects errors here from matcher/parse alone; Alertmanager's default
  // fallback mode accepts these inputs through the classic parser, and so does this module.
  it.each<[string, Triple[]]>([
    ['{', []],
    ['}', []],
    ['foo=bar}', [['foo', '=', 'bar']]],
    ['{foo=bar', [['foo', '=', 'bar']]],
    ['{foo="bar\\w"}', [['foo', '=', 'bar\\w']]],
    ['{foo=bar\\n}', [['foo', '=', 'bar\n']]],
  ])('accepts %j through the classic parser, as Alertmanager does', (input, expected) => {
    expect(triples(parseMatchers(input))).toEqual(expected);
  });

  // Label names as the matcher/parse lexer reads them (lexer_test.go) and compat's
  // TestIsValidUTF8LabelName.
  it.each<[string, string]>([
    ['hello_world=x', 'hello_world'],
    ['hello:world=x', 'hello:world'],
    ['hello0123456789=x', 'hello0123456789'],
    ['_hello=x', '_hello'],
    ['0foo=x', '0foo'],
    ['$=x', '$'],
    ['hello🙂Σ=x', 'hello🙂Σ'],
    ['"hello world"=x', 'hello world'],
    ['"hello\u202fworld"=x', 'hello\u202fworld'],
    ['foo\u00a0=\u00a0bar', 'foo'],
  ])('reads the label name of %j as %j', (input, name) => {
    expect(parseMatcher(input).name).toBe(name);
  });

  it.each<[string, number]>([
    ['hello world=x', 6],
    ['hello\u202fworld=x', 6],
    ['~=x', 0],
    ['foo\\n=x', 3],
    ['foo!bar', 3],
    ['"hello=x', 0],
    ['foo="a\\qb" x', 9],
  ])('refuses the malformed %j at column %i', (input, column) => {
    expect(syntaxError(() => parseMatcher(input)).column).toBe(column);
  });
});

describe('parsing exactly one matcher', () => {
  // Alertmanager matcher/parse/parse_test.go, TestMatcher: inputs accepted there.
  it.each<[string, Triple]>([
    ['{foo=bar}', ['foo', '=', 'bar']],
    ['{foo=bar,}', ['foo', '=', 'bar']],
    ['{foo!=bar}', ['foo', '!=', 'bar']],
    ['{foo=~[a-z]+}', ['foo', '=~', '[a-z]+']],
    ['{foo!~[a-z]+}', ['foo', '!~', '[a-z]+']],
    ['{foo=🙂}', ['foo', '=', '🙂']],
    ['{"foo"="\\xf0\\x9f\\x99\\x82"}', ['foo', '=', '🙂']],
    ['{"foo"="\\U0001f642"}', ['foo', '=', '🙂']],
    ['{foo=🙂bar}', ['foo', '=', '🙂bar']],
    ['foo=bar', ['foo', '=', 'bar']],
    ['foo=bar,', ['foo', '=', 'bar']],
    ['foo!=bar', ['foo', '!=', 'bar']],
    ['foo=~[a-z]+', ['foo', '=~', '[a-z]+']],
    ['foo!~[a-z]+', ['foo', '!~', '[a-z]+']],
    ['{"foo"="bar"}', ['foo', '=', 'bar']],
    ['{"foo"="bar",}', ['foo', '=', 'bar']],
    ['{"foo"!="bar"}', ['foo', '!=', 'bar']],
    ['{"foo"=~"[a-z]+"}', ['foo', '=~', '[a-z]+']],
    ['{"foo"!~"[a-z]+"}', ['foo', '!~', '[a-z]+']],
    ['{"foo"="🙂"}', ['foo', '=', '🙂']],
    ['{"foo"="🙂bar"}', ['foo', '=', '🙂bar']],
    ['{"foo"="bar\\n"}', ['foo', '=', 'bar\n']],
    ['{"foo"="bar\\t"}', ['foo', '=', 'bar\t']],
    ['{"foo"="\\"bar\\""}', ['foo', '=', '"bar"']],
    ['{"foo"="bar\\\\"}', ['foo', '=', 'bar\\']],
    ['"foo"="bar"', ['foo', '=', 'bar']],
    ['"foo"="bar",', ['foo', '=', 'bar']],
    // The example matchers of the policy language.
    ['alertname=~"ServiceDown|DataBreach"', ['alertname', '=~', 'ServiceDown|DataBreach']],
    ['namespace!="kube-system"', ['namespace', '!=', 'kube-system']],
    ['severity=warning', ['severity', '=', 'warning']],
  ])('reads %j as %j', (input, expected) => {
    expect(triples([parseMatcher(input)])).toEqual([expected]);
  });

  // The same Go test's errors.
  it.each<[string, number, string]>([
    ['', 0, 'no matcher found'],
    ['{}', 0, 'no matcher found'],
    ['foo=bar,bar=baz', 8, 'expected exactly one matcher, found 2'],
  ])('refuses %j at column %i because of %s', (input, column, reason) => {
    const err = syntaxError(() => parseMatcher(input));
    expect([err.column, err.reason]).toEqual([column, reason]);
  });

  it('reads "\\xf0\\x9f" literally, as the classic parser does, instead of refusing its bytes', () => {
    // matcher/parse's TestMatcher refuses `foo="\xf0\x9f"` (invalid UTF-8); in fallback mode the
    // classic parser accepts it first and keeps the backslashes.
    expect(parseMatcher('foo="\\xf0\\x9f"').value).toBe('\\xf0\\x9f');
  });
});

describe("Alertmanager's fallback between the two parsers", () => {
  // Alertmanager matcher/compat/parse_test.go, TestFallbackMatcherParser and
  // TestFallbackMatchersParser.
  it.each<[string, Triple[]]>([
    ['foo=bar', [['foo', '=', 'bar']]],
    ['foo🙂=bar', [['foo🙂', '=', 'bar']]],
    ['foo=!bar\\n', [['foo', '=', '!bar\n']]],
    // Both parsers accept it and disagree; Alertmanager keeps the classic reading.
    ['foo="\\xf0\\x9f\\x99\\x82"', [['foo', '=', '\\xf0\\x9f\\x99\\x82']]],
    [
      '{foo=bar,bar=baz}',
      [
        ['foo', '=', 'bar'],
        ['bar', '=', 'baz'],
      ],
    ],
    [
      '{foo🙂=bar,bar=baz🙂}',
      [
        ['foo🙂', '=', 'bar'],
        ['bar', '=', 'baz🙂'],
      ],
    ],
    [
      '{foo=!bar,bar=$baz\\n}',
      [
        ['foo', '=', '!bar'],
        ['bar', '=', '$baz\n'],
      ],
    ],
    ['{foo="\\xf0\\x9f\\x99\\x82"}', [['foo', '=', '\\xf0\\x9f\\x99\\x82']]],
    // A regex the classic reading gets wrong (RE2 has no \u) but the UTF-8 reading gets right.
    ['foo=~"\\u0041+"', [['foo', '=~', 'A+']]],
  ])('reads %j as %j', (input, expected) => {
    expect(triples(parseMatchers(input))).toEqual(expected);
  });

  it.each(['foo!bar', '{foo!bar}'])('refuses %j, which neither parser reads', (input) => {
    expect(() => parseMatchers(input)).toThrow(MatcherSyntaxError);
  });
});

describe('matching regexes as RE2 does', () => {
  it.each<[string, string, boolean]>([
    ['(?i)servicedown', 'ServiceDown', true],
    ['(?i)foo|bar', 'BAR', true],
    ['(?i:foo|bar)', 'Foo', true],
    ['(?i)k', '\u212a', true],
    ['(?i)(?-i)', '', true],
    ['(?s)foo.bar', 'foo\nbar', true],
    ['(?is)A.B', 'a\nb', true],
    ['(?si)A.B', 'a\nb', true],
    ['(?i-s)A.B', 'a\nb', false],
    ['(?s:.)x.', '\nx\n', false],
    ['(?s:.)x.', '\nxy', true],
    ['(?m)a$\\n^b', 'a\nb', true],
    ['a$\\n^b', 'a\nb', false],
    ['(?ms)a$.^b', 'a\nb', true],
    ['(?U)a+', 'aaa', true],
    ['(?U)a+?', 'aaa', true],
    ['(?)a', 'a', true],
    // RE2's . excludes only \n; JavaScript's would also exclude \r, \u2028 and \u2029.
    ['foo.bar', 'foo\rbar', true],
    ['a.b', 'a\u2028b', true],
    ['.', '🙂', true],
    // RE2's \s is [\t\n\f\r ]: no \v, no Unicode spaces.
    ['\\s', ' ', true],
    ['\\s', '\v', false],
    ['\\s', '\u00a0', false],
    ['\\S+', 'a\u00a0b', true],
    ['[\\s]', '\v', false],
    ['[^\\S]', '\t', true],
    ['\\d+', '0123456789', true],
    ['\\d', '\u0661', false],
    ['\\w+', 'snake_case_1', true],
    ['\\w', 'é', false],
    ['\\x41\\x{1F642}', 'A🙂', true],
    ['\\012\\0', '\n\u0000', true],
    ['\\_\\-\\ ', '_- ', true],
    ['\\pL+', 'héllo', true],
    ['\\p{Greek}+', 'αβγ', true],
    ['\\PL', '1', true],
    ['\\p{^Greek}', 'a', true],
    ['[\\p{Lu}\\d]+', 'AB12', true],
    ['\\p{Any}', '\n', true],
    ['[[:alpha:]]+', 'abcXYZ', true],
    ['[[:^digit:]]+', 'abc', true],
    ['[[:digit:]]', 'a', false],
    ['[[:space:]]', '\v', true],
    ['[[:punct:]]+', '!-/:@[`{~', true],
    ['\\Qa.b\\E', 'a.b', true],
    ['\\Qa.b\\E', 'axb', false],
    ['a{,2}', 'a{,2}', true],
    ['x{01}', 'x{01}', true],
    ['a{2}', 'aa', true],
    ['a{2,}', 'aaaa', true],
    ['a{1,2}', 'aaa', false],
    ['a{2}?', 'aa', true],
    ['(?P<name>x)(?<other>y)', 'xy', true],
    ['[^a]', '\n', true],
    ['[]a]+', ']a', true],
    ['[a-]+', 'a-', true],
    ['[a-c-e]+', 'ab-e', true],
    ['^*a', 'a', true],
    ['(a*)*', 'aaa', true],
    ['a*(?i)*', 'aa', true],
    ['foo\\b', 'foo', true],
    ['\\Afoo\\z', 'foo', true],
    ['}]', '}]', true],
    ['', '', true],
    ['', 'x', false],
    // Case-insensitivity scoped to part of the expression.
    ['foo(?i:bar)', 'fooBAR', true],
    ['foo(?i:bar)', 'FOObar', false],
    ['foo(?i)bar', 'fooBaR', true],
    ['foo(?i)bar', 'FOObar', false],
    ['(?i:a)b', 'Ab', true],
    ['(?i:a)b', 'AB', false],
    ['a|(?i)b', 'B', true],
    ['a|(?i)b', 'A', false],
    ['(?i)a(?-i)b', 'Ab', true],
    ['(?i)a(?-i)b', 'AB', false],
    ['(?i)a(?-i)1', 'A1', true],
    ['1-(?i:abc)-2', '1-aBc-2', true],
  ])('matches the regex %j against %j as RE2 does: %j', (regex, value, expected) => {
    expect(newMatcher('=~', 'l', regex).matches(value)).toBe(expected);
    expect(newMatcher('!~', 'l', regex).matches(value)).toBe(!expected);
  });

  // Go's regexp/syntax messages (without "error parsing regexp: "); the quoted text is part of
  // the pattern Alertmanager compiles, `^(?:` + regex + `)$`.
  it.each<[string, string]>([
    ['(a)\\1', 'invalid escape sequence: `\\1`'],
    ['\\8', 'invalid escape sequence: `\\8`'],
    ['(?<n>a)\\k<n>', 'invalid escape sequence: `\\k`'],
    ['(?=a)', 'invalid or unsupported Perl syntax: `(?=`'],
    ['(?!a)', 'invalid or unsupported Perl syntax: `(?!`'],
    ['(?<=a)b', 'invalid named capture: `(?<=a)b)$`'],
    ['(?<!a)b', 'invalid named capture: `(?<!a)b)$`'],
    ['\\u0041', 'invalid escape sequence: `\\u`'],
    ['(?>a)', 'invalid or unsupported Perl syntax: `(?>`'],
    ['a*+', 'invalid nested repetition operator: `*+`'],
    ['a**', 'invalid nested repetition operator: `**`'],
    ['a{2}{3}', 'invalid nested repetition operator: `{2}{3}`'],
    ['*a', 'missing argument to repetition operator: `*`'],
    ['a|*', 'missing argument to repetition operator: `*`'],
    ['(?i)*', 'missing argument to repetition operator: `*`'],
    ['a{1001}', 'invalid repeat count: `{1001}`'],
    ['a{2,1}', 'invalid repeat count: `{2,1}`'],
    ['a{1000000000}', 'invalid repeat count: `{1000000000}`'],
    ['(a{100}){100}', 'invalid repeat count: `{100}`'],
    ['((a{10}b){10}c){11}', 'invalid repeat count: `{11}`'],
    ['('.repeat(1000) + ')'.repeat(1000), 'expression nests too deeply'],
    ['(', 'missing closing ): `^(?:()$`'],
    ['(a(b)', 'missing closing ): `^(?:(a(b))$`'],
    [')', 'unexpected ): `^(?:))$`'],
    ['[a', 'missing closing ]: `[a)$`'],
    ['[]', 'missing closing ]: `[])$`'],
    ['[z-a]', 'invalid character class range: `z-a`'],
    ['[[:foo:]]', 'invalid character class range: `[:foo:]`'],
    ['\\p{Foo}', 'invalid character class range: `\\p{Foo}`'],
    ['\\pX', 'invalid character class range: `\\pX`'],
    ['\\p{Greek', 'invalid character class range: `\\p{Greek)$`'],
    ['(?P<n>a)(?P<n>b)', 'duplicate capture group name: `n`'],
    ['(?P<a-b>x)', 'invalid named capture: `(?P<a-b>`'],
    ['(?P<>x)', 'invalid named capture: `(?P<>`'],
    ['(?P<n', 'invalid named capture: `(?P<n)$`'],
    ['(?x)', 'invalid or unsupported Perl syntax: `(?x`'],
    // Without \E, \Q quotes the ")$" Alertmanager appends; so does an unclosed "(?i".
    ['\\Qa.b', 'missing closing ): `^(?:\\Qa.b)$`'],
    ['(?i', 'missing closing ): `^(?:(?i)$`'],
    ['(?-)', 'invalid or unsupported Perl syntax: `(?-)`'],
    ['(?i-)', 'invalid or unsupported Perl syntax: `(?i-)`'],
    ['\\cA', 'invalid escape sequence: `\\c`'],
    ['[\\b]', 'invalid escape sequence: `\\b`'],
    ['\\Z', 'invalid escape sequence: `\\Z`'],
    ['\\C', 'invalid escape sequence: `\\C`'],
    ['\\e', 'invalid escape sequence: `\\e`'],
    ['\\é', 'invalid escape sequence: `\\é`'],
    ['\\x4', 'invalid escape sequence: `\\x4)`'],
    ['\\x{}', 'invalid escape sequence: `\\x{}`'],
    ['\\x{110000}', 'invalid escape sequence: `\\x{110000`'],
    ['[a-\\d]', 'invalid escape sequence: `\\d`'],
    // Trailing backslash: it escapes the ")" Alertmanager appends.
    ['a\\', 'missing closing ): `^(?:a\\)$`'],
  ])("refuses %j with RE2's message: %s", (regex, reason) => {
    const err = syntaxError(() => newMatcher('=~', 'l', regex));
    expect(err.reason).toBe(`invalid regular expression "${regex}": ${reason}`);
    expect(err.input).toBe(regex);
    expect(err.column).toBeGreaterThanOrEqual(0);
    expect(err.column).toBeLessThanOrEqual(regex.length);
  });

  it.each<[string, number]>([
    ['(a)\\1', 3],
    ['a|*', 2],
    ['x[z-a]', 2],
    ['ab(?=c)', 2],
    ['ab{1001}', 2],
    ['a*?*', 1],
    // RE2 quotes the whole pattern for an unbalanced parenthesis: the column is the regex's start.
    ['ab(c', 0],
    ['ab)c', 0],
  ])('places the error in %j at the text RE2 quotes, index %i', (regex, index) => {
    expect(syntaxError(() => newMatcher('=~', 'l', regex)).column).toBe(index);
  });

  it.each([
    ['(a+)+b', 30],
    ['(a+)+b', 10_000],
    ['(a|a)+b', 10_000],
    ['(a*)*b', 10_000],
  ])('answers %j against %i "a"s, which a backtracking engine would take ages over', (regex, n) => {
    // Without a linear-time engine these calls do not return: the event loop is blocked.
    const m = parseMatcher(`job=~"${regex}"`);
    expect(m.matches('a'.repeat(n))).toBe(false);
    expect(m.matches(`${'a'.repeat(n)}b`)).toBe(true);
    expect(parseMatcher(`job!~"${regex}"`).matches('a'.repeat(n))).toBe(true);
  });

  it('points a regex error at the offending character of the matcher text', () => {
    const err = syntaxError(() => parseMatcher('foo=~"(" '));
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe('MatcherSyntaxError');
    expect(err.message).toBe(
      'bad matcher \'foo=~"(" \': invalid regular expression "(": missing closing ): `^(?:()$`',
    );
    expect(err.input).toBe('foo=~"(" ');
    expect(err.column).toBe(6);
  });

  it('maps a regex error column through the escapes of the quoted value', () => {
    // f o o = ~ " a \ " [ ": the "[" is at column 9 of the text, index 2 of the regex a"[.
    expect(syntaxError(() => parseMatcher('foo=~"a\\"["')).column).toBe(9);
  });

  it.each<[string, number, string]>([
    ['job=~"(a)\\1"', 9, 'invalid escape sequence: `\\1`'],
    ['job=~"(?<=a)b"', 6, 'invalid named capture: `(?<=a)b)$`'],
    ['job=~"x(?!a)"', 7, 'invalid or unsupported Perl syntax: `(?!`'],
  ])(
    "reports the JavaScript habit in %j at column %i with RE2's message %s",
    (text, column, re2) => {
      const err = syntaxError(() => parseMatcher(text));
      expect(err.column).toBe(column);
      expect(err.message).toContain(re2);
    },
  );
});

describe('matching the labels of an alert', () => {
  const labels = { alertname: 'HighLatency', namespace: 'prod', severity: 'warning' };

  it.each<[string[], boolean]>([
    [[], true],
    [['alertname="HighLatency"'], true],
    [['alertname="HighLatency"', 'namespace=~"prod|staging"'], true],
    [['alertname="HighLatency"', 'namespace=~"dev|staging"'], false],
    [['namespace!="kube-system"', 'severity=~"warn.*"'], true],
    [['deployment=""'], true],
    [['deployment!=""'], false],
  ])('requires every one of %j to match: %j', (texts, expected) => {
    expect(matchesLabels(texts.map(parseMatcher), labels)).toBe(expected);
  });

  it.each<[string, boolean]>([
    ['constructor=""', true],
    ['constructor!=""', false],
    ['constructor=~".+"', false],
    ['toString=""', true],
    ['hasOwnProperty!~".+"', true],
    ['__proto__=""', true],
    ['__proto__=~".+"', false],
    ['valueOf=~".*Function.*"', false],
  ])('looks labels up as own properties only, so %s on {} gives %j', (text, expected) => {
    expect(matchesLabels([parseMatcher(text)], {})).toBe(expected);
    expect(matchesLabels([parseMatcher(text)], Object.create(null) as Record<string, string>)).toBe(
      expected,
    );
  });

  it('finds labels that really are named like Object.prototype members', () => {
    const weird = JSON.parse('{"__proto__":"x","constructor":"y"}') as Record<string, string>;
    expect(
      matchesLabels([parseMatcher('__proto__="x"'), parseMatcher('constructor="y"')], weird),
    ).toBe(true);
  });
});

describe('refusing input that is not Unicode', () => {
  it.each([
    ['foo="\ud800"', 5],
    ['\udc00=x', 0],
  ])('refuses %j, which contains a lone surrogate at column %i', (input, column) => {
    expect(syntaxError(() => parseMatcher(input)).column).toBe(column);
  });

  it('refuses a lone surrogate in the parts of a new matcher', () => {
    expect(() => newMatcher('=', 'a\ud800', 'x')).toThrow(MatcherSyntaxError);
    expect(() => newMatcher('=~', 'a', 'x\udfff')).toThrow(MatcherSyntaxError);
  });
});

describe('properties', () => {
  const runs = { seed: 42, numRuns: 500 };
  const classicName = fc.stringMatching(/^[a-zA-Z_:][a-zA-Z0-9_:]{0,15}$/);
  const anyName = fc.oneof(classicName, fc.string({ unit: 'binary', maxLength: 12 }));
  const anyValue = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 20 }),
    fc.string({
      unit: fc.constantFrom('"', '\\', '\n', ',', '{', '}', ' ', 'n', 't', 'x', '🙂'),
      maxLength: 12,
    }),
  );
  /** An RE2 regex that matches exactly the string: ASCII punctuation escaped, the rest literal. */
  const re2Quote = (s: string): string =>
    s.replace(/[\x20-\x2f\x3a-\x40\x5b-\x60\x7b-\x7e]/g, '\\$&');

  it('reads back the canonical form of any equality matcher unchanged', () => {
    fc.assert(
      fc.property(anyName, fc.constantFrom<MatchType>('=', '!='), anyValue, (name, type, value) => {
        const back = parseMatcher(newMatcher(type, name, value).toString());
        expect(triples([back])).toEqual([[name, type, value]]);
      }),
      runs,
    );
  });

  it('reads back the canonical form of any regex matcher, which matches the quoted string', () => {
    fc.assert(
      fc.property(anyName, fc.constantFrom<MatchType>('=~', '!~'), anyValue, (name, type, text) => {
        const m = newMatcher(type, name, re2Quote(text));
        expect(m.matches(text)).toBe(type === '=~');
        expect(m.matches(`${text}x`)).toBe(type === '!~');
        const back = parseMatcher(m.toString());
        expect(triples([back])).toEqual([[name, type, re2Quote(text)]]);
      }),
      runs,
    );
  });

  it('agrees with JavaScript RegExp on regexes both read the same way', () => {
    // Where the two syntaxes mean the same (no \r or \u2028 for `.` to differ on, ASCII `\d`),
    // whether some path matches the whole value is engine-independent.
    const { regex } = fc.letrec<{ regex: string }>((tie) => ({
      regex: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        fc.constantFrom('a', 'b', 'A', '.', '[ab]', '[^a]', '\\d', '\\n', ''),
        fc.tuple(tie('regex'), tie('regex')).map(([x, y]) => x + y),
        fc.tuple(tie('regex'), tie('regex')).map(([x, y]) => `(?:${x}|${y})`),
        fc
          .tuple(tie('regex'), fc.constantFrom('*', '+', '?', '*?', '{2}', '{0,2}', '{1,}'))
          .map(([x, q]) => `(${x})${q}`),
      ),
    }));
    const flags = fc.constantFrom('', 'i', 's', 'is');
    const value = fc.string({ unit: fc.constantFrom('a', 'b', 'A', 'B', '1', '\n'), maxLength: 8 });
    fc.assert(
      fc.property(regex, flags, value, (re, f, v) => {
        const expected = new RegExp(`^(?:${re})$`, `${f}u`).test(v);
        expect(newMatcher('=~', 'l', f === '' ? re : `(?${f})${re}`).matches(v)).toBe(expected);
      }),
      runs,
    );
  });

  it('either returns a matcher or throws MatcherSyntaxError for any input', () => {
    const syntaxHeavy = fc.string({
      unit: fc.constantFrom(
        ...['{', '}', '=', '!', '~', '"', "'", ',', '\\', ' ', '\t', '\n', 'a', 'b', 'n', 'x', '0'],
        ...['(', ')', '[', ']', '*', '+', '?', '|', '.', '^', '$', ':', '<', '>', 'P', 'i', '-'],
        ...['🙂', '\u00a0', '\ud800', '{1001}', '\\1', '(?i)', '(?=', '[[:', '\\p{', '\\x{'],
      ),
      maxLength: 24,
    });
    fc.assert(
      fc.property(fc.oneof(syntaxHeavy, fc.string({ unit: 'binary', maxLength: 30 })), (text) => {
        try {
          const m = parseMatcher(text);
          expect(typeof m.matches('')).toBe('boolean');
        } catch (err) {
          expect(err).toBeInstanceOf(MatcherSyntaxError);
          const e = err as MatcherSyntaxError;
          expect(e.column).toBeGreaterThanOrEqual(0);
          expect(e.column).toBeLessThanOrEqual(text.length);
        }
      }),
      runs,
    );
  });
});

describe('regexes decided without the engine', () => {
  const plain = fc.stringMatching(/^[a-z0-9_:-]{1,6}$/);
  const value = fc.oneof(
    plain,
    fc.string({ maxLength: 8 }),
    plain.map((p) => `${p}\n`),
  );
  const viaEngine = (regex: string, v: string): boolean => RE2JS.compile(`^(?:${regex})$`).test(v);

  it('decide a literal alternation as RE2 does', () => {
    fc.assert(
      fc.property(fc.array(plain, { minLength: 1, maxLength: 4 }), value, (parts, v) => {
        const regex = parts.join('|');
        const candidates = [v, ...parts, `${parts[0] ?? ''}x`, (parts[0] ?? '').slice(1)];
        for (const candidate of candidates) {
          expect(parseMatcher(`l=~"${regex}"`).matches(candidate)).toBe(
            viaEngine(regex, candidate),
          );
        }
      }),
      { seed: FC_SEED, numRuns: 300 },
    );
  });

  it('decide a literal prefix followed by .* as RE2 does, newlines included', () => {
    fc.assert(
      fc.property(plain, value, (prefix, rest) => {
        const regex = `${prefix}.*`;
        for (const candidate of [rest, `${prefix}${rest}`, `${prefix}\n${rest}`, prefix]) {
          expect(parseMatcher(`l=~"${regex}"`).matches(candidate)).toBe(
            viaEngine(regex, candidate),
          );
        }
      }),
      { seed: FC_SEED, numRuns: 300 },
    );
  });
});

describe('the values a matcher can match, when it knows them', () => {
  it.each([
    ['alertname="HighLatency"', ['HighLatency']],
    ['alertname=""', ['']],
    ['alertname=~"HighLatency|HighErrorRate"', ['HighLatency', 'HighErrorRate']],
    ['alertname!="HighLatency"', undefined],
    ['alertname=~"High.*"', undefined],
    ['alertname=~"(?i)high"', undefined],
    ['alertname!~"a|b"', undefined],
  ])('%s can match %j', (text, values) => {
    const matcher = parseMatcher(text);
    expect(matcher.values === undefined ? undefined : [...matcher.values]).toEqual(values);
    // What it says it can match, it matches; and nothing else of a few neighbours.
    for (const v of values ?? []) expect(matcher.matches(v)).toBe(true);
    if (values !== undefined) {
      for (const v of ['highlatency', 'HighLatencyX', 'X', 'High']) {
        expect(matcher.matches(v)).toBe(values.includes(v));
      }
    }
  });
});
