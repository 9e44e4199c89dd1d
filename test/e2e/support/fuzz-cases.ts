import fc from 'fast-check';
import { gzipSync } from 'node:zlib';
import { fixture, FIXTURE_NAMES, type FixtureName } from '../../support/fixtures';
import type { WireRequest } from './fuzz-target';

/**
 * The fuzz run's inputs. fast-check generates small plain *recipes* (which fixture, which
 * mutations, how deep, how far over the size limit...), so that a failing case prints readably
 * and replays from its seed; {@link renderCase} turns a recipe into the exact request, building
 * the big bodies (megabytes of labels, 100 000 levels of nesting) deterministically from it.
 * Every request says which statuses the server may answer: the oracle is the webhook's documented
 * contract (405 → 415 → 401 → 413 → 400, 200 once journaled), never "anything below 500".
 */

export const CATEGORIES = [
  'valid',
  'mutated',
  'random-bytes',
  'huge-labels',
  'deep-json',
  'content-type',
  'slow-body',
  'unauthenticated',
] as const;
export type Category = (typeof CATEGORIES)[number];

/** What rendering needs besides the recipe. */
export interface RenderContext {
  /** Unique within the run: names the fresh alerts a request carries. */
  readonly serial: number;
  /** Distinguishes runs (the seed), so ids read well in logs. */
  readonly runId: string;
  readonly token: string;
  readonly maxBodyBytes: number;
}

/** A notification no other request sends: its own group, alert label and fingerprints. */
export interface UniqueNotification {
  readonly fuzzId: string;
  readonly groupKey: string;
}

export interface FuzzRequest extends WireRequest {
  readonly category: Category;
  /** The variant within the category, for the summary and failure messages. */
  readonly variant: string;
  /** The statuses the contract allows for this request. */
  readonly expected: readonly number[];
  /** Set when the body is a fresh valid notification: journaled exactly when answered 2xx. */
  readonly unique?: UniqueNotification;
  /** A credential the request carried: it must never come back in an answer or a log line. */
  readonly credential?: string;
  /** The client hangs up this long after starting, part way through the body, on purpose. */
  readonly abortAfterMs?: number;
}

const WEBHOOK = '/webhook';
const JSON_TYPE = 'application/json';
const FIRING_FIXTURES = [
  'am-api-single-firing-bearer',
  'am-api-group-3-alerts-firing',
  'amtool-single-firing',
] as const satisfies readonly FixtureName[];

/** Alert names the shipped policies and severity rules act on, so fresh alerts plan real steps. */
const ACTED_ON = [
  'HighLatency',
  'HighErrorRate',
  'ServiceDown',
  'ModelAccuracyDrop',
  'DataBreach',
  'AuthFailureSpike',
  'HighMemoryUsage',
] as const;

/** Keys that are special to JavaScript objects: a label may be called anything. */
const PROTO_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty'];

// ---------------------------------------------------------------------------------------------
// Fresh valid notifications

export interface ValidRecipe {
  readonly fixture: (typeof FIRING_FIXTURES)[number];
  readonly alertname: string | null;
  readonly extraLabels: Readonly<Record<string, string>>;
  readonly pretty: boolean;
}

const labelText = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  // Lone surrogates too: JSON can carry them (escaped), UTF-8 cannot.
  fc.constantFrom(
    ...PROTO_KEYS,
    '',
    ' ',
    'Ω≈ç√',
    '\u0000',
    '\u2028',
    '😀👍🏽',
    'a"b\\c',
    '\ud800',
    '\udfff',
  ),
);

export const validRecipe: fc.Arbitrary<ValidRecipe> = fc.record({
  fixture: fc.constantFrom(...FIRING_FIXTURES),
  alertname: fc.option(fc.constantFrom(...ACTED_ON), { nil: null }),
  extraLabels: fc.dictionary(labelText, labelText, { maxKeys: 4 }),
  pretty: fc.boolean(),
});

/**
 * A real captured body made fresh: every alert gets the label `fuzz_id` and a fingerprint of its
 * own, and the group a groupKey of its own, so that it opens a new incident and can be looked up.
 */
export function freshNotification(
  recipe: Pick<ValidRecipe, 'fixture' | 'alertname' | 'extraLabels'>,
  ctx: RenderContext,
): { payload: Record<string, any>; unique: UniqueNotification } {
  const fuzzId = `fz-${ctx.runId}-${ctx.serial}`;
  const groupKey = `{}:{fuzz_id="${fuzzId}"}`;
  const payload = fixture(recipe.fixture) as unknown as Record<string, any>;
  const alerts = payload.alerts as Record<string, any>[];
  alerts.forEach((alert, i) => {
    // Own properties even for keys like __proto__, as JSON.parse would make them.
    const labels: Record<string, string> = Object.fromEntries([
      ...Object.entries(alert.labels as Record<string, string>),
      ...Object.entries(recipe.extraLabels),
      ['fuzz_id', fuzzId],
      ...(recipe.alertname === null ? [] : [['alertname', recipe.alertname]]),
    ]);
    alert.labels = labels;
    alert.fingerprint = `${ctx.serial.toString(16).padStart(12, '0')}${i.toString(16).padStart(4, '0')}`;
  });
  payload.groupKey = groupKey;
  payload.groupLabels = { fuzz_id: fuzzId };
  payload.commonLabels = { ...payload.commonLabels, fuzz_id: fuzzId };
  return { payload, unique: { fuzzId, groupKey } };
}

