import { actionLink, fieldLink, H } from '../../../src/tools/docs/headings';
import { anchorOf } from '../../../src/tools/docs/markdown';

describe('headings', () => {
  it('are unique, so that no two sections share an anchor', () => {
    const anchors = Object.values(H).map(anchorOf);
    expect(new Set(anchors).size).toBe(anchors.length);
  });

  it.each([
    [fieldLink('policies[].steps[].verify'), '[`policies[].steps[].verify`](#policiesstepsverify)'],
    [actionLink('restore-model'), '[`restore-model`](#restore-model)'],
  ])('link to the section headed by a path or name in code: %s', (link, expected) => {
    expect(link).toBe(expected);
  });
});
