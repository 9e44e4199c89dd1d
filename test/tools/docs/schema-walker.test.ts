import { buildPolicySchema } from '../../../src/policies/schema';
import { ACTIONS } from '../../../src/remediations/actions/index';
import { POLICY_FILE_SCHEMA } from '../../../src/tools/docs/policy-schema';
import {
  effectiveDefault,
  exampleOf,
  fallbackExample,
  NO_HINTS,
  schemaFields,
  type ExampleHints,
  type SchemaNode,
} from '../../../src/tools/docs/schema-walker';

/**
 * The field paths of a schema, walked here independently of the walker: properties, entries
 * of maps of objects (`<name>`) and items of lists of objects (`[]`).
 */
function fieldPaths(node: any, prefix = ''): string[] {
  const out: string[] = [];
  for (const [key, child] of Object.entries<any>(node.properties ?? {})) {
    const path = prefix === '' ? key : `${prefix}.${key}`;
    out.push(path);
    if (child.properties !== undefined) out.push(...fieldPaths(child, path));
    else if (child.additionalProperties?.properties !== undefined) {
      out.push(`${path}.<name>`, ...fieldPaths(child.additionalProperties, `${path}.<name>`));
    } else if (child.items?.properties !== undefined)
      out.push(...fieldPaths(child.items, `${path}[]`));
  }
  return out;
}

const SCHEMA: SchemaNode = {
  type: 'object',
  required: ['steps'],
  properties: {
    sinks: {
      type: 'object',
      additionalProperties: {
        type: 'object',
        properties: { url: { type: 'string', examples: ['https://x'] } },
      },
    },
    env: { type: 'object', additionalProperties: { type: 'string' } },
    steps: {
      type: 'array',
      items: {
        type: 'object',
        required: ['action'],
        properties: {
          action: { type: 'string', enum: ['scale', 'restart'] },
          params: { type: 'object' },
        },
        allOf: [
          {
            if: { properties: { action: { const: 'scale' } } },
            then: { properties: { params: { properties: { replicas: { type: 'integer' } } } } },
          },
        ],
      },
    },
  },
};

describe('schemaFields', () => {
  it('walks properties, maps of objects as <name> and lists of objects as [], depth first', () => {
    expect(schemaFields(SCHEMA).map((f) => f.path)).toEqual([
      'sinks',
      'sinks.<name>',
      'sinks.<name>.url',
      'env',
      'steps',
      'steps[].action',
      'steps[].params',
    ]);
  });

  it('marks the keys their parent requires', () => {
    const required = schemaFields(SCHEMA).filter((f) => f.required);
    expect(required.map((f) => f.path)).toEqual(['steps', 'steps[].action']);
  });

  it('records the schema a sibling selects (if/then) as a variant of the key', () => {
    const params = schemaFields(SCHEMA).find((f) => f.path === 'steps[].params');
    expect(params?.variants).toEqual([
      {
        sibling: 'action',
        value: 'scale',
        node: { properties: { replicas: { type: 'integer' } } },
      },
    ]);
  });

  it('shows a map entry under a sample name, its example composed from the entry', () => {
    const entry = schemaFields(SCHEMA).find((f) => f.path === 'sinks.<name>');
    expect(entry?.exampleKey).toBe('name');
    expect(entry?.example).toEqual({ url: 'https://x' });
  });

  it("finds every field of the policies file's schema that an independent walk finds", () => {
    expect(schemaFields(POLICY_FILE_SCHEMA).map((f) => f.path)).toEqual(
      fieldPaths(buildPolicySchema(ACTIONS)),
    );
  });
});

describe('exampleOf', () => {
  const hints: ExampleHints = {
    fallbacks: new Map([['value.label', 'quantile']]),
    externalDefaults: new Map<string, unknown>([
      ['flat', { a: 1 }],
      ['nested', { a: { b: 1 } }],
    ]),
  };

  it.each<[string, string, SchemaNode, unknown, unknown]>([
    ['its own example first', 'x', { examples: [1], default: 2 }, 3, 1],
    ["then the one an ancestor's example holds", 'x', { default: 2 }, 3, 3],
    [
      'then a fallback, by path suffix',
      'policies[].value.label',
      { type: 'string' },
      undefined,
      'quantile',
    ],
    [
      'then a code-applied default that fits on one line',
      'flat',
      { type: 'object' },
      undefined,
      { a: 1 },
    ],
    [
      'but not a nested one: composed from the keys instead',
      'nested',
      { properties: { a: { default: 5 } } },
      undefined,
      { a: 5 },
    ],
    [
      'nothing for an object missing a required value',
      'x',
      { required: ['a'], properties: { a: { type: 'string' } } },
      undefined,
      undefined,
    ],
    ['a list of one composed item', 'x', { items: { const: 'a' } }, undefined, ['a']],
    ['its default', 'x', { default: 2, enum: [1, 2] }, undefined, 2],
    ['its constant', 'x', { const: 'c' }, undefined, 'c'],
    ['its first allowed value', 'x', { enum: ['b', 'a'] }, undefined, 'b'],
    ['its lower bound', 'x', { type: 'integer', minimum: 1 }, undefined, 1],
    ['above an exclusive lower bound', 'x', { type: 'number', exclusiveMinimum: 0 }, undefined, 1],
    ['false for a boolean', 'x', { type: 'boolean' }, undefined, false],
    ['nothing for a free string', 'x', { type: 'string' }, undefined, undefined],
  ])('takes %s', (_what, path, node, given, expected) => {
    expect(exampleOf(path, node, given, hints)).toEqual(expected);
  });
});

describe('fallbackExample', () => {
  it.each([
    ['value.label', 'quantile'],
    ['policies[].value.label', 'quantile'],
    ['policies[].value.labels', undefined],
    ['xvalue.label', undefined],
  ])('for %s is %j', (path, expected) => {
    const hints = { ...NO_HINTS, fallbacks: new Map([['value.label', 'quantile']]) };
    expect(fallbackExample(path, hints)).toBe(expected);
  });
});

describe('effectiveDefault', () => {
  it('adds the defaults of the keys a default object leaves out, as ajv useDefaults would', () => {
    const node: SchemaNode = {
      default: { max: 3 },
      properties: { max: { default: 1 }, per: { default: '1h' }, free: { type: 'string' } },
    };
    expect(effectiveDefault(node)).toEqual({ max: 3, per: '1h' });
  });

  it('gives a scalar default as it is', () => {
    expect(effectiveDefault({ default: '5m' })).toBe('5m');
  });
});