/** The fresh valid notification sent between the fuzz cases. */
export function renderValidCase(recipe: ValidRecipe, ctx: RenderContext): FuzzRequest {
  const { payload, unique } = freshNotification(recipe, ctx);
  return {
    category: 'valid',
    variant: recipe.fixture,
    ...post(jsonBody(payload, recipe.pretty), authorized(ctx)),
    expected: [200],
    unique,
  };
}

// ---------------------------------------------------------------------------------------------
// Mutated real payloads

/** A JSON value fast-check makes up, or one of the usual suspects. */
const oddValue = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom<unknown>(null, true, false, 0, -1, '', [], {}, '4', 4, ['firing'], { '': '' }),
  fc.string({ unit: 'binary', maxLength: 30 }),
);

/** Number literals JSON.parse reads oddly or rejects; written raw into the text. */
const ODD_NUMBERS = [
  '1e309',
  '-1e309',
  '-0',
  'NaN',
  'Infinity',
  '-Infinity',
  '1.0',
  '1e0',
  '9007199254740993',
  '1e-400',
  '0x1F',
  '01',
  '.5',
  '1.',
  '-',
  '+1',
  '1e',
  '123456789012345678901234567890',
  '-1',
  '4.2',
];

/** Times that are wrong, nearly right, or right in a way remediator might not expect. */
const ODD_TIMES = [
  '2026-13-45T99:99:99Z',
  '0000-00-00T00:00:00Z',
  '9999-12-31T23:59:59.999999999999999Z',
  '2026-11-27T13:56:28.515',
  '2026-11-27 13:56:28Z',
  '2026-11-27T13:56:28.515+25:00',
  '2026-11-27T13:56:28.515z',
  '2026-11-27t13:56:28Z',
  '-2026-11-27T13:56:28Z',
  '+275760-09-13T00:00:00Z',
  '2026-11-27T13:56:28.Z',
  '२०२६-११-२७T13:56:28Z',
  '0001-01-01T00:00:00Z',
  '',
  'now',
  '1732715788',
];

export type Mutation =
  | { readonly op: 'drop'; readonly at: number }
  | { readonly op: 'replace'; readonly at: number; readonly value: unknown }
  | { readonly op: 'rename'; readonly at: number; readonly key: string }
  | {
      readonly op: 'huge-string';
      readonly at: number;
      readonly length: number;
      readonly unit: string;
    }
  | { readonly op: 'many-labels'; readonly count: number; readonly valueLength: number }
  | { readonly op: 'many-alerts'; readonly count: number }
  | { readonly op: 'duplicate-alert'; readonly flipStatus: boolean }
  | { readonly op: 'deep'; readonly at: number; readonly depth: number; readonly array: boolean }
  | { readonly op: 'time'; readonly field: 'startsAt' | 'endsAt'; readonly value: string }
  | { readonly op: 'number'; readonly at: number; readonly literal: string }
  | { readonly op: 'proto-labels' };

export type TextMutation =
  | { readonly op: 'none' }
  | { readonly op: 'truncate'; readonly fraction: number }
  | {
      readonly op: 'duplicate-key';
      readonly key: string;
      readonly value: unknown;
      readonly where: 'first' | 'last' | 'alert';
    }
  | { readonly op: 'insert-bytes'; readonly fraction: number; readonly bytes: Uint8Array }
  | { readonly op: 'bom' }
  | { readonly op: 'utf16' }
  | { readonly op: 'trailing'; readonly text: string }
  | { readonly op: 'padding'; readonly bytes: number };

export interface MutatedRecipe {
  readonly fixture: FixtureName;
  readonly mutations: readonly Mutation[];
  readonly text: TextMutation;
  readonly pretty: boolean;
}

const at = fc.nat({ max: 10_000 });
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant('drop' as const), at }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('replace' as const), at, value: oddValue }) },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('rename' as const),
      at,
      key: fc.oneof(labelText, fc.constantFrom('Labels', 'alerts ', 'VERSION', 'groupkey')),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('huge-string' as const),
      at,
      length: fc.integer({ min: 1_000, max: 1_000_000 }),
      unit: fc.string({ unit: 'binary', minLength: 1, maxLength: 4 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('many-labels' as const),
      count: fc.integer({ min: 100, max: 20_000 }),
      valueLength: fc.integer({ min: 0, max: 64 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('many-alerts' as const),
      count: fc.integer({ min: 100, max: 5_000 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ op: fc.constant('duplicate-alert' as const), flipStatus: fc.boolean() }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('deep' as const),
      at,
      depth: fc.integer({ min: 100, max: 20_000 }),
      array: fc.boolean(),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('time' as const),
      field: fc.constantFrom('startsAt' as const, 'endsAt' as const),
      value: fc.constantFrom(...ODD_TIMES),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('number' as const),
      at,
      literal: fc.constantFrom(...ODD_NUMBERS),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ op: 'proto-labels' as const }) },
);

const TOP_LEVEL_KEYS = ['version', 'groupKey', 'status', 'alerts', 'receiver', 'truncatedAlerts'];
const textMutation: fc.Arbitrary<TextMutation> = fc.oneof(
  { weight: 8, arbitrary: fc.constant({ op: 'none' as const }) },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('truncate' as const),
      fraction: fc.double({ min: 0, max: 1, noNaN: true }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('duplicate-key' as const),
      key: fc.constantFrom(...TOP_LEVEL_KEYS, 'labels', 'fingerprint', 'startsAt'),
      value: oddValue,
      where: fc.constantFrom('first' as const, 'last' as const, 'alert' as const),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('insert-bytes' as const),
      fraction: fc.double({ min: 0, max: 1, noNaN: true }),
      bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ op: 'bom' as const }) },
  { weight: 1, arbitrary: fc.constant({ op: 'utf16' as const }) },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('trailing' as const),
      text: fc.constantFrom(',', '}', ']', ' garbage', '\u0000', '{}', '\n\n', '/* */'),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('padding' as const),
      bytes: fc.integer({ min: 1, max: 2_000_000 }),
    }),
  },
);

