/**
 * Builds webhook payloads exactly as Alertmanager (0.25) sends them, from alerts written in
 * shorthand (labels, annotations, status), for `remediator test`: fingerprints, the group key,
 * group and common labels, the payload status and the alert order are all computed the way
 * Alertmanager and prometheus/common compute them.
 *
 * Pure: imports nothing from `node:*` and reads no clock.
 */
import type { WebhookAlert, WebhookPayload } from './payload';

/** `endsAt` of a firing alert: Go's zero `time.Time`. */
export const ZERO_TIME = '0001-01-01T00:00:00Z';

/** `group_by: ['...']` groups by every label, as in Alertmanager's route configuration. */
export const GROUP_BY_ALL = '...';

const OFFSET64 = 14695981039346656037n;
const PRIME64 = 1099511628211n;
const SEPARATOR_BYTE = 0xff;
const utf8 = new TextEncoder();

/**
 * `model.LabelSet.Fingerprint()` of prometheus/common (model/signature.go, model/fnv.go): FNV-1a
 * 64 over the UTF-8 bytes of each label name and value, sorted by name, each followed by the
 * separator byte 0xff; printed as 16 hex digits like `model.Fingerprint.String()`.
 */
export function labelsFingerprint(labels: Readonly<Record<string, string>>): string {
  let hash = OFFSET64;
  const add = (byte: number): void => {
    hash = BigInt.asUintN(64, (hash ^ BigInt(byte)) * PRIME64);
  };
  for (const name of Object.keys(labels).sort(compareBytes)) {
    for (const byte of utf8.encode(name)) add(byte);
    add(SEPARATOR_BYTE);
    for (const byte of utf8.encode(labels[name] ?? '')) add(byte);
    add(SEPARATOR_BYTE);
  }
  return hash.toString(16).padStart(16, '0');
}

/**
 * The labels of an alert that form its group under `groupBy`: the listed labels it has (an absent
 * label is left out, as Alertmanager does), or all of them for `['...']`.
 */
export function groupLabelsOf(
  labels: Readonly<Record<string, string>>,
  groupBy: readonly string[],
): Record<string, string> {
  if (groupBy.includes(GROUP_BY_ALL)) return { ...labels };
  const group: Record<string, string> = {};
  for (const name of groupBy) {
    const value = labels[name];
    if (value !== undefined && value !== '') group[name] = value;
  }
  return group;
}

/**
 * Alertmanager's group key, `{}:{alertname="HighLatency", namespace="prod"}`: the route's key
 * (`{}` for the root route) and the group labels as `model.LabelSet.String()` prints them in the
 * prometheus/common Alertmanager 0.25 uses: `name="value"` pairs (Go-quoted), sorted as strings.
 */
export function groupKeyOf(groupLabels: Readonly<Record<string, string>>, routeKey = '{}'): string {
  const pairs = Object.entries(groupLabels)
    .map(([name, value]) => `${name}=${goQuote(value)}`)
    .sort(compareBytes);
  return `${routeKey}:{${pairs.join(', ')}}`;
}

/** An alert as a test writes it, with its times already decided. */
export interface ShorthandAlert {
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly status: 'firing' | 'resolved';
  readonly startsAt: string;
  /** For a resolved alert; a firing one always carries {@link ZERO_TIME}. */
  readonly endsAt?: string;
  readonly generatorURL?: string;
}

export interface PayloadOptions {
  readonly groupBy: readonly string[];
  readonly receiver: string;
  readonly externalURL: string;
  readonly truncatedAlerts?: number;
}

/**
 * One notification for one group, as Alertmanager's webhook notifier sends it (version 4). The
 * alerts must all belong to the same group under `groupBy` (see {@link groupLabelsOf}).
 */
export function buildPayload(
  alerts: readonly ShorthandAlert[],
  options: PayloadOptions,
): WebhookPayload {
  const built: WebhookAlert[] = alerts.map((a) => ({
    status: a.status,
    labels: sortedRecord(a.labels),
    annotations: sortedRecord(a.annotations),
    startsAt: a.startsAt,
    endsAt: a.status === 'firing' ? ZERO_TIME : (a.endsAt ?? ZERO_TIME),
    generatorURL: a.generatorURL ?? '',
    fingerprint: labelsFingerprint(a.labels),
  }));
  built.sort((x, y) => compareAlerts(x.labels, y.labels));
  const groupLabels = groupLabelsOf(built[0]?.labels ?? {}, options.groupBy);
  return {
    receiver: options.receiver,
    status: built.some((a) => a.status === 'firing') ? 'firing' : 'resolved',
    alerts: built,
    groupLabels: sortedRecord(groupLabels),
    commonLabels: common(built.map((a) => a.labels)),
    commonAnnotations: common(built.map((a) => a.annotations)),
    externalURL: options.externalURL,
    version: '4',
    groupKey: groupKeyOf(groupLabels),
    truncatedAlerts: options.truncatedAlerts ?? 0,
  };
}

