/**
 * Markdown (as GitHub renders it) and one-line YAML for the reference page: heading anchors and
 * links to them, code spans, tables, YAML blocks, and a few words for counts and sentences.
 * Knows nothing of policies.
 */
import { stringify } from 'yaml';

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to dashes. */
export function anchorOf(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-');
}

/** A link to a heading of the same page. */
export function link(text: string, heading: string): string {
  return `[${text}](#${anchorOf(heading)})`;
}

/** A code span, with a longer fence and padding when the text holds a backtick. */
export function code(text: string): string {
  const fence = text.includes('`') ? '``' : '`';
  const pad = text.startsWith('`') || text.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${text}${pad}${fence}`;
}

/** Text for one table cell: pipes escaped (GitHub honours `\|` inside code spans too). */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** A table: a header row, then one row per entry. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  return [
    `| ${header.map(cell).join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...rows.map((row) => `| ${row.map(cell).join(' | ')} |`),
  ];
}

/** A fenced YAML block holding a value. */
export function yamlBlock(value: unknown): string[] {
  return ['```yaml', stringify(value, { lineWidth: 0 }).trimEnd(), '```'];
}

/** One scalar as YAML writes it inside a flow collection (quoted when it must be). */
function flowScalar(value: unknown): string {
  return stringify([value], { collectionStyle: 'flow', flowCollectionPadding: false, lineWidth: 0 })
    .trim()
    .slice(1, -1);
}

/** A value as YAML flow text, for one line: `{ max: 3, per: 1h }`, `[firing]`. */
export function inlineYaml(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(inlineYaml).join(', ')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value);
    if (entries.length === 0) return '{}';
    return `{ ${entries.map(([k, v]) => `${flowScalar(k)}: ${inlineYaml(v)}`).join(', ')} }`;
  }
  return flowScalar(value);
}

/** `1 item`, `2 items`. */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** Text ending in a full stop, adding one if it has none. */
export function sentence(text: string): string {
  const trimmed = text.trim();
  return /[.!?)]$/.test(trimmed) ? trimmed : `${trimmed}.`;
}
