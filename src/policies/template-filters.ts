/**
 * The filters of the template language (`{{ labels.pod | dnsLabel | trunc 20 }}`), each declared
 * once: its name, how it is written, what it gives in one line, an example, its arguments and its
 * implementation. The parser in `template.ts` looks filters up here and the reference page
 * (`docs/policies.md`) lists them from here, so a filter is documented by being declared.
 *
 * Pure: imports nothing.
 */

/** An argument as written after a filter's name: a JSON string literal or a number. */
export type FilterArg = string | number;

/** What an argument must be: a `"string"`, a string or a number (`text`), or a whole number. */
export type FilterArgKind = 'string' | 'text' | 'count';

/** One compiled filter: either a fallback (`default`) or a transformation of a present value. */
export interface FilterStep {
  readonly fallback?: string;
  /** Returns undefined when nothing usable is left, which then counts as missing. */
  readonly apply?: (value: string) => string | undefined;
  /** Why an `apply` that returned undefined did so, after the subject and its value. */
  readonly emptied?: string;
}

export interface TemplateFilter {
  /** The name written after `|`. */
  readonly name: string;
  /** The name with its arguments, as error messages and the docs show it: `trunc N`. */
  readonly usage: string;
  /** What it gives, in one sentence of Markdown (the docs' filter table). */
  readonly doc: string;
  /** A template using it, which the docs render against a sample alert. */
  readonly example: string;
  readonly params: readonly FilterArgKind[];
  /** Builds the step, or returns the problem with the index of the argument at fault. */
  readonly build: (args: readonly FilterArg[]) => FilterStep | { problem: string; arg: number };
}

const DNS_LABEL_MAX = 63;
const HYPHEN = 45;
const NOT_DNS = /[^a-z0-9]+/g;

/** Lowercase, runs of anything else as `-`, no `-` at either end, at most 63 characters. */
function dnsLabel(value: string): string | undefined {
  const dashed = value.toLowerCase().replace(NOT_DNS, '-');
  let start = 0;
  let end = dashed.length;
  while (start < end && dashed.charCodeAt(start) === HYPHEN) start += 1;
  if (end - start > DNS_LABEL_MAX) end = start + DNS_LABEL_MAX;
  while (end > start && dashed.charCodeAt(end - 1) === HYPHEN) end -= 1;
  return end > start ? dashed.slice(start, end) : undefined;
}

/** Keeps the first `max` characters, counted in code points so that no surrogate pair is split. */
function truncate(value: string, max: number): string {
  // A string never has more code points than UTF-16 units, so a short one needs no scan.
  if (value.length <= max) return value;
  let out = '';
  let count = 0;
  for (const ch of value) {
    if (count === max) break;
    out += ch;
    count += 1;
  }
  return out;
}

/** Every filter, in the order error messages and the docs list them. */
export const TEMPLATE_FILTERS: readonly TemplateFilter[] = [
  {
    name: 'default',
    usage: 'default "x"',
    doc: 'The value, or `x` when it is missing or empty (also when an earlier filter left nothing).',
    example: '{{ labels.team | default "sre" }}',
    params: ['text'],
    build: ([x]) => ({ fallback: String(x) }),
  },
  {
    name: 'lower',
    usage: 'lower',
    doc: 'Lower case.',
    example: '{{ labels.pod | lower }}',
    params: [],
    build: () => ({ apply: (s) => s.toLowerCase() }),
  },
  {
    name: 'upper',
    usage: 'upper',
    doc: 'Upper case.',
    example: '{{ labels.namespace | upper }}',
    params: [],
    build: () => ({ apply: (s) => s.toUpperCase() }),
  },
  {
    name: 'trim',
    usage: 'trim',
    doc: 'Without leading and trailing whitespace.',
    example: '{{ " shop " | trim }}',
    params: [],
    build: () => ({ apply: (s) => s.trim() }),
  },
  {
    name: 'trunc',
    usage: 'trunc N',
    doc: 'The first N characters.',
    example: '{{ labels.pod | trunc 8 }}',
    params: ['count'],
    build: ([n]) => {
      const max = Number(n);
      return { apply: (s) => truncate(s, max) };
    },
  },
  {
    name: 'replace',
    usage: 'replace "a" "b"',
    doc: 'Every `a` replaced by `b`.',
    example: '{{ labels.pod | replace "_" "-" }}',
    params: ['string', 'string'],
    build: ([from, to]) => {
      const search = String(from);
      const replacement = String(to);
      if (search === '') return { problem: 'filter "replace" cannot replace ""', arg: 0 };
      // split/join, not String.replace: "$&" in the replacement must stay literal.
      return { apply: (s) => s.split(search).join(replacement) };
    },
  },
  {
    name: 'dnsLabel',
    usage: 'dnsLabel',
    doc: 'A valid Kubernetes name part: lower case, every run of other characters as `-`, no `-` at either end, at most 63 characters. Nothing left counts as missing.',
    example: 'quarantine-{{ labels.pod | dnsLabel }}',
    params: [],
    build: () => ({ apply: dnsLabel, emptied: 'has no characters usable in a DNS label' }),
  },
  {
    name: 'quote',
    usage: 'quote',
    doc: 'As a JSON string, in double quotes.',
    example: '{{ annotations.summary | quote }}',
    params: [],
    build: () => ({ apply: (s) => JSON.stringify(s) }),
  },
];

/** Why an argument does not fit its kind, or undefined when it does. */
export function filterArgProblem(
  kind: FilterArgKind,
  arg: FilterArg | undefined,
): string | undefined {
  switch (kind) {
    case 'string':
      return typeof arg === 'string' ? undefined : `expects a "string", got ${String(arg)}`;
    case 'text':
      return undefined;
    case 'count':
      return typeof arg === 'number' && Number.isSafeInteger(arg) && arg >= 0
        ? undefined
        : `expects a whole number of characters, got ${typeof arg === 'string' ? JSON.stringify(arg) : String(arg)}`;
  }
}
