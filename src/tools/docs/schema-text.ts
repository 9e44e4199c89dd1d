/**
 * A schema node in words, for the reference page's tables: its type (`list of string`, a link to
 * durations), its constraints beyond the type (`1 to 4`, `no other keys`) and its default.
 */
import { durationSchema } from '../../labels/durations';
import { H } from './headings';
import { code, inlineYaml, link, plural } from './markdown';
import {
  effectiveDefault,
  hasFields,
  isFlat,
  isNode,
  type ExampleHints,
  type SchemaNode,
} from './schema-walker';

/** Whether a string node is a duration as the policies file writes them (`30s`, `1h30m`). */
export function isDuration(node: SchemaNode): boolean {
  return node.type === 'string' && node.pattern === durationSchema.pattern;
}

function enumType(values: readonly unknown[]): string {
  const types = [...new Set(values.map((v) => (v === null ? 'null' : typeof v)))];
  return types.join(' or ');
}

/** `integer`, `list of string`, `map of object`, a link to durations for durations. */
export function typeText(node: SchemaNode): string {
  if (isDuration(node)) return link('duration', H.durations);
  if (node.const !== undefined) return enumType([node.const]);
  if (node.enum !== undefined) return enumType(node.enum);
  if (node.type === 'array' || (node.type === undefined && node.items !== undefined)) {
    return node.items === undefined ? 'list' : `list of ${typeText(node.items)}`;
  }
  if (isNode(node.additionalProperties) && node.properties === undefined) {
    return `map of ${typeText(node.additionalProperties)}`;
  }
  if (typeof node.type === 'string') return node.type;
  if (node.type !== undefined) return node.type.join(' or ');
  return node.properties === undefined ? 'any' : 'object';
}

function valuesText(values: readonly unknown[]): string {
  return values.map((v) => code(inlineYaml(v))).join(', ');
}

/** The constraints on a value beyond its type, each as a short phrase. */
export function constraintsOf(node: SchemaNode): string[] {
  const out: string[] = [];
  if (node.const !== undefined) out.push(`always ${code(inlineYaml(node.const))}`);
  if (node.enum !== undefined) out.push(`one of ${valuesText(node.enum)}`);
  const { minimum: min, maximum: max } = node;
  if (min !== undefined && max !== undefined) out.push(`${min} to ${max}`);
  else if (min !== undefined) out.push(`≥ ${min}`);
  else if (max !== undefined) out.push(`≤ ${max}`);
  if (node.exclusiveMinimum !== undefined) out.push(`> ${node.exclusiveMinimum}`);
  if (node.exclusiveMaximum !== undefined) out.push(`< ${node.exclusiveMaximum}`);
  if (node.minLength === 1) out.push('non-empty');
  else if (node.minLength !== undefined)
    out.push(`at least ${plural(node.minLength, 'character')}`);
  if (node.maxLength !== undefined) out.push(`at most ${plural(node.maxLength, 'character')}`);
  if (node.pattern !== undefined && !isDuration(node)) out.push(`matches ${code(node.pattern)}`);
  if (node.minItems !== undefined) out.push(`at least ${plural(node.minItems, 'item')}`);
  if (node.maxItems !== undefined) out.push(`at most ${plural(node.maxItems, 'item')}`);
  if (node.uniqueItems === true) out.push('no duplicates');
  if (node.items !== undefined && !hasFields(node.items)) {
    out.push(...constraintsOf(node.items).map((c) => `each item ${c}`));
  }
  if (node.propertyNames !== undefined) {
    out.push(...constraintsOf(node.propertyNames).map((c) => `each name ${c}`));
  }
  if (isNode(node.additionalProperties) && !hasFields(node.additionalProperties)) {
    out.push(...constraintsOf(node.additionalProperties).map((c) => `each value ${c}`));
  }
  if (node.required !== undefined && node.required.length > 0) {
    out.push(`requires ${node.required.map(code).join(', ')}`);
  }
  if (node.additionalProperties === false) out.push('no other keys');
  return out;
}

/** The type and its constraints as one phrase, for a params table's Type column. */
export function typeWithConstraints(node: SchemaNode): string {
  return [typeText(node), ...constraintsOf(node)].join(', ');
}

/** The default, a code-applied (runbook) default, or `—` for none. */
export function defaultText(path: string, node: SchemaNode, hints: ExampleHints): string {
  const external = hints.externalDefaults.get(path);
  if (external !== undefined) {
    return isFlat(external)
      ? `${code(inlineYaml(external))} (runbook)`
      : `the runbook's (${link(H.severity, H.severity)})`;
  }
  return node.default === undefined ? '—' : code(inlineYaml(effectiveDefault(node)));
}