export const mutatedRecipe: fc.Arbitrary<MutatedRecipe> = fc.record({
  fixture: fc.constantFrom(...FIXTURE_NAMES),
  mutations: fc.array(mutation, { minLength: 1, maxLength: 4 }),
  text: textMutation,
  pretty: fc.boolean(),
});

type Path = readonly (string | number)[];

/** Mutated bodies are kept under about this size (twice the default limit). */
const MAX_BODY_GUESS = 8 * 1024 * 1024;

/** Mutations pick among this many paths at most: a payload may have millions. */
const MAX_PATHS = 10_000;

/** Paths into `value` down to `maxDepth`, the root first, breadth first, in a stable order. */
function pathsOf(value: unknown, maxDepth = 4): Path[] {
  const paths: Path[] = [];
  const queue: { path: Path; value: unknown }[] = [{ path: [], value }];
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    paths.push(next.path);
    if (paths.length >= MAX_PATHS) break;
    const node = next.value;
    if (next.path.length >= maxDepth || node === null || typeof node !== 'object') continue;
    const entries: [string | number, unknown][] = Array.isArray(node)
      ? node.map((v, i) => [i, v])
      : Object.entries(node);
    for (const [key, child] of entries) {
      if (queue.length + paths.length >= MAX_PATHS) break;
      queue.push({ path: [...next.path, key], value: child });
    }
  }
  return paths;
}