/**
 * A time as Go's RFC 3339 (nano) formatting prints it, which is how Alertmanager sends
 * `startsAt`: `2026-11-27T13:56:01Z`, `2026-11-27T13:56:28.515Z` (no trailing zeros).
 */
export function formatGoTime(epochMs: number): string {
  return new Date(epochMs).toISOString().replace(/\.?0+Z$/, 'Z');
}

/**
 * Go's `strconv.Quote`: `"` and `\` escaped, the usual control escapes, other non-printable
 * characters as `\x`, `\u` or `\U` escapes, printable Unicode kept as it is.
 */
export function goQuote(text: string): string {
  let out = '"';
  for (const ch of text) {
    const cp = ch.codePointAt(0) ?? 0;
    const escape = GO_ESCAPES.get(ch);
    if (escape !== undefined) out += escape;
    else if (cp < 0x20 || cp === 0x7f) out += `\\x${hex(cp, 2)}`;
    else if (cp < 0x7f || PRINTABLE.test(ch)) out += ch;
    else if (cp >= 0xd800 && cp <= 0xdfff) out += '\\ufffd';
    else if (cp < 0x10000) out += `\\u${hex(cp, 4)}`;
    else out += `\\U${hex(cp, 8)}`;
  }
  return `${out}"`;
}

const GO_ESCAPES: ReadonlyMap<string, string> = new Map([
  ['"', '\\"'],
  ['\\', '\\\\'],
  ['\x07', '\\a'],
  ['\b', '\\b'],
  ['\f', '\\f'],
  ['\n', '\\n'],
  ['\r', '\\r'],
  ['\t', '\\t'],
  ['\v', '\\v'],
]);

/** Go's `unicode.IsPrint` beyond ASCII: letters, marks, numbers, punctuation and symbols. */
const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u;

function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, '0');
}

/** Go compares strings byte by byte (UTF-8); UTF-16 order differs above U+FFFF only. */
function compareBytes(a: string, b: string): number {
  if (a === b) return 0;
  const x = utf8.encode(a);
  const y = utf8.encode(b);
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

/**
 * The order of Alertmanager's `types.AlertSlice` (notifications are sorted by it): `job`, then
 * `instance` (an alert with the label first), then `model.LabelSet.Before`.
 */
function compareAlerts(
  a: Readonly<Record<string, string>>,
  b: Readonly<Record<string, string>>,
): number {
  for (const key of ['job', 'instance']) {
    const x = a[key];
    const y = b[key];
    if (x === undefined && y === undefined) continue;
    if (x === undefined) return 1;
    if (y === undefined) return -1;
    if (x !== y) return compareBytes(x, y);
  }
  return labelSetOrder(a, b);
}

/** `model.LabelSet.Before`: fewer labels first, then the first differing name or value. */
function labelSetOrder(
  a: Readonly<Record<string, string>>,
  b: Readonly<Record<string, string>>,
): number {
  const na = Object.keys(a).length;
  const nb = Object.keys(b).length;
  if (na !== nb) return na - nb;
  const names = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort(compareBytes);
  for (const name of names) {
    const x = a[name];
    const y = b[name];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    const d = compareBytes(x, y);
    if (d !== 0) return d;
  }
  return 0;
}

/** Go's encoding/json writes map keys sorted. */
function sortedRecord(map: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of Object.keys(map).sort(compareBytes)) out[name] = map[name] ?? '';
  return out;
}

/** The pairs every map has with the same value (Alertmanager's commonLabels and commonAnnotations). */
function common(maps: readonly Readonly<Record<string, string>>[]): Record<string, string> {
  const [first, ...rest] = maps;
  const out: Record<string, string> = {};
  if (first === undefined) return out;
  for (const [name, value] of Object.entries(first)) {
    if (rest.every((m) => Object.hasOwn(m, name) && m[name] === value)) out[name] = value;
  }
  return out;
}
