import fc from 'fast-check';
import {
  compileTemplate,
  TemplateSyntaxError,
  type TemplateContext,
} from '../../src/policies/template';

const FC = { seed: 42, numRuns: 500 };
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const FILTERS = 'default, lower, upper, trim, trunc, replace, dnsLabel, quote';

const ctx: TemplateContext = {
  labels: {
    alertname: 'HighLatency',
    namespace: 'prod',
    deployment: 'heart-api',
    pod: 'Heart_API-7f9c.Worker',
    'app.kubernetes.io/name': 'heart',
    empty: '',
    spaces: '   ',
    junk: '___',
    dollar: 'a-b',
    emoji: '\u{1F600}\u{1F600}\u{1F600}',
    quoted: 'say "hi"',
  },
  annotations: { summary: 'p99 above 1s', p99_seconds: '1.9' },
  severity: 'critical',
  level: 1,
  firing: true,
  incident: { id: 'inc-42', startedAt: '2024-05-01T10:00:00Z' },
};

function renderOk(source: string, context: TemplateContext = ctx): string {
  const result = compileTemplate(source).render(context);
  if (!result.ok) throw new Error(`expected ${source} to render: ${result.reason}`);
  return result.value;
}

function syntaxError(source: string, allowedRoots?: readonly string[]): TemplateSyntaxError {
  try {
    compileTemplate(source, allowedRoots === undefined ? undefined : { allowedRoots });
  } catch (error) {
    if (error instanceof TemplateSyntaxError) return error;
    throw error;
  }
  throw new Error(`expected ${source} not to compile`);
}

