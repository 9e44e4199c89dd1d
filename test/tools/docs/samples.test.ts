import {
  labelsText,
  loadOrThrow,
  renderSample,
  sampleContext,
} from '../../../src/tools/docs/samples';

describe('renderSample', () => {
  it('renders a template against the sample alert', () => {
    expect(renderSample('{{ labels.namespace }}/{{ labels.deployment }}', sampleContext())).toBe(
      'shop/checkout',
    );
  });

  it("throws, naming the template and the reason, when the docs' own example does not render", () => {
    expect(() => renderSample('{{ labels.team }}', sampleContext())).toThrow(
      /docs example \{\{ labels\.team \}\} does not render: label "team" is missing/,
    );
  });
});

describe('loadOrThrow', () => {
  it('throws listing every problem of a file the docs show', () => {
    expect(() => loadOrThrow('policies: [{ nme: x }]\n', 'bad.yaml')).toThrow(
      /^docs example bad\.yaml does not load:\nbad\.yaml:1:\d+: .*"name"\n[\s\S]*policies\[0\]\.nme: unknown key "nme": did you mean "name"\?$/,
    );
  });
});

describe('labelsText', () => {
  it.each([
    [{}, '(none)'],
    [{ a: 'b', 'c.d': 'say "hi"' }, '`a="b"` `c.d="say \\"hi\\""`'],
  ])('writes %j as %s', (labels, text) => {
    expect(labelsText(labels)).toBe(text);
  });
});
