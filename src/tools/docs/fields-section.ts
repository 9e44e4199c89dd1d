/**
 * The section "Fields": an overview table of every key of the policies file, then one subsection
 * per key with its type, whether it is required, its default, constraints and an example, all
 * taken from the schema by the walker.
 */
import { ACTIONS } from '../../remediations/actions/index';
import { actionLink, fieldLink, H } from './headings';
import { code, inlineYaml, link, sentence, table, yamlBlock } from './markdown';
import { constraintsOf, defaultText, typeText } from './schema-text';
import { type ExampleHints, MAP_KEY, type SchemaField, type SchemaVariant } from './schema-walker';

function renderFieldDetail(field: SchemaField, hints: ExampleHints): string[] {
  const { node } = field;
  const facts = [
    `**Type:** ${typeText(node)}`,
    `**Required:** ${field.required ? 'yes' : 'no'}`,
    `**Default:** ${defaultText(field.path, node, hints)}`,
  ];
  const constraints = constraintsOf(node);
  const out = [`### ${code(field.path)}`, '', facts.join(' · '), ''];
  if (node.description !== undefined) out.push(sentence(node.description), '');
  if (constraints.length > 0) out.push(`**Constraints:** ${constraints.join('; ')}.`, '');
  if (field.variants.length > 0) {
    const bySibling = new Map<string, SchemaVariant[]>();
    for (const v of field.variants)
      bySibling.set(v.sibling, [...(bySibling.get(v.sibling) ?? []), v]);
    for (const [sibling, variants] of bySibling) {
      const names = variants.map((v) =>
        typeof v.value === 'string' && ACTIONS.some((a) => a.name === v.value)
          ? actionLink(v.value)
          : code(inlineYaml(v.value)),
      );
      out.push(
        `**Depends on ${code(sibling)}:** the keys allowed are those of ${names.join(', ')}.`,
        '',
      );
    }
  }
  if (field.example === undefined) {
    out.push('**Example:** none: the schema gives no example for this field.', '');
  } else {
    out.push('**Example:**', '', ...yamlBlock({ [field.exampleKey]: field.example }), '');
  }
  return out;
}

/** "Fields": the overview table, then one subsection per field, in schema order. */
export function renderFields(fields: readonly SchemaField[], hints: ExampleHints): string[] {
  return [
    `## ${H.fields}`,
    '',
    'Every key of the file. Paths name nested keys with dots, the items of a list with `[]` and',
    `the entries of a map (a key you choose, such as a sink's name) with ${code(MAP_KEY)}:`,
    `${code('policies[].steps[].verify')} is the ${code('verify')} key of any step of any policy. Strings are`,
    `taken literally, except where ${link('templates', H.where)} are allowed.`,
    '',
    `### ${H.overview}`,
    '',
    ...table(
      ['Field', 'Type', 'Required', 'Default'],
      fields.map((f) => [
        fieldLink(f.path),
        typeText(f.node),
        f.required ? 'yes' : 'no',
        defaultText(f.path, f.node, hints),
      ]),
    ),
    '',
    ...fields.flatMap((f) => renderFieldDetail(f, hints)),
  ];
}
