import { durationSchema } from '../../../src/labels/durations';
import {
  constraintsOf,
  defaultText,
  typeText,
  typeWithConstraints,
} from '../../../src/tools/docs/schema-text';
import { NO_HINTS, type SchemaNode } from '../../../src/tools/docs/schema-walker';

describe('typeText', () => {
  it.each<[SchemaNode, string]>([
    [{ type: 'integer' }, 'integer'],
    [{ type: 'array', items: { type: 'string' } }, 'list of string'],
    [{ type: 'object', additionalProperties: { type: 'object', properties: {} } }, 'map of object'],
    [{ enum: ['a', 1] }, 'string or number'],
    [{ const: true }, 'boolean'],
    [{ properties: {} }, 'object'],
    [{}, 'any'],
    [durationSchema, '[duration](#durations-in-the-policies-file)'],
  ])('of %j is %j', (node, text) => {
    expect(typeText(node)).toBe(text);
  });
});

describe('constraintsOf', () => {
  it.each<[SchemaNode, string[]]>([
    [{ minimum: 1, maximum: 4 }, ['1 to 4']],
    [{ minimum: 0 }, ['≥ 0']],
    [{ exclusiveMinimum: 0 }, ['> 0']],
    [{ minLength: 1, maxLength: 63 }, ['non-empty', 'at most 63 characters']],
    [{ enum: ['firing', 'resolved'] }, ['one of `firing`, `resolved`']],
    [{ pattern: '^[a-z]+$' }, ['matches `^[a-z]+$`']],
    [durationSchema, []],
    [
      { type: 'array', minItems: 1, uniqueItems: true, items: { minLength: 1 } },
      ['at least 1 item', 'no duplicates', 'each item non-empty'],
    ],
    [{ required: ['kind'], additionalProperties: false }, ['requires `kind`', 'no other keys']],
    [
      { additionalProperties: { type: 'string', maxLength: 5 } },
      ['each value at most 5 characters'],
    ],
  ])('of %j are %j', (node, constraints) => {
    expect(constraintsOf(node)).toEqual(constraints);
  });

  it('join the type in a params table', () => {
    expect(typeWithConstraints({ type: 'integer', minimum: 1 })).toBe('integer, ≥ 1');
  });
});

describe('defaultText', () => {
  const hints = {
    ...NO_HINTS,
    externalDefaults: new Map<string, unknown>([
      ['severity.default', 4],
      ['severity.rules', [{ level: 1, when: ['a="b"'] }]],
    ]),
  };

  it.each<[string, SchemaNode, string]>([
    ['x', {}, '—'],
    ['x', { default: '5m' }, '`5m`'],
    ['x', { default: {}, properties: { max: { default: 3 } } }, '`{ max: 3 }`'],
    ['severity.default', {}, '`4` (runbook)'],
    [
      'severity.rules',
      {},
      "the runbook's ([Runbook severity defaults](#runbook-severity-defaults))",
    ],
  ])('of %s %j is %j', (path, node, text) => {
    expect(defaultText(path, node, hints)).toBe(text);
  });
});