describe('compileTemplate rendering', () => {
  it.each([
    ['{{ labels.deployment }}', 'heart-api'],
    ['{{labels.deployment}}', 'heart-api'],
    ['deploy/{{ labels.namespace }}/{{ labels.deployment }}', 'deploy/prod/heart-api'],
    ['quarantine-{{ labels.pod | dnsLabel }}', 'quarantine-heart-api-7f9c-worker'],
    ['{{ annotations.summary }}', 'p99 above 1s'],
    ['{{ severity }}', 'critical'],
    ['Sev{{ level }}', 'Sev1'],
    ['{{ firing }}', 'true'],
    ['{{ incident.id }}', 'inc-42'],
    ['{{ labels["app.kubernetes.io/name"] }}', 'heart'],
    ['{{ labels["deployment"] }}', 'heart-api'],
    ['{{ labels.namespace | default "staging" }}', 'prod'],
    ['{{ labels.team | default "sre" }}', 'sre'],
    ['{{ labels.empty | default "sre" }}', 'sre'],
    ['{{ labels.spaces | trim | default "sre" }}', 'sre'],
    ['{{ labels.replicas | default 3 }}', '3'],
    ['{{ labels.alertname | lower }}', 'highlatency'],
    ['{{ labels.alertname | upper }}', 'HIGHLATENCY'],
    ['[{{ labels.spaces | trim }}]', '[]'],
    ['{{ labels.alertname | trunc 4 }}', 'High'],
    ['{{ labels.alertname | trunc 0 }}', ''],
    ['{{ labels.alertname | trunc 100 }}', 'HighLatency'],
    ['{{ labels.emoji | trunc 2 }}', '\u{1F600}\u{1F600}'],
    ['{{ labels.deployment | replace "-" "_" }}', 'heart_api'],
    ['{{ labels.dollar | replace "-" "$&$1" }}', 'a$&$1b'],
    ['{{ labels.quoted | quote }}', '"say \\"hi\\""'],
    ['{{ labels.junk | dnsLabel | default "none" }}', 'none'],
    ['{{ labels.pod | lower | replace "_" "" | dnsLabel }}', 'heartapi-7f9c-worker'],
    ['{{ "{{" }} not a hole }}', '{{ not a hole }}'],
    ['{{ "}}" }}', '}}'],
    ['a }} b', 'a }} b'],
    ['{{ "say \\"hi\\"\\n" }}', 'say "hi"\n'],
    ['', ''],
  ])('renders %j as %j', (source, expected) => {
    expect(renderOk(source)).toBe(expected);
  });

  it.each([
    ['a'.repeat(70), 'a'.repeat(63)],
    [`${'a'.repeat(62)}.b`, 'a'.repeat(62)],
    ['--Ab--', 'ab'],
    ['\u00c4rger', 'rger'],
    ['x\u{1F600}y', 'x-y'],
    ['My App v2.0', 'my-app-v2-0'],
  ])('makes a DNS label of %j: %j', (pod, expected) => {
    expect(renderOk('{{ labels.pod | dnsLabel }}', { labels: { pod } })).toBe(expected);
  });

  it('compiles once and renders each context on its own', () => {
    const template = compileTemplate('{{ labels.namespace }}/{{ labels.deployment }}');
    expect(template.render({ labels: { namespace: 'a', deployment: 'x' } })).toEqual({
      ok: true,
      value: 'a/x',
    });
    expect(template.render({ labels: { namespace: 'b', deployment: 'y' } })).toEqual({
      ok: true,
      value: 'b/y',
    });
  });

  it.each<[string, string, TemplateContext, string[], string]>([
    [
      'an absent label',
      '{{ labels.deployment }}',
      { labels: {} },
      ['labels.deployment'],
      'label "deployment" is missing',
    ],
    [
      'an absent annotation',
      'x{{ annotations.summary | upper }}',
      { annotations: {} },
      ['annotations.summary'],
      'annotation "summary" is missing',
    ],
    [
      'every missing reference once',
      '{{ labels.namespace }}/{{ annotations.summary }}/{{ labels.namespace }}',
      { labels: {}, annotations: {} },
      ['labels.namespace', 'annotations.summary'],
      'label "namespace" is missing; annotation "summary" is missing',
    ],
    [
      'a missing root',
      '{{ incident.id }}',
      { labels: {} },
      ['incident.id'],
      'incident.id is missing',
    ],
    [
      'a bracketed label',
      '{{ labels["app.kubernetes.io/name"] }}',
      { labels: {} },
      ['labels["app.kubernetes.io/name"]'],
      'label "app.kubernetes.io/name" is missing',
    ],
    [
      'a map where a value was expected',
      '{{ labels }}',
      { labels: {} },
      ['labels'],
      'labels is not a string, number or boolean',
    ],
    [
      'a path through a scalar',
      '{{ severity.name }}',
      { severity: 'critical' },
      ['severity.name'],
      'severity.name is missing',
    ],
    [
      'a label with nothing usable in a DNS label',
      '{{ labels.pod | dnsLabel }}',
      { labels: { pod: '___' } },
      ['labels.pod'],
      'label "pod" ("___") has no characters usable in a DNS label',
    ],
    [
      'a label on Object.prototype',
      '{{ labels.toString }}',
      { labels: {} },
      ['labels.toString'],
      'label "toString" is missing',
    ],
    [
      'a null value',
      '{{ labels.x }}',
      { labels: { x: null as unknown as string } },
      ['labels.x'],
      'label "x" is missing',
    ],
    [
      'a reference that a default covers elsewhere but not here',
      '{{ labels.x | default "d" }}-{{ labels.x }}',
      { labels: {} },
      ['labels.x'],
      'label "x" is missing',
    ],
  ])('reports %s as missing', (_case, source, context, missing, reason) => {
    expect(compileTemplate(source).render(context)).toEqual({ ok: false, missing, reason });
  });

  it('never calls a getter or a function in the context', () => {
    const getter = jest.fn(() => 'from getter');
    const fn = jest.fn(() => 'from function');
    const labels = { fn } as unknown as Record<string, string>;
    Object.defineProperty(labels, 'computed', { get: getter, enumerable: true });
    const template = compileTemplate('{{ labels.computed }}{{ labels.fn }}');
    expect(template.render({ labels })).toEqual({
      ok: false,
      missing: ['labels.computed', 'labels.fn'],
      reason: 'label "computed" is missing; label "fn" is not a string, number or boolean',
    });
    expect(getter).not.toHaveBeenCalled();
    expect(fn).not.toHaveBeenCalled();
  });

  it('reads a context without a prototype', () => {
    const labels = Object.assign(Object.create(null) as Record<string, string>, { a: 'b' });
    expect(renderOk('{{ labels.a }}', { labels })).toBe('b');
  });

  it('reads own keys that share a name with Object.prototype members', () => {
    const labels = JSON.parse('{"toString": "t", "hasOwnProperty": "h", "__proto__": "p"}');
    expect(renderOk('{{ labels.toString }}{{ labels.hasOwnProperty }}', { labels })).toBe('th');
  });
});

