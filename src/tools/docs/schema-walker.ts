/**
 * Walking a JSON Schema (the draft-07 subset the policies file's schema uses) into the list of
 * fields the reference page documents, each with a path, whether it is required, and an example
 * value taken from the schema. Knows nothing of policies or of Markdown: the policies file's own
 * schema and hints are in `policy-schema.ts`, and how a field is written in words in
 * `schema-text.ts`.
 */

/** The parts of JSON Schema (draft-07) that the policies file's schema uses. */
export interface SchemaNode {
  readonly type?: string | readonly string[];
  readonly description?: string;
  readonly default?: unknown;
  readonly examples?: readonly unknown[];
  readonly enum?: readonly unknown[];
  readonly const?: unknown;
  readonly pattern?: string;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly exclusiveMinimum?: number;
  readonly exclusiveMaximum?: number;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly minItems?: number;
  readonly maxItems?: number;
  readonly uniqueItems?: boolean;
  readonly properties?: Readonly<Record<string, SchemaNode>>;
  readonly required?: readonly string[];
  readonly additionalProperties?: boolean | SchemaNode;
  readonly propertyNames?: SchemaNode;
  readonly items?: SchemaNode;
  readonly allOf?: readonly SchemaNode[];
  readonly if?: SchemaNode;
  readonly then?: SchemaNode;
}

/** A schema that a sibling's value selects: `params` takes rollback's schema when `action: rollback`. */
export interface SchemaVariant {
  readonly sibling: string;
  readonly value: unknown;
  readonly node: SchemaNode;
}

/** One key a policies file (or an action's params) can have. */
export interface SchemaField {
  /** Where it is: `policies[].steps[].verify`, `sinks.<name>.url`. */
  readonly path: string;
  /** The YAML key; {@link MAP_KEY} for an entry of a map. */
  readonly key: string;
  readonly node: SchemaNode;
  readonly required: boolean;
  /** A value for it, from the schema (see {@link exampleOf}); undefined when there is none. */
  readonly example: unknown;
  /** The key the example is shown under: the key itself, or a sample name for a map entry. */
  readonly exampleKey: string;
  readonly variants: readonly SchemaVariant[];
}

/** How the path of a map entry is written: `sinks.<name>`. */
export const MAP_KEY = '<name>';
const SAMPLE_MAP_KEY = 'name';

/** Where examples come from besides the schema's own `examples`. */
export interface ExampleHints {
  /**
   * Examples for fields the schema gives none for (and no ancestor's example covers), by path or
   * by path suffix: `value.label` is the example of every `….value.label`.
   */
  readonly fallbacks: ReadonlyMap<string, unknown>;
  /** Defaults applied by code rather than by the schema (the runbook severity defaults). */
  readonly externalDefaults: ReadonlyMap<string, unknown>;
}

/** No examples or defaults beyond the schema's own (an action's params). */
export const NO_HINTS: ExampleHints = { fallbacks: new Map(), externalDefaults: new Map() };

