import {
  dns1123LabelProblem,
  dns1123SubdomainProblem,
  envVarNameProblem,
  objectNameProblem,
  quoteName,
  utf8Length,
} from '../../src/kube/names';

describe('Kubernetes object names', () => {
  // Cases from apimachinery's TestIsDNS1123Label / TestIsDNS1123Subdomain.
  it.each(['a', 'ab', 'abc', 'a1', 'a-1', 'a--1--2--b', '0', '01', '1-2', 'a'.repeat(63)])(
    'takes %j as a Namespace name (DNS-1123 label)',
    (name) => {
      expect(objectNameProblem('Namespace', name)).toBeUndefined();
    },
  );

  it.each([
    '',
    'A',
    'ABC',
    'aBc',
    'A1',
    'a-1-',
    '-a-1',
    'a_1',
    'a.1',
    '..',
    '.',
    'prod/..',
    'kube-system\n',
    'a b',
    'a'.repeat(64),
    'ñ',
  ])('refuses %j as a Namespace name', (name) => {
    expect(objectNameProblem('Namespace', name)).toMatch(/^must be a DNS-1123 label .*at most 63/);
  });

  it.each(['a.b.c', 'a-1.b-2', '0.0', 'heart-disease-api-7d9f8b6c5-abcde', 'a'.repeat(253)])(
    'takes %j as a Pod and a Deployment name (DNS-1123 subdomain)',
    (name) => {
      expect(objectNameProblem('Pod', name)).toBeUndefined();
      expect(objectNameProblem('Deployment', name)).toBeUndefined();
    },
  );

  it.each([
    '',
    '..',
    '.',
    'a..b',
    '.a',
    'a.',
    'a.-b',
    'a-.b',
    '../kube-system',
    'web/scale',
    'web\nx',
    'web%2F..',
    'Web',
    'a_b',
    'a'.repeat(254),
  ])('refuses %j as a Pod and a Deployment name', (name) => {
    expect(objectNameProblem('Pod', name)).toMatch(/^must be a DNS-1123 subdomain .*at most 253/);
    expect(objectNameProblem('Deployment', name)).toMatch(/^must be a DNS-1123 subdomain/);
  });

  it('checks a huge name by its length, in bounded time', () => {
    expect(objectNameProblem('Deployment', `${'a-'.repeat(500_000)}!`)).toMatch(/subdomain/);
  });
});

describe('quoting a name for a message', () => {
  it('escapes quotes, newlines and every character outside printable ASCII', () => {
    expect(quoteName('a"b\nc')).toBe('"a\\"b\\nc"');
    expect(quoteName('x\u2028y\u202ez\u00e9')).toBe('"x\\u2028y\\u202ez\\u00e9"');
  });

  it('cuts a long value and says how long it was', () => {
    const quoted = quoteName('a'.repeat(300));
    expect(quoted).toBe(`"${'a'.repeat(64)}"... (300 characters)`);
  });

  it('leaves a value of 64 characters whole', () => {
    expect(quoteName('b'.repeat(64))).toBe(`"${'b'.repeat(64)}"`);
  });
});

/** The naming rules of k8s.io/apimachinery/pkg/util/validation, case by case. */

describe('utf8Length', () => {
  it.each([
    ['ascii', 'abc', 3],
    ['a two-byte character', 'é', 2],
    ['an arrow', '→', 3],
    ['an astral character (two UTF-16 units)', '😀', 4],
    ['a lone surrogate, sent as U+FFFD', '\ud800', 3],
  ])('counts %s as Go’s len() does', (_name, value, bytes) => {
    expect(utf8Length(value)).toBe(bytes);
  });
});

describe('dns1123LabelProblem', () => {
  it.each(['a', 'prod', 'kube-system', '0', 'a1-b2', 'n'.repeat(63)])('accepts %j', (value) => {
    expect(dns1123LabelProblem(value)).toBeUndefined();
  });

  it.each(['', '..', '.', 'kube.system', 'Prod', '-a', 'a-', 'a_b', 'a/b', 'a\nb', 'n'.repeat(64)])(
    'refuses %j',
    (value) => {
      expect(dns1123LabelProblem(value)).toEqual(expect.any(String));
    },
  );
});

describe('dns1123SubdomainProblem', () => {
  it.each(['web', 'web-7d9f.x1', 'a.b.c', '0', 'w'.repeat(253)])('accepts %j', (value) => {
    expect(dns1123SubdomainProblem(value)).toBeUndefined();
  });

  it.each([
    '',
    '..',
    '.',
    '.web',
    'web.',
    'a..b',
    'Web',
    'a/b',
    'web%2F..',
    'web\n',
    'wéb',
    'w'.repeat(254),
  ])('refuses %j', (value) => {
    expect(dns1123SubdomainProblem(value)).toEqual(expect.any(String));
  });
});

describe('envVarNameProblem (the strict rule before Kubernetes 1.32)', () => {
  it.each(['MODEL_VERSION', 'my.env-name', 'MY_ENV.NAME', 'MyEnvName1', '_x', '-x', '.x'])(
    'accepts %j',
    (value) => {
      expect(envVarNameProblem(value)).toBeUndefined();
    },
  );

  it.each(['', 'my var', '1ABC', 'A=B', 'é', 'A\n', '.', '..', '..x', 'a$b', 'a:b'])(
    'refuses %j',
    (value) => {
      expect(envVarNameProblem(value)).toEqual(expect.any(String));
    },
  );
});