describe('compileTemplate metadata', () => {
  it('lists each reference once, in order, in template syntax, including defaulted ones', () => {
    const template = compileTemplate(
      '{{ labels.a }}{{ labels.a | default "x" }}{{ annotations["b.c"] }}{{ labels["d"] }}{{ incident.id }}',
    );
    expect(template.references).toEqual([
      'labels.a',
      'annotations["b.c"]',
      'labels.d',
      'incident.id',
    ]);
    expect(template.isStatic).toBe(false);
  });

  it.each([
    ['plain text', 'plain text'],
    ['{{ "abc" | upper }}-{{ "x y" | dnsLabel }}', 'ABC-x-y'],
    ['{{ "" | default "d" }}', 'd'],
  ])('treats %j, which reads nothing, as static text %j', (source, value) => {
    const template = compileTemplate(source);
    expect(template.isStatic).toBe(true);
    expect(template.references).toEqual([]);
    expect(template.render({})).toEqual({ ok: true, value });
  });

  it('keeps the source as written', () => {
    expect(compileTemplate(' {{labels.a}} ').source).toBe(' {{labels.a}} ');
  });
});

describe('compileTemplate errors', () => {
  it('quotes the template, the problem and the column in the message', () => {
    const error = syntaxError('a {{ labels.x | nope }}');
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('TemplateSyntaxError');
    expect(error.message).toBe(
      `template "a {{ labels.x | nope }}": unknown filter "nope" (filters: ${FILTERS}) at column 16`,
    );
    expect(error.column).toBe(16);
    expect(error.template).toBe('a {{ labels.x | nope }}');
    expect(error.reason).toBe(`unknown filter "nope" (filters: ${FILTERS})`);
  });

  it.each([
    ['{{ labels.x', 0, 'unclosed {{'],
    ['ab{{', 2, 'unclosed {{'],
    ['{{ labels.x | lower', 0, 'unclosed {{'],
    ['{{ }}', 0, 'empty {{ }}: expected a path such as labels.name or a "string"'],
    ['{{ 5 }}', 3, 'expected a path such as labels.name or a "string"'],
    ['{{ labels.x labels.y }}', 12, 'expected | or }}'],
    ['{{ labels.x | }}', 14, `expected a filter name after | (${FILTERS})`],
    ['{{ labels.x | constructor }}', 14, `unknown filter "constructor" (filters: ${FILTERS})`],
    ['{{ labels.x | trunc }}', 14, 'filter "trunc" takes 1 argument (trunc N), got 0'],
    ['{{ labels.x | lower 1 }}', 14, 'filter "lower" takes 0 arguments (lower), got 1'],
    [
      '{{ labels.x | replace "a" }}',
      14,
      'filter "replace" takes 2 arguments (replace "a" "b"), got 1',
    ],
    [
      '{{ labels.x | default "a" "b" }}',
      14,
      'filter "default" takes 1 argument (default "x"), got 2',
    ],
    [
      '{{ labels.x | trunc "3" }}',
      20,
      'filter "trunc" expects a whole number of characters, got "3" (trunc N)',
    ],
    [
      '{{ labels.x | trunc 1.5 }}',
      20,
      'filter "trunc" expects a whole number of characters, got 1.5 (trunc N)',
    ],
    [
      '{{ labels.x | trunc -1 }}',
      20,
      'filter "trunc" expects a whole number of characters, got -1 (trunc N)',
    ],
    [
      '{{ labels.x | replace 1 "b" }}',
      22,
      'filter "replace" expects a "string", got 1 (replace "a" "b")',
    ],
    ['{{ labels.x | replace "" "b" }}', 22, 'filter "replace" cannot replace ""'],
    ['{{ labels.__proto__ }}', 10, '"__proto__" cannot be used in a path'],
    ['{{ labels.constructor }}', 10, '"constructor" cannot be used in a path'],
    ['{{ labels["prototype"] }}', 10, '"prototype" cannot be used in a path'],
    ['{{ constructor.name }}', 3, '"constructor" cannot be used in a path'],
    ['{{ labels. }}', 10, 'expected a name after "."'],
    ['{{ labels.9 }}', 10, 'expected a name after "."'],
    ['{{ labels[x] }}', 10, 'expected a "string" after "["'],
    ['{{ labels["x" }}', 13, 'expected "]"'],
    ['{{ labels["x }}', 10, 'unterminated string'],
    ['{{ "\\q" }}', 3, 'invalid string (strings use JSON escapes: \\" \\\\ \\n \\t \\uXXXX)'],
    ['{{ "___" | dnsLabel }}', 3, 'filters leave nothing of "___"'],
  ])('refuses %j at column %p: %s', (source, column, reason) => {
    const error = syntaxError(source);
    expect({ column: error.column, reason: error.reason }).toEqual({ column, reason });
  });

  it('refuses a root that is not allowed, when the loader lists the allowed roots', () => {
    const error = syntaxError('x-{{ lables.pod }}', ['labels', 'annotations', 'severity']);
    expect({ column: error.column, reason: error.reason }).toEqual({
      column: 5,
      reason: 'unknown root "lables" (expected one of labels, annotations, severity)',
    });
    expect(compileTemplate('{{ labels.pod }}', { allowedRoots: ['labels'] }).references).toEqual([
      'labels.pod',
    ]);
  });

  it('accepts any root when no allowed roots are given', () => {
    expect(compileTemplate('{{ anything.goes }}').references).toEqual(['anything.goes']);
  });
});

