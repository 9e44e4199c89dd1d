import { parse } from 'yaml';
import {
  anchorOf,
  code,
  inlineYaml,
  link,
  plural,
  sentence,
  table,
  yamlBlock,
} from '../../../src/tools/docs/markdown';

describe('anchorOf', () => {
  it.each([
    ['How the file is organised', 'how-the-file-is-organised'],
    ['policies[].steps[].verify', 'policiesstepsverify'],
    ['sinks.<name>.url', 'sinksnameurl'],
    ['restore-model', 'restore-model'],
    ['Loading, reloading and editor support', 'loading-reloading-and-editor-support'],
    ['run_job', 'run_job'],
  ])('of %j is %j, as GitHub makes it', (heading, anchor) => {
    expect(anchorOf(heading)).toBe(anchor);
  });

  it('links to a heading of the page by its anchor', () => {
    expect(link('templates', 'Where templates are allowed')).toBe(
      '[templates](#where-templates-are-allowed)',
    );
  });
});

describe('code', () => {
  it.each([
    ['labels.pod', '`labels.pod`'],
    ['a`b', '``a`b``'],
    ['`x`', '`` `x` ``'],
  ])('writes %j as %j', (text, span) => {
    expect(code(text)).toBe(span);
  });
});

describe('table', () => {
  it('writes a header, a separator and a row per entry, escaping pipes and newlines', () => {
    expect(table(['A', 'B'], [['x|y', 'one\ntwo']])).toEqual([
      '| A | B |',
      '| --- | --- |',
      '| x\\|y | one two |',
    ]);
  });
});

describe('inlineYaml', () => {
  it.each<[unknown, string]>([
    [{ max: 3, per: '1h' }, '{ max: 3, per: 1h }'],
    [['firing'], '[firing]'],
    [{}, '{}'],
    ['a: b', '"a: b"'],
    [{ when: ['a, b'] }, '{ when: ["a, b"] }'],
  ])('writes %j on one line as %s', (value, text) => {
    expect(inlineYaml(value)).toBe(text);
    expect(parse(text)).toEqual(value);
  });
});

describe('yamlBlock', () => {
  it('fences the value as YAML that parses back to it', () => {
    const value = { steps: [{ action: 'restart', verify: '10m' }] };
    const [open, body = '', close] = yamlBlock(value);
    expect([open, close]).toEqual(['```yaml', '```']);
    expect(parse(body)).toEqual(value);
  });
});

describe('plural and sentence', () => {
  it.each([
    [1, '1 item'],
    [2, '2 items'],
    [0, '0 items'],
  ])('counts %i as %j', (n, text) => {
    expect(plural(n, 'item')).toBe(text);
  });

  it.each([
    ['Roll back', 'Roll back.'],
    [' Done. ', 'Done.'],
    ['Why?', 'Why?'],
    ['(see above)', '(see above)'],
  ])('ends %j as %j', (text, ended) => {
    expect(sentence(text)).toBe(ended);
  });
});
