import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseByteSize, parseServeConfig, SERVE_OPTIONS } from '../src/config';

const files: Record<string, string> = {
  '/run/secrets/token': 's3cr3t\n',
  '/run/secrets/password': '  pw  ',
  '/empty': '\n',
};
const readFile = (path: string): string => {
  const text = files[path];
  if (text === undefined) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
  return text;
};
const parse = (argv: string[], env: Record<string, string> = {}) =>
  parseServeConfig({ argv, env, readFile });

describe('remediator serve configuration', () => {
  describe('the journal', () => {
    it('is journal.db under the data directory unless told otherwise', () => {
      expect(parse(['--data-dir', '/var/lib/r']).journal).toEqual({
        kind: 'sqlite',
        path: '/var/lib/r/journal.db',
      });
      expect(parse(['--journal', 'sqlite:/tmp/j.db']).journal).toEqual({
        kind: 'sqlite',
        path: '/tmp/j.db',
      });
    });

    it('is PostgreSQL given a URL, from the environment or a file', () => {
      expect(parse([], { REMEDIATOR_JOURNAL: 'postgres://r@db:5432/remediator' }).journal).toEqual({
        kind: 'postgres',
        url: 'postgres://r@db:5432/remediator',
      });
      files['/secrets/journal'] = 'postgresql://r:s3cret@db/remediator?sslmode=require\n';
      expect(parse([], { REMEDIATOR_JOURNAL_FILE: '/secrets/journal' }).journal).toEqual({
        kind: 'postgres',
        url: 'postgresql://r:s3cret@db/remediator?sslmode=require',
      });
    });

    it('refuses a password on the command line, and never quotes the URL', () => {
      const attempt = () => parse(['--journal', 'postgres://r:hunter2@db/remediator']);
      expect(attempt).toThrow(/REMEDIATOR_JOURNAL_FILE/);
      expect(attempt).not.toThrow(/hunter2/);
    });

    it('refuses what is neither SQLite nor PostgreSQL, a URL without a database, and both sources', () => {
      expect(() => parse(['--journal', 'mysql://r:pw@db/x'])).toThrow(
        /must be sqlite:PATH or a postgres:\/\/ URL \(got "mysql"…\)/,
      );
      expect(() => parse(['--journal', 'mysql://r:pw@db/x'])).not.toThrow(/pw/);
      expect(() => parse([], { REMEDIATOR_JOURNAL: 'postgres://db:5432' })).toThrow(
        /names no database/,
      );
      files['/secrets/j'] = 'postgres://db/x';
      expect(() =>
        parse(['--journal', 'postgres://db/x'], { REMEDIATOR_JOURNAL_FILE: '/secrets/j' }),
      ).toThrow(/not both/);
    });

    it('takes an advertised URL for other replicas, without credentials', () => {
      expect(parse(['--advertise-url', 'http://10.0.0.7:9095/']).advertiseUrl).toBe(
        'http://10.0.0.7:9095',
      );
      expect(() => parse(['--advertise-url', 'http://u:p@10.0.0.7:9095'])).toThrow(
        /not an http\(s\) URL without credentials/,
      );
    });
  });

  it('has the documented defaults', () => {
    expect(parse([])).toEqual({
      port: 9095,
      listen: '0.0.0.0',
      dataDir: './data',
      journal: { kind: 'sqlite', path: 'data/journal.db' },
      dryRun: false,
      dryRunNotify: true,
      maxBodyBytes: 4 * 1024 * 1024,
      parallelSteps: 32,
      logLevel: 'info',
      journalSync: 'normal',
      retentionMs: 30 * 24 * 3600_000,
      shutdownTimeoutMs: 10_000,
      credentials: {},
      credentialSources: [],
      gitops: {
        argocdNamespace: 'argocd',
        argocdTracking: 'annotation',
        argocdInstanceLabel: 'app.kubernetes.io/instance',
      },
    });
  });

  it('reads the MLflow URL and its token from a file, and never takes credentials in the URL', () => {
    const config = parse(['--mlflow-url', 'http://mlflow.ml.svc:5000'], {
      REMEDIATOR_MLFLOW_TOKEN_FILE: '/run/secrets/token',
    });
    expect(config.mlflow).toEqual({
      url: 'http://mlflow.ml.svc:5000/',
      authorization: 'Bearer s3cr3t',
    });
    expect(() => parse(['--mlflow-url', 'http://user:pw@mlflow:5000'])).toThrow(
      'credentials do not go in the URL',
    );
  });

  it('reads the Argo CD settings, and refuses a tracking method Argo CD does not have or a bad namespace', () => {
    expect(
      parse(['--argocd-namespace', 'gitops', '--argocd-tracking-method', 'label'], {
        REMEDIATOR_ARGOCD_INSTANCE_LABEL: 'argocd.argoproj.io/instance',
      }).gitops,
    ).toEqual({
      argocdNamespace: 'gitops',
      argocdTracking: 'label',
      argocdInstanceLabel: 'argocd.argoproj.io/instance',
    });
    expect(() =>
      parse(['--argocd-tracking-method', 'labels', '--argocd-namespace', 'Argo_CD']),
    ).toThrow(
      'invalid configuration:\n  --argocd-tracking-method: "labels" must be one of annotation, label, annotation+label\n  argocd namespace "Argo_CD" ',
    );
  });

  it('takes every flag from its environment variable too, and lets the flag win', () => {
    const env = {
      REMEDIATOR_PORT: '8080',
      REMEDIATOR_LISTEN: '127.0.0.1',
      REMEDIATOR_POLICIES: '/etc/remediator/policies.yaml',
      REMEDIATOR_DATA_DIR: '/var/lib/remediator',
      REMEDIATOR_DRY_RUN: 'true',
      REMEDIATOR_MAX_BODY_BYTES: '1MiB',
      REMEDIATOR_LOG_LEVEL: 'debug',
      REMEDIATOR_JOURNAL_SYNC: 'full',
    };
    expect(parse([], env)).toMatchObject({
      port: 8080,
      listen: '127.0.0.1',
      policiesFile: '/etc/remediator/policies.yaml',
      dataDir: '/var/lib/remediator',
      dryRun: true,
      maxBodyBytes: 1024 * 1024,
      logLevel: 'debug',
      journalSync: 'full',
    });
    expect(parse(['--port', '9999', '--data-dir', 'here'], env)).toMatchObject({
      port: 9999,
      dataDir: 'here',
    });
  });

  it('turns notifications in dry runs off with --dry-run-notify=false or its variable', () => {
    expect(parse(['--dry-run-notify=false']).dryRunNotify).toBe(false);
    expect(parse(['--dry-run-notify', 'false']).dryRunNotify).toBe(false);
    expect(parse([], { REMEDIATOR_DRY_RUN_NOTIFY: 'false' }).dryRunNotify).toBe(false);
    expect(
      parse(['--dry-run-notify=true'], { REMEDIATOR_DRY_RUN_NOTIFY: 'false' }).dryRunNotify,
    ).toBe(true);
    expect(() => parse(['--dry-run-notify=maybe'])).toThrow(
      '--dry-run-notify: "maybe" is not a boolean (true or false)',
    );
  });

  it('reads secrets from files, trimmed like Alertmanager does, and names only their source', () => {
    const config = parse([], {
      REMEDIATOR_WEBHOOK_TOKEN_FILE: '/run/secrets/token',
      REMEDIATOR_WEBHOOK_USERNAME: 'alertmanager',
      REMEDIATOR_WEBHOOK_PASSWORD_FILE: '/run/secrets/password',
    });
    expect(config.credentials).toEqual({
      bearerToken: 's3cr3t',
      basicAuth: { username: 'alertmanager', password: 'pw' },
    });
    expect(config.credentialSources.join(' ')).not.toMatch(/s3cr3t|pw\b/);
    expect(config.credentialSources).toEqual([
      'webhook_token from file /run/secrets/token',
      'webhook_username from REMEDIATOR_WEBHOOK_USERNAME',
      'webhook_password from file /run/secrets/password',
    ]);
  });

  it('reads the Slack signing secret from its file, naming only the file', () => {
    const config = parse([], { REMEDIATOR_SLACK_SIGNING_SECRET_FILE: '/run/secrets/token' });
    expect(config.slackSigningSecret).toBe('s3cr3t');
    expect(config.credentialSources).toEqual(['slack_signing_secret from file /run/secrets/token']);
    expect(parse([]).slackSigningSecret).toBeUndefined();
    expect(() =>
      parse([], {
        REMEDIATOR_SLACK_SIGNING_SECRET: 'x',
        REMEDIATOR_SLACK_SIGNING_SECRET_FILE: '/run/secrets/token',
      }),
    ).toThrow(
      'set REMEDIATOR_SLACK_SIGNING_SECRET or REMEDIATOR_SLACK_SIGNING_SECRET_FILE, not both',
    );
  });

  it('lists every problem at once', () => {
    expect(() =>
      parse(['--port', '70000', '--log-level', 'loud'], {
        REMEDIATOR_DRY_RUN: 'maybe',
        REMEDIATOR_MAX_BODY_BYTES: 'lots',
        REMEDIATOR_WEBHOOK_TOKEN: 'a',
        REMEDIATOR_WEBHOOK_TOKEN_FILE: '/run/secrets/token',
        REMEDIATOR_WEBHOOK_PASSWORD_FILE: '/missing',
      }),
    ).toThrow(
      [
        'invalid configuration:',
        '  --port: "70000" is not an integer from 0 to 65535',
        '  REMEDIATOR_MAX_BODY_BYTES: "lots" is not a size (e.g. 4194304, 512KiB, 4MiB)',
        '  set REMEDIATOR_WEBHOOK_TOKEN or REMEDIATOR_WEBHOOK_TOKEN_FILE, not both',
        '  REMEDIATOR_WEBHOOK_PASSWORD_FILE: cannot read /missing: ENOENT',
        '  REMEDIATOR_DRY_RUN: "maybe" is not a boolean (true or false)',
        '  --log-level: "loud" must be one of error, warn, info, debug',
      ].join('\n'),
    );
  });

  it.each([
    ['7d', 7 * 24 * 3600_000],
    ['720h', 720 * 3600_000],
    ['1h30m', 5_400_000],
  ])('reads the retention %s', (text, ms) => {
    expect(parse(['--retention', text]).retentionMs).toBe(ms);
  });

  it.each(['30', '30s', '1m1h', 'forever'])('refuses the retention %j', (text) => {
    expect(() => parse([], { REMEDIATOR_RETENTION: text })).toThrow(
      `REMEDIATOR_RETENTION: ${JSON.stringify(text)} is not a duration of at least 1m (e.g. 7d, 720h)`,
    );
  });

  it.each([
    ['25s', 25_000],
    ['0s', 0],
    ['1m', 60_000],
  ])('reads the shutdown timeout %s', (text, ms) => {
    expect(parse(['--shutdown-timeout', text]).shutdownTimeoutMs).toBe(ms);
    expect(parse([], { REMEDIATOR_SHUTDOWN_TIMEOUT: text }).shutdownTimeoutMs).toBe(ms);
  });

  it.each(['10', 'soon', '2h'])('refuses the shutdown timeout %j', (text) => {
    expect(() => parse(['--shutdown-timeout', text])).toThrow(
      `--shutdown-timeout: ${JSON.stringify(text)} is not a duration of at most 1h (e.g. 10s, 25s)`,
    );
  });

  it('refuses half of the basic-auth credentials', () => {
    expect(() => parse([], { REMEDIATOR_WEBHOOK_USERNAME: 'alertmanager' })).toThrow(
      'basic auth needs both a user name and a password',
    );
  });

  it('refuses an empty secret file', () => {
    expect(() => parse([], { REMEDIATOR_WEBHOOK_TOKEN_FILE: '/empty' })).toThrow('/empty is empty');
  });

  it('rejects unknown flags, pointing at --help', () => {
    expect(() => parse(['--prot', '1'])).toThrow(
      /Unknown option '--prot'.*see remediator serve --help/,
    );
  });

  it.each([
    ['4194304', 4194304],
    ['512KiB', 524288],
    ['4MiB', 4194304],
    ['1 GiB', 1073741824],
    ['2MB', 2000000],
    ['0', undefined],
    ['-1', undefined],
    ['4 MiBs', undefined],
  ])('reads the size %j as %j bytes', (text, bytes) => {
    expect(parseByteSize(text)).toBe(bytes);
  });

  it("reads Alertmanager's and Prometheus' URLs, with credentials from files only", () => {
    const config = parse(['--alertmanager-url', 'http://am.monitoring.svc:9093/'], {
      REMEDIATOR_PROMETHEUS_URL: 'https://prom.example/prefix',
      REMEDIATOR_ALERTMANAGER_TOKEN_FILE: '/run/secrets/token',
      REMEDIATOR_PROMETHEUS_USERNAME_FILE: '/run/secrets/token',
      REMEDIATOR_PROMETHEUS_PASSWORD_FILE: '/run/secrets/password',
    });
    expect(config.alertmanager).toEqual({
      url: 'http://am.monitoring.svc:9093/',
      authorization: 'Bearer s3cr3t',
    });
    expect(config.prometheus).toEqual({
      url: 'https://prom.example/prefix',
      authorization: `Basic ${Buffer.from('s3cr3t:pw').toString('base64')}`,
    });
    expect(parse([]).alertmanager).toBeUndefined();
  });

  it("refuses a source's credentials in its URL, half of them, both kinds, or without a URL", () => {
    expect(() =>
      parse(
        ['--prometheus-url', 'http://user:hunter2@prom:9090', '--alertmanager-url', 'ftp://am'],
        {
          REMEDIATOR_ALERTMANAGER_TOKEN_FILE: '/run/secrets/token',
          REMEDIATOR_ALERTMANAGER_PASSWORD_FILE: '/run/secrets/password',
        },
      ),
    ).toThrow(
      [
        'invalid configuration:',
        '  Alertmanager: give a token file or basic-auth files (REMEDIATOR_ALERTMANAGER_*_FILE), not both',
        '  Alertmanager: basic auth needs both REMEDIATOR_ALERTMANAGER_USERNAME_FILE and REMEDIATOR_ALERTMANAGER_PASSWORD_FILE',
        '  --alertmanager-url: not an http(s) URL such as http://host:port',
        '  --prometheus-url: credentials do not go in the URL (a command line is visible to every user of the host): use REMEDIATOR_PROMETHEUS_TOKEN_FILE or the basic-auth files',
      ].join('\n'),
    );
    expect(() => parse([], { REMEDIATOR_PROMETHEUS_TOKEN_FILE: '/run/secrets/token' })).toThrow(
      'Prometheus: credentials are given but no URL (REMEDIATOR_PROMETHEUS_URL)',
    );
  });

  it('is documented in one README table that lists every option', () => {
    const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');
    for (const option of SERVE_OPTIONS) {
      const row = readme
        .split('\n')
        .find((line) => line.startsWith('|') && line.includes(`\`${option.env}\``));
      expect(row).toBeDefined();
      if (option.flag !== undefined) expect(row).toContain(`\`--${option.flag}\``);
      if (option.default !== undefined) expect(row).toContain(`\`${option.default}\``);
    }
  });
});