describe('compileTemplate properties', () => {
  const fragments = fc
    .array(
      fc.constantFrom(
        '{{',
        '}}',
        ' ',
        '"',
        '\\',
        'labels',
        'annotations',
        '.',
        'x',
        '[',
        ']',
        '|',
        'default',
        'dnsLabel',
        'trunc',
        'replace',
        '1',
        '-',
        '__proto__',
        'toString',
      ),
      { maxLength: 16 },
    )
    .map((parts) => parts.join(''));
  const anySource = fc.oneof(fc.string({ unit: 'binary' }), fc.string(), fragments);

  it('returns a template or throws a TemplateSyntaxError with a column inside the text', () => {
    fc.assert(
      fc.property(anySource, (source) => {
        let template;
        try {
          template = compileTemplate(source, { allowedRoots: ['labels', 'annotations'] });
        } catch (error) {
          expect(error).toBeInstanceOf(TemplateSyntaxError);
          const { column } = error as TemplateSyntaxError;
          expect(Number.isInteger(column) && column >= 0 && column <= source.length).toBe(true);
          return;
        }
        const result = template.render({ labels: { x: 'v' }, annotations: {} });
        expect(typeof result.ok).toBe('boolean');
      }),
      FC,
    );
  });

  const trickyKey = fc.oneof(
    fc.constantFrom(
      '__proto__',
      'constructor',
      'prototype',
      'toString',
      'valueOf',
      'hasOwnProperty',
      'isPrototypeOf',
      '__defineGetter__',
      'x',
    ),
    fc.string(),
  );
  // A polluted prototype: scalar values a prototype walk would find and print.
  const polluted: Record<string, string> = { x: 'inherited', toString: 'inherited', valueOf: '' };
  const labelMap = fc
    .tuple(
      fc.array(fc.tuple(trickyKey, fc.string({ unit: 'binary' })), { maxLength: 6 }),
      fc.boolean(),
    )
    .map(([entries, pollute]) => {
      const map = (pollute ? Object.create(polluted) : {}) as Record<string, string>;
      for (const [k, v] of entries) {
        Object.defineProperty(map, k, { value: v, enumerable: true, configurable: true });
      }
      return map;
    });

  it('renders only own label values, never one from Object.prototype, and never throws', () => {
    fc.assert(
      fc.property(labelMap, trickyKey, fc.boolean(), (labels, key, withDefault) => {
        const source = `{{ labels[${JSON.stringify(key)}]${withDefault ? ' | default "d"' : ''} }}`;
        let template;
        try {
          template = compileTemplate(source);
        } catch (error) {
          expect(error).toBeInstanceOf(TemplateSyntaxError);
          expect(['__proto__', 'constructor', 'prototype']).toContain(key);
          return;
        }
        const own = Object.getOwnPropertyDescriptor(labels, key)?.value as string | undefined;
        const result = template.render({ labels });
        if (own !== undefined && own !== '') {
          expect(result).toEqual({ ok: true, value: own });
        } else if (withDefault) {
          expect(result).toEqual({ ok: true, value: 'd' });
        } else if (own === '') {
          expect(result).toEqual({ ok: true, value: '' });
        } else {
          expect(result.ok).toBe(false);
        }
      }),
      FC,
    );
  });

  it('gives a valid DNS label or reports the value missing, whatever the input', () => {
    const template = compileTemplate('{{ labels.pod | dnsLabel }}');
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: 'binary' }),
          fc.string({ maxLength: 200 }),
          fc.stringMatching(/^[-_.A-Za-z0-9]{0,100}$/),
          fc.string({
            minLength: 55,
            maxLength: 100,
            unit: fc.constantFrom('a', 'B', '9', '-', '_', '.', '\u00e9'),
          }),
        ),
        (pod) => {
          const result = template.render({ labels: { pod } });
          if (result.ok) expect(result.value).toMatch(DNS_LABEL);
          else expect(result.missing).toEqual(['labels.pod']);
        },
      ),
      FC,
    );
  });
});