/** Replaces (or, with `undefined`, removes) what is at `path`; returns the new root. */
function setAt(root: unknown, path: Path, value: unknown): unknown {
  if (path.length === 0) return value;
  let parent: any = root;
  for (const key of path.slice(0, -1)) parent = parent?.[key];
  const last = path[path.length - 1]!;
  if (parent === null || typeof parent !== 'object') return root;
  if (value === undefined) {
    if (Array.isArray(parent) && typeof last === 'number') parent.splice(last, 1);
    else Reflect.deleteProperty(parent as object, last);
  } else {
    // Defined, not assigned: a key such as __proto__ becomes a member, as JSON.parse makes it.
    Object.defineProperty(parent, last, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return root;
}

function getAt(root: unknown, path: Path): unknown {
  let value: any = root;
  for (const key of path) value = value?.[key];
  return value;
}

/** Raw JSON text for a placeholder: what JSON.stringify cannot write (odd numbers, deep nesting). */
class RawText {
  private readonly texts: string[] = [];
  placeholder(text: string): string {
    this.texts.push(text);
    return `@@raw${this.texts.length - 1}@@`;
  }
  fill(json: string): string {
    return json.replace(/"@@raw(\d+)@@"/g, (_m, i: string) => this.texts[Number(i)] ?? 'null');
  }
}

function firstAlert(payload: unknown): Record<string, any> | undefined {
  const alerts = (payload as { alerts?: unknown } | null)?.alerts;
  const alert = Array.isArray(alerts) ? (alerts[0] as unknown) : undefined;
  return alert !== null && typeof alert === 'object' && !Array.isArray(alert)
    ? (alert as Record<string, any>)
    : undefined;
}

function applyMutation(payload: unknown, m: Mutation, raw: RawText): unknown {
  const paths = pathsOf(payload);
  const pick = (index: number): Path => paths[index % paths.length] ?? [];
  switch (m.op) {
    case 'drop': {
      const path = pick(m.at);
      return path.length === 0 ? payload : setAt(payload, path, undefined);
    }
    case 'replace':
      return setAt(payload, pick(m.at), m.value);
    case 'rename': {
      const path = pick(m.at);
      if (path.length === 0 || typeof path[path.length - 1] === 'number') return payload;
      const value = getAt(payload, path);
      setAt(payload, path, undefined);
      return setAt(payload, [...path.slice(0, -1), m.key], value);
    }
    case 'huge-string':
      return setAt(payload, pick(m.at), m.unit.repeat(Math.ceil(m.length / m.unit.length)));
    case 'many-labels': {
      const alert = firstAlert(payload);
      if (alert === undefined) return payload;
      const labels: Record<string, string> = {};
      for (let i = 0; i < m.count; i++) labels[`label_${i}`] = 'v'.repeat(m.valueLength);
      alert.labels = { ...(alert.labels as object), ...labels };
      return payload;
    }
    case 'many-alerts': {
      const alert = firstAlert(payload);
      if (alert === undefined) return payload;
      // Thousands of alerts, or a huge alert, not both: that body would be gigabytes. Past twice
      // the limit a body says nothing more than 413.
      const alertBytes = raw.fill(JSON.stringify(alert)).length;
      const count = Math.min(m.count, Math.max(1, Math.floor(MAX_BODY_GUESS / alertBytes)));
      (payload as { alerts: unknown[] }).alerts = Array.from({ length: count }, (_, i) => ({
        ...alert,
        fingerprint: i.toString(16).padStart(16, '0'),
      }));
      return payload;
    }
    case 'duplicate-alert': {
      const alert = firstAlert(payload);
      if (alert === undefined) return payload;
      const twin = { ...alert };
      if (m.flipStatus) twin.status = alert.status === 'firing' ? 'resolved' : 'firing';
      (payload as { alerts: unknown[] }).alerts.push(twin);
      return payload;
    }
    case 'deep': {
      const [open, close] = m.array ? ['[', ']'] : ['{"a":', '}'];
      const deep = `${open.repeat(m.depth)}1${close.repeat(m.depth)}`;
      return setAt(payload, pick(m.at), raw.placeholder(deep));
    }
    case 'time': {
      const alert = firstAlert(payload);
      if (alert !== undefined) alert[m.field] = m.value;
      return payload;
    }
    case 'number':
      return setAt(payload, pick(m.at), raw.placeholder(m.literal));
    case 'proto-labels': {
      const alert = firstAlert(payload);
      if (alert === undefined) return payload;
      const own = JSON.stringify(alert.labels ?? {}).slice(1);
      const special = PROTO_KEYS.map((k) => `"${k}":"${k}-value"`).join(',');
      alert.labels = raw.placeholder(`{${special}${own === '}' ? '}' : `,${own}`}`);
      return payload;
    }
  }
}

function applyTextMutation(text: string, m: TextMutation): Buffer {
  switch (m.op) {
    case 'none':
      return Buffer.from(text);
    case 'truncate':
      return Buffer.from(text).subarray(0, Math.floor(Buffer.byteLength(text) * m.fraction));
    case 'duplicate-key': {
      const member = `"${m.key}":${JSON.stringify(m.value)}`;
      if (m.where === 'first' && text.startsWith('{'))
        return Buffer.from(`{${member},${text.slice(1)}`);
      if (m.where === 'last' && text.endsWith('}'))
        return Buffer.from(`${text.slice(0, -1)},${member}}`);
      const alertStart = /"alerts":\s*\[\s*\{/.exec(text);
      if (m.where === 'alert' && alertStart !== null) {
        const cut = alertStart.index + alertStart[0].length;
        return Buffer.from(`${text.slice(0, cut)}${member},${text.slice(cut)}`);
      }
      return Buffer.from(text);
    }
    case 'insert-bytes': {
      const bytes = Buffer.from(text);
      const cut = Math.floor(bytes.length * m.fraction);
      return Buffer.concat([bytes.subarray(0, cut), Buffer.from(m.bytes), bytes.subarray(cut)]);
    }
    case 'bom':
      return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]);
    case 'utf16':
      return Buffer.from(text, 'utf16le');
    case 'trailing':
      return Buffer.from(text + m.text);
    case 'padding': {
      // Insignificant whitespace is still JSON: the body grows, the payload does not.
      const half = ' \n\t\r'.repeat(Math.ceil(m.bytes / 8)).slice(0, Math.floor(m.bytes / 2));
      return Buffer.from(`${half}${text}${half}`);
    }
  }
}

function renderMutated(recipe: MutatedRecipe, ctx: RenderContext): FuzzRequest {
  const raw = new RawText();
  let payload: unknown = fixture(recipe.fixture);
  for (const m of recipe.mutations) payload = applyMutation(payload, m, raw);
  const json = raw.fill(JSON.stringify(payload, null, recipe.pretty ? 2 : undefined));
  const body = applyTextMutation(json, recipe.text);
  return {
    category: 'mutated',
    variant: [...recipe.mutations.map((m) => m.op), recipe.text.op].join('+'),
    ...post(body, authorized(ctx)),
    // Mutations may leave a valid payload (200) or not (400); only the size decides 413.
    expected: body.length > ctx.maxBodyBytes ? [413] : [200, 400],
  };
}

// ---------------------------------------------------------------------------------------------
// Random bytes

export type RandomRecipe =
  | { readonly kind: 'bytes'; readonly bytes: Uint8Array }
  | { readonly kind: 'json'; readonly value: unknown }
  | { readonly kind: 'text'; readonly text: string };

export const randomRecipe: fc.Arbitrary<RandomRecipe> = fc.oneof(
  fc.record({
    kind: fc.constant('bytes' as const),
    bytes: fc.uint8Array({ maxLength: 65_536, size: 'max' }),
  }),
  fc.record({ kind: fc.constant('json' as const), value: fc.jsonValue() }),
  fc.record({ kind: fc.constant('text' as const), text: fc.string({ unit: 'binary' }) }),
);

function renderRandom(recipe: RandomRecipe, ctx: RenderContext): FuzzRequest {
  const body =
    recipe.kind === 'bytes'
      ? Buffer.from(recipe.bytes)
      : Buffer.from(recipe.kind === 'json' ? JSON.stringify(recipe.value) : recipe.text);
  return {
    category: 'random-bytes',
    variant: recipe.kind,
    ...post(body, authorized(ctx)),
    // Nothing random is a version 4 payload with a groupKey, a status and alerts.
    expected: [400],
  };
}

// ---------------------------------------------------------------------------------------------
// Huge label sets, near and over --max-body-bytes

export interface HugeRecipe {
  /** Over the limit (413) or at most at it (accepted). */
  readonly over: boolean;
  /** How far from the limit: under it by this, or over it by 1 + this. */
  readonly slack: number;
  readonly valueLength: number;
  /** Multi-byte label values: the limit is in bytes, not characters. */
  readonly multibyte: boolean;
  readonly where: 'labels' | 'annotations';
  readonly framing: 'length' | 'chunked';
}

export const hugeRecipe: fc.Arbitrary<HugeRecipe> = fc.record({
  // Mostly accepted: what a server keeps of megabyte label sets is what bounds its memory.
  over: fc.oneof(
    { weight: 1, arbitrary: fc.constant(true) },
    { weight: 2, arbitrary: fc.constant(false) },
  ),
  slack: fc.oneof(fc.constantFrom(0, 1, 2), fc.nat({ max: 65_536 })),
  valueLength: fc.integer({ min: 1, max: 512 }),
  multibyte: fc.boolean(),
  where: fc.constantFrom('labels' as const, 'annotations' as const),
  framing: fc.constantFrom('length' as const, 'chunked' as const),
});

/**
 * A fresh notification whose one alert carries as many labels (or annotations) as it takes for
 * the body to be exactly `target` bytes.
 */
function sizedNotification(
  recipe: HugeRecipe,
  target: number,
  ctx: RenderContext,
): { body: Buffer; unique: UniqueNotification } {
  const { payload, unique } = freshNotification(
    { fixture: 'am-api-single-firing-bearer', alertname: null, extraLabels: {} },
    ctx,
  );
  const alert = firstAlert(payload)!;
  const marker = '@@filler@@';
  alert[recipe.where] = { ...(alert[recipe.where] as object), [marker]: '' };
  const [head, tail] = JSON.stringify(payload).split(`"${marker}":""`) as [string, string];
  const unit = recipe.multibyte ? 'é€😀' : 'v';
  const value = unit.repeat(Math.ceil(recipe.valueLength / unit.length));
  let remaining = target - Buffer.byteLength(head) - Buffer.byteLength(tail);
  const members: string[] = [];
  for (let i = 0; remaining > 0; i++) {
    const member = `"f${i}":"${value}",`;
    const size = Buffer.byteLength(member);
    // The last member is padded with ASCII to land on the exact size.
    if (size + 12 >= remaining) {
      const name = `"f${i}":"`;
      const pad = remaining - Buffer.byteLength(name) - 1;
      members.push(`${name}${'p'.repeat(Math.max(0, pad))}"`);
      break;
    }
    members.push(member);
    remaining -= size;
  }
  const body = Buffer.from(`${head}${members.join('')}${tail}`);
  return { body, unique };
}

function renderHuge(recipe: HugeRecipe, ctx: RenderContext): FuzzRequest {
  const target = recipe.over
    ? ctx.maxBodyBytes + 1 + recipe.slack
    : ctx.maxBodyBytes - recipe.slack;
  const { body, unique } = sizedNotification(recipe, target, ctx);
  if (body.length !== target)
    throw new Error(`sized body is ${body.length} bytes, not the ${target} intended`);
  return {
    category: 'huge-labels',
    variant: `${recipe.over ? 'over' : 'at-or-under'}-limit ${recipe.where} ${recipe.framing}`,
    ...post(body, authorized(ctx), recipe.framing),
    expected: recipe.over ? [413] : [200],
    unique,
  };
}

// ---------------------------------------------------------------------------------------------
// Deep JSON

export interface DeepRecipe {
  readonly shape:
    | 'array-body'
    | 'object-body'
    | 'unbalanced'
    | 'unknown-field'
    | 'alert-unknown-field'
    | 'label-value'
    | 'alerts';
  readonly depth: number;
}

export const deepRecipe: fc.Arbitrary<DeepRecipe> = fc.record({
  shape: fc.constantFrom(
    'array-body' as const,
    'object-body' as const,
    'unbalanced' as const,
    'unknown-field' as const,
    'alert-unknown-field' as const,
    'label-value' as const,
    'alerts' as const,
  ),
  depth: fc.oneof(fc.constantFrom(10_000, 100_000), fc.integer({ min: 1_000, max: 100_000 })),
});

function renderDeep(recipe: DeepRecipe, ctx: RenderContext): FuzzRequest {
  const { depth } = recipe;
  const nestedArray = `${'['.repeat(depth)}${']'.repeat(depth)}`;
  const nestedObject = `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
  const variant = `${recipe.shape} depth ${depth}`;
  const base = { category: 'deep-json' as const, variant };
  switch (recipe.shape) {
    case 'array-body':
    case 'object-body':
    case 'unbalanced': {
      const text =
        recipe.shape === 'array-body'
          ? nestedArray
          : recipe.shape === 'object-body'
            ? nestedObject
            : '['.repeat(depth);
      return { ...base, ...post(Buffer.from(text), authorized(ctx)), expected: [400] };
    }
    default: {
      const raw = new RawText();
      const fresh = freshNotification(
        { fixture: 'am-api-single-firing-bearer', alertname: null, extraLabels: {} },
        ctx,
      );
      const { payload } = fresh;
      const alert = firstAlert(payload)!;
      // Unknown fields are accepted (Alertmanager may add some): those two are still valid.
      if (recipe.shape === 'unknown-field') payload.extra = raw.placeholder(nestedObject);
      if (recipe.shape === 'alert-unknown-field') alert.extra = raw.placeholder(nestedArray);
      if (recipe.shape === 'label-value')
        (alert.labels as Record<string, string>).nested = raw.placeholder(nestedObject);
      if (recipe.shape === 'alerts') payload.alerts = raw.placeholder(nestedArray);
      const valid = recipe.shape === 'unknown-field' || recipe.shape === 'alert-unknown-field';
      return {
        ...base,
        ...post(Buffer.from(raw.fill(JSON.stringify(payload))), authorized(ctx)),
        expected: valid ? [200] : [400],
        unique: fresh.unique,
      };
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Wrong content types

export interface ContentTypeRecipe {
  /** null: no Content-Type header at all. */
  readonly type: string | null;
  readonly body: 'json' | 'form' | 'multipart';
  readonly encoding: 'gzip' | 'br' | 'identity' | null;
}

const CONTENT_TYPES = [
  'text/plain',
  'text/plain; charset=utf-8',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=fuzz-boundary',
  'application/xml',
  'text/json',
  'application/jsonx',
  'application/json-seq',
  'application/json,text/plain',
  'application/octet-stream',
  '*/*',
  '',
  // These are JSON by the contract (application/json or a +json suffix, any parameters or case):
  'application/json; charset=utf-8',
  'APPLICATION/JSON',
  '  application/json  ',
  'application/vnd.alertmanager+json',
  'application/json; charset=latin1',
];

export const contentTypeRecipe: fc.Arbitrary<ContentTypeRecipe> = fc.record({
  type: fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...CONTENT_TYPES) },
    { weight: 1, arbitrary: fc.constant(null) },
    // Printable ASCII only: anything else is not a header value an HTTP client can send.
    { weight: 2, arbitrary: fc.string({ unit: 'grapheme-ascii', maxLength: 60 }) },
  ),
  body: fc.constantFrom('json' as const, 'form' as const, 'multipart' as const),
  encoding: fc.option(fc.constantFrom('gzip' as const, 'br' as const, 'identity' as const), {
    nil: null,
    freq: 3,
  }),
});

/** The webhook's rule: `application/json` or any `+json` type, parameters and case aside. */
export function isJsonMediaType(type: string | null): boolean {
  const media = (type ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  return media === JSON_TYPE || media.endsWith('+json');
}

function renderContentType(recipe: ContentTypeRecipe, ctx: RenderContext): FuzzRequest {
  const { payload, unique } = freshNotification(
    { fixture: 'amtool-single-firing', alertname: null, extraLabels: {} },
    ctx,
  );
  const json = JSON.stringify(payload);
  let body =
    recipe.body === 'json'
      ? Buffer.from(json)
      : recipe.body === 'form'
        ? Buffer.from(`payload=${encodeURIComponent(json)}`)
        : Buffer.from(
            `--fuzz-boundary\r\nContent-Disposition: form-data; name="payload"\r\nContent-Type: application/json\r\n\r\n${json}\r\n--fuzz-boundary--\r\n`,
          );
  if (recipe.encoding === 'gzip') body = gzipSync(body);
  const headers: Record<string, string> = { Authorization: `Bearer ${ctx.token}` };
  if (recipe.type !== null) headers['Content-Type'] = recipe.type;
  if (recipe.encoding !== null) headers['Content-Encoding'] = recipe.encoding;
  const json415 = recipe.encoding === 'gzip' || recipe.encoding === 'br';
  const expected =
    !isJsonMediaType(recipe.type) || json415 ? 415 : recipe.body === 'json' ? 200 : 400;
  return {
    category: 'content-type',
    variant: `${recipe.type === null ? '(none)' : JSON.stringify(recipe.type.slice(0, 40))} ${recipe.body}${recipe.encoding === null ? '' : ` ${recipe.encoding}`}`,
    ...post(body, headers),
    expected: [expected],
    unique,
  };
}

// ---------------------------------------------------------------------------------------------
// Slow bodies (trickled; the stalls run beside the loop, see stallRecipe)

export interface SlowRecipe {
  readonly valid: ValidRecipe;
  readonly pieces: readonly { readonly bytes: number; readonly pauseMs: number }[];
  readonly framing: 'length' | 'chunked';
  /** Hang up part way through instead of finishing. */
  readonly abort: boolean;
}

export const slowRecipe: fc.Arbitrary<SlowRecipe> = fc.record({
  valid: validRecipe,
  pieces: fc.array(
    fc.record({
      bytes: fc.integer({ min: 1, max: 256 }),
      pauseMs: fc.integer({ min: 0, max: 60 }),
    }),
    { minLength: 2, maxLength: 30 },
  ),
  framing: fc.constantFrom('length' as const, 'chunked' as const),
  abort: fc.boolean(),
});

/** Trickles stay well under the server's request timeout and the run's budget. */
const MAX_TRICKLE_MS = 1500;

function renderSlow(recipe: SlowRecipe, ctx: RenderContext): FuzzRequest {
  const { payload, unique } = freshNotification(recipe.valid, ctx);
  const body = jsonBody(payload, recipe.valid.pretty);
  let total = 0;
  const pieces = recipe.pieces.map((p) => {
    const pauseMs = total + p.pauseMs > MAX_TRICKLE_MS ? 0 : p.pauseMs;
    total += pauseMs;
    return { bytes: p.bytes, pauseMs };
  });
  const sentBytes = pieces.reduce((sum, p) => sum + p.bytes, 0);
  // An abort needs the body unfinished when the client hangs up: a pause before the last piece.
  const abort = recipe.abort && sentBytes + 1 < body.length;
  // The client hangs up during this last pause, well after the pauses before it (timers slip).
  if (abort) pieces.push({ bytes: 1, pauseMs: 1000 });
  return {
    category: 'slow-body',
    variant: `${abort ? 'abort' : 'trickle'} ${pieces.length} pieces ${recipe.framing}`,
    ...post(body, authorized(ctx), recipe.framing),
    pieces,
    expected: [200],
    unique,
    ...(abort ? { abortAfterMs: total + 300 } : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// Unauthenticated, wrong token, wrong scheme

const WRONG_VARIANTS = [
  'missing',
  'empty',
  'scheme-only',
  'wrong-token',
  'token-prefix',
  'token-suffix',
  'token-upper-case',
  'basic-with-token',
  'other-scheme',
  'token-without-scheme',
  'junk-without-scheme',
  'latin1-token',
] as const;
const RIGHT_VARIANTS = ['lower-case-scheme', 'padded'] as const;

export interface AuthRecipe {
  readonly variant: (typeof WRONG_VARIANTS)[number] | (typeof RIGHT_VARIANTS)[number];
  readonly junk: string;
  readonly scheme: string;
  /** API writes take the webhook's credentials; only wrong ones are sent there. */
  readonly endpoint: 'webhook' | 'pause' | 'resume' | 'patch-incident' | 'resolve-incident';
  readonly valid: ValidRecipe;
}

const TOKEN_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/=';

export const authRecipe: fc.Arbitrary<AuthRecipe> = fc.record({
  variant: fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...WRONG_VARIANTS) },
    { weight: 1, arbitrary: fc.constantFrom(...RIGHT_VARIANTS) },
  ),
  // Long and random enough that finding it in an answer cannot be a coincidence.
  junk: fc.string({ unit: fc.constantFrom(...TOKEN_CHARS), minLength: 12, maxLength: 64 }),
  scheme: fc.constantFrom('Token', 'Digest', 'Negotiate', 'ApiKey', 'Bearer:', 'OAuth'),
  endpoint: fc.oneof(
    { weight: 4, arbitrary: fc.constant('webhook' as const) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        'pause' as const,
        'resume' as const,
        'patch-incident' as const,
        'resolve-incident' as const,
      ),
    },
  ),
  valid: validRecipe,
});

function authorization(
  recipe: AuthRecipe,
  token: string,
): { header?: string; credential?: string } {
  switch (recipe.variant) {
    case 'missing':
      return {};
    case 'empty':
      return { header: '' };
    case 'scheme-only':
      return { header: 'Bearer' };
    case 'wrong-token':
      return { header: `Bearer ${recipe.junk}`, credential: recipe.junk };
    case 'token-prefix':
      return { header: `Bearer ${token.slice(0, -1)}`, credential: token };
    case 'token-suffix':
      return { header: `Bearer ${token}x`, credential: token };
    case 'token-upper-case':
      return { header: `Bearer ${token.toUpperCase()}`, credential: token };
    case 'basic-with-token': {
      const basic = Buffer.from(`alertmanager:${token}`).toString('base64');
      return { header: `Basic ${basic}`, credential: basic };
    }
    case 'other-scheme':
      return { header: `${recipe.scheme} ${token}`, credential: token };
    case 'token-without-scheme':
      return { header: token, credential: token };
    case 'junk-without-scheme':
      return { header: recipe.junk, credential: recipe.junk };
    case 'latin1-token': {
      // Bytes 0x80-0xFF are legal in a header value; remediator must read them as a wrong token.
      const latin1 = recipe.junk.replace(/[a-z]/g, 'ÿ');
      return { header: `Bearer ${latin1}`, credential: latin1 };
    }
    case 'lower-case-scheme':
      return { header: `bearer ${token}`, credential: token };
    case 'padded':
      return { header: `Bearer    ${token}   `, credential: token };
  }
}

/** The API's writes, which take the webhook's credentials. */
const API_WRITES: Record<
  Exclude<AuthRecipe['endpoint'], 'webhook'>,
  { method: string; path: string; body: string }
> = {
  pause: { method: 'POST', path: '/api/v1/pause', body: '{}' },
  resume: { method: 'POST', path: '/api/v1/resume', body: '{}' },
  'patch-incident': { method: 'PATCH', path: '/api/v1/incidents/1', body: '{"rootCause":"fuzz"}' },
  'resolve-incident': {
    method: 'POST',
    path: '/api/v1/incidents/1/resolve',
    body: '{"reason":"fuzz"}',
  },
};

function renderAuth(recipe: AuthRecipe, ctx: RenderContext): FuzzRequest {
  const right = (RIGHT_VARIANTS as readonly string[]).includes(recipe.variant);
  const endpoint = right ? 'webhook' : recipe.endpoint;
  const { header, credential } = authorization(recipe, ctx.token);
  const headers: Record<string, string> = { 'Content-Type': JSON_TYPE };
  if (header !== undefined) headers.Authorization = header;
  const common = {
    category: 'unauthenticated' as const,
    variant: `${recipe.variant} → ${endpoint}`,
    expected: [right ? 200 : 401],
    ...(credential === undefined ? {} : { credential }),
  };
  if (endpoint === 'webhook') {
    const { payload, unique } = freshNotification(recipe.valid, ctx);
    return { ...common, ...post(jsonBody(payload, false), headers), unique };
  }
  const { method, path, body } = API_WRITES[endpoint];
  return { ...common, ...post(Buffer.from(body), headers), method, path };
}

// ---------------------------------------------------------------------------------------------
// The mix

export type FuzzRecipe =
  | { readonly category: 'mutated'; readonly recipe: MutatedRecipe }
  | { readonly category: 'random-bytes'; readonly recipe: RandomRecipe }
  | { readonly category: 'huge-labels'; readonly recipe: HugeRecipe }
  | { readonly category: 'deep-json'; readonly recipe: DeepRecipe }
  | { readonly category: 'content-type'; readonly recipe: ContentTypeRecipe }
  | { readonly category: 'slow-body'; readonly recipe: SlowRecipe }
  | { readonly category: 'unauthenticated'; readonly recipe: AuthRecipe };

const tagged = <C extends FuzzRecipe['category'], R>(category: C, arbitrary: fc.Arbitrary<R>) =>
  arbitrary.map((recipe) => ({ category, recipe }));

/**
 * One fuzz case. The weights favour the cheap, varied categories. Megabyte bodies take up to a
 * second each, but enough of them must be accepted in 30 s (about twenty) that a server keeping
 * them all would run out of heap within the default run; trickles take up to 1.5 s.
 */
export const fuzzRecipe = fc.oneof(
  { weight: 30, arbitrary: tagged('mutated', mutatedRecipe) },
  { weight: 10, arbitrary: tagged('random-bytes', randomRecipe) },
  { weight: 6, arbitrary: tagged('huge-labels', hugeRecipe) },
  { weight: 6, arbitrary: tagged('deep-json', deepRecipe) },
  { weight: 10, arbitrary: tagged('content-type', contentTypeRecipe) },
  { weight: 4, arbitrary: tagged('slow-body', slowRecipe) },
  { weight: 12, arbitrary: tagged('unauthenticated', authRecipe) },
) as fc.Arbitrary<FuzzRecipe>;

/** The request a recipe stands for. */
export function renderCase(fuzz: FuzzRecipe, ctx: RenderContext): FuzzRequest {
  switch (fuzz.category) {
    case 'mutated':
      return renderMutated(fuzz.recipe, ctx);
    case 'random-bytes':
      return renderRandom(fuzz.recipe, ctx);
    case 'huge-labels':
      return renderHuge(fuzz.recipe, ctx);
    case 'deep-json':
      return renderDeep(fuzz.recipe, ctx);
    case 'content-type':
      return renderContentType(fuzz.recipe, ctx);
    case 'slow-body':
      return renderSlow(fuzz.recipe, ctx);
    case 'unauthenticated':
      return renderAuth(fuzz.recipe, ctx);
  }
}

// ---------------------------------------------------------------------------------------------
// Stalls: requests that stop sending, run beside the loop (each takes the server's timeouts)

export type StallRecipe =
  | { readonly kind: 'idle' }
  | { readonly kind: 'partial-headers'; readonly cut: number }
  | { readonly kind: 'dripped-headers'; readonly dripMs: number }
  | { readonly kind: 'partial-body'; readonly declared: number; readonly sent: number }
  | { readonly kind: 'dripped-body'; readonly dripMs: number }
  | { readonly kind: 'chunked-stall'; readonly sent: number }
  | { readonly kind: 'unauthenticated-stall' };

export const stallRecipe: fc.Arbitrary<StallRecipe> = fc.oneof(
  fc.constant({ kind: 'idle' as const }),
  fc.record({ kind: fc.constant('partial-headers' as const), cut: fc.nat({ max: 120 }) }),
  fc.record({
    kind: fc.constant('dripped-headers' as const),
    dripMs: fc.integer({ min: 200, max: 1000 }),
  }),
  fc.record({
    kind: fc.constant('partial-body' as const),
    declared: fc.integer({ min: 100, max: 100_000 }),
    sent: fc.nat({ max: 99 }),
  }),
  fc.record({
    kind: fc.constant('dripped-body' as const),
    dripMs: fc.integer({ min: 200, max: 1000 }),
  }),
  fc.record({ kind: fc.constant('chunked-stall' as const), sent: fc.nat({ max: 200 }) }),
  fc.constant({ kind: 'unauthenticated-stall' as const }),
);

/** A stall as raw bytes: what is written at once, and what is then dripped (if anything). */
export function renderStall(
  recipe: StallRecipe,
  token: string,
): { prefix: string; drip?: string; dripMs?: number } {
  const body = JSON.stringify(fixture('am-api-single-firing-bearer'));
  const head = (extra: string) =>
    `POST ${WEBHOOK} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: ${JSON_TYPE}\r\n${extra}`;
  const authorizedHead = (framing: string) =>
    head(`Authorization: Bearer ${token}\r\n${framing}\r\n\r\n`);
  switch (recipe.kind) {
    case 'idle':
      return { prefix: '' };
    case 'partial-headers':
      return { prefix: authorizedHead('Content-Length: 10').slice(0, recipe.cut) };
    case 'dripped-headers':
      return { prefix: 'POST /webhook HTTP/1.1\r\n', drip: 'X-Slow: a\r\n', dripMs: recipe.dripMs };
    case 'partial-body':
      return {
        prefix:
          authorizedHead(`Content-Length: ${recipe.declared}`) +
          body.slice(0, Math.min(recipe.sent, recipe.declared - 1)),
      };
    case 'dripped-body':
      return {
        prefix: authorizedHead(`Content-Length: ${body.length}`),
        drip: body.slice(0, -1),
        dripMs: recipe.dripMs,
      };
    case 'chunked-stall': {
      const chunk = body.slice(0, recipe.sent + 1);
      return {
        prefix: `${authorizedHead('Transfer-Encoding: chunked')}${chunk.length.toString(16)}\r\n${chunk}\r\n`,
      };
    }
    case 'unauthenticated-stall':
      return { prefix: `${head(`Content-Length: ${body.length}\r\n\r\n`)}${body.slice(0, 10)}` };
  }
}

// ---------------------------------------------------------------------------------------------

function authorized(ctx: RenderContext): Record<string, string> {
  return { 'Content-Type': JSON_TYPE, Authorization: `Bearer ${ctx.token}` };
}

function jsonBody(payload: unknown, pretty: boolean): Buffer {
  return Buffer.from(JSON.stringify(payload, null, pretty ? 2 : undefined));
}

/** A POST to the webhook, timed out generously: Alertmanager itself waits 10 s. */
function post(
  body: Buffer,
  headers: Record<string, string>,
  framing: 'length' | 'chunked' = 'length',
): WireRequest {
  return { method: 'POST', path: WEBHOOK, headers, body, framing, timeoutMs: 15_000 };
}