/** A JSON object: not null, not a list. */
export function isRecord(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A schema, where one is allowed beside a boolean (`additionalProperties`). */
export function isNode(value: unknown): value is SchemaNode {
  return isRecord(value);
}

function childPath(prefix: string, key: string): string {
  return prefix === '' ? key : `${prefix}.${key}`;
}

/** Whether a node has keys of its own to document (an object, or a map of objects). */
export function hasFields(node: SchemaNode): boolean {
  return node.properties !== undefined || isMapOfObjects(node);
}

/** A map whose entries have keys of their own (`sinks`), as opposed to one of strings (`env`). */
function isMapOfObjects(node: SchemaNode): boolean {
  return isNode(node.additionalProperties) && hasFields(node.additionalProperties);
}

/** Whether a value fits on one line: a scalar, or an object or list of scalars. */
export function isFlat(value: unknown): boolean {
  const scalar = (v: unknown): boolean => typeof v !== 'object' || v === null;
  if (Array.isArray(value)) return value.every(scalar);
  return isRecord(value) ? Object.values(value).every(scalar) : true;
}

/** The fallback example for a path: an entry for the path itself, or for a suffix of it. */
export function fallbackExample(path: string, hints: ExampleHints): unknown {
  for (const [key, value] of hints.fallbacks) {
    if (path === key || path.endsWith(`.${key}`)) return value;
  }
  return undefined;
}

/**
 * Every field under an object schema, depth first in schema order: properties, the entries of a
 * map (`additionalProperties` with a schema, written `<name>`) and the items of lists of objects
 * (written `[]`). A new key in the schema shows up here, and so in the docs, by itself.
 */
export function schemaFields(root: SchemaNode, hints: ExampleHints = NO_HINTS): SchemaField[] {
  const out: SchemaField[] = [];
  visitObject(root, '', undefined, hints, out);
  return out;
}

interface Visit {
  readonly key: string;
  readonly path: string;
  readonly node: SchemaNode;
  readonly required: boolean;
  readonly given: unknown;
  readonly exampleKey: string;
  readonly variants: readonly SchemaVariant[];
}

function visitObject(
  node: SchemaNode,
  prefix: string,
  given: unknown,
  hints: ExampleHints,
  out: SchemaField[],
): void {
  const variants = conditionalProperties(node);
  for (const [key, child] of Object.entries(node.properties ?? {})) {
    visitField(
      {
        key,
        path: childPath(prefix, key),
        node: child,
        required: node.required?.includes(key) ?? false,
        given: isRecord(given) ? given[key] : undefined,
        exampleKey: key,
        variants: variants.get(key) ?? [],
      },
      hints,
      out,
    );
  }
  const entry = node.additionalProperties;
  if (isNode(entry) && hasFields(entry)) {
    const first = isRecord(given) ? Object.entries(given)[0] : undefined;
    visitField(
      {
        key: MAP_KEY,
        path: childPath(prefix, MAP_KEY),
        node: entry,
        required: false,
        given: first?.[1],
        exampleKey: first?.[0] ?? SAMPLE_MAP_KEY,
        variants: [],
      },
      hints,
      out,
    );
  }
}

function visitField(v: Visit, hints: ExampleHints, out: SchemaField[]): void {
  out.push({
    path: v.path,
    key: v.key,
    node: v.node,
    required: v.required,
    example: exampleOf(v.path, v.node, v.given, hints),
    exampleKey: v.exampleKey,
    variants: v.variants,
  });
  const explicit = explicitExample(v.path, v.node, v.given, hints);
  if (hasFields(v.node)) {
    visitObject(v.node, v.path, explicit, hints, out);
  } else if (v.node.items !== undefined && hasFields(v.node.items)) {
    const item: unknown = Array.isArray(explicit) ? explicit[0] : undefined;
    visitObject(v.node.items, `${v.path}[]`, item, hints, out);
  }
}

/** `allOf: [{ if: { properties: { action: { const: x } } }, then: { properties: { params } } }]`. */
function conditionalProperties(node: SchemaNode): Map<string, SchemaVariant[]> {
  const variants = new Map<string, SchemaVariant[]>();
  for (const clause of node.allOf ?? []) {
    const tests = Object.entries(clause.if?.properties ?? {});
    const [test] = tests;
    if (tests.length !== 1 || test?.[1].const === undefined) continue;
    for (const [key, schema] of Object.entries(clause.then?.properties ?? {})) {
      const list = variants.get(key) ?? [];
      list.push({ sibling: test[0], value: test[1].const, node: schema });
      variants.set(key, list);
    }
  }
  return variants;
}

/** An example someone wrote: the schema's own, one an ancestor's example holds, or a fallback. */
function explicitExample(
  path: string,
  node: SchemaNode,
  given: unknown,
  hints: ExampleHints,
): unknown {
  return node.examples?.[0] ?? given ?? fallbackExample(path, hints);
}

/**
 * A value for a field: an explicit example (see {@link explicitExample}), else a code-applied
 * default, else one composed from its keys or items, else its default, constant, first allowed
 * value or lower bound. Undefined when nothing says what a sensible value is (a free string).
 */
export function exampleOf(
  path: string,
  node: SchemaNode,
  given: unknown,
  hints: ExampleHints,
): unknown {
  const explicit = explicitExample(path, node, given, hints);
  if (explicit !== undefined) return explicit;
  const external = hints.externalDefaults.get(path);
  // A nested default (the runbook's rules) is too long for an example; a composed one reads better.
  if (external !== undefined && isFlat(external)) return external;
  if (node.properties !== undefined) {
    const out: Record<string, unknown> = {};
    for (const [key, child] of Object.entries(node.properties)) {
      const value = exampleOf(childPath(path, key), child, undefined, hints);
      if (value !== undefined) out[key] = value;
      else if (node.required?.includes(key)) return undefined;
    }
    return out;
  }
  if (isNode(node.additionalProperties) && isMapOfObjects(node)) {
    const value = exampleOf(childPath(path, MAP_KEY), node.additionalProperties, undefined, hints);
    return value === undefined ? undefined : { [SAMPLE_MAP_KEY]: value };
  }
  if (node.items !== undefined) {
    const item = exampleOf(`${path}[]`, node.items, undefined, hints);
    return item === undefined ? undefined : [item];
  }
  if (node.default !== undefined) return node.default;
  if (node.const !== undefined) return node.const;
  if (node.enum !== undefined && node.enum.length > 0) return node.enum[0];
  // A bound says what is sensible; an unbounded number needs an example from someone who knows.
  if (node.minimum !== undefined) return node.minimum;
  if (node.exclusiveMinimum !== undefined) return node.exclusiveMinimum + 1;
  if (node.type === 'boolean') return false;
  return undefined;
}

/** A default object with the defaults of the keys it leaves out, as ajv's `useDefaults` fills them. */
export function effectiveDefault(node: SchemaNode): unknown {
  if (!isRecord(node.default) || node.properties === undefined) return node.default;
  const out: Record<string, unknown> = { ...node.default };
  for (const [key, child] of Object.entries(node.properties)) {
    if (!(key in out) && child.default !== undefined) out[key] = effectiveDefault(child);
  }
  return out;
}
