/**
 * The section "Numbers and units": how a value condition reads numbers from alerts (converted by
 * the real parser, including what it refuses), and how the policies file writes durations.
 */
import { durationSchema } from '../../labels/durations';
import { evaluateNumericCondition, formatNumber, parseNumeric } from '../../labels/numeric';
import { ACTIONS } from '../../remediations/actions/index';
import { actionLink, fieldLink, H } from './headings';
import { code, inlineYaml, table } from './markdown';
import { paramsNode } from './policy-schema';
import { labelsText } from './samples';
import { isDuration } from './schema-text';
import { type SchemaField, schemaFields } from './schema-walker';

const NUMBER_SAMPLES: readonly string[] = [
  '1.9',
  '-2',
  '1.5e3',
  '1900ms',
  '250us',
  '90s',
  '1m30s',
  '1m 30s',
  '1.5h',
  '2d',
  '1w',
  '95%',
  '99.9%',
  '1.2k',
  '3M',
  '512Mi',
  '2Gi',
  '1.5m',
];

const NOT_NUMBER_SAMPLES: readonly string[] = [
  '',
  'NaN',
  '0x1F',
  'model_accuracy=0.71',
  '30s1m',
  '5 apples',
];

/** "Numbers and units"; `fields` are the policies file's, for the list of durations it sets. */
export function renderNumbers(fields: readonly SchemaField[]): string[] {
  const parsed = NUMBER_SAMPLES.map((text) => {
    const result = parseNumeric(text);
    if (!result.ok) throw new Error(`docs number ${text} does not parse: ${result.reason}`);
    return [code(text), code(formatNumber(result.value))];
  });
  const refused = NOT_NUMBER_SAMPLES.map((text) => {
    const result = parseNumeric(text);
    if (result.ok) throw new Error(`docs non-number ${text} parses`);
    return [text === '' ? '(empty)' : code(text), result.reason];
  });
  const alert = { labels: {}, annotations: { p99_seconds: '1900ms', accuracy: '87%' } };
  const conditions: readonly (readonly [
    Record<string, unknown>,
    Parameters<typeof evaluateNumericCondition>[0],
  ])[] = [
    [
      { annotation: 'p99_seconds', above: 1 },
      { source: 'annotation', key: 'p99_seconds', above: 1 },
    ],
    [
      { annotation: 'accuracy', below: 0.9 },
      { source: 'annotation', key: 'accuracy', below: 0.9 },
    ],
    [
      { annotation: 'accuracy', atLeast: 0.5, below: 0.8 },
      { source: 'annotation', key: 'accuracy', atLeast: 0.5, below: 0.8 },
    ],
    [
      { label: 'quantile', atLeast: 0.99 },
      { source: 'label', key: 'quantile', atLeast: 0.99 },
    ],
  ];
  const conditionRows = conditions.map(([yaml, cond]) => {
    const result = evaluateNumericCondition(cond, alert);
    return [code(inlineYaml(yaml)), result.matched ? 'yes' : 'no', result.reason];
  });
  const durationUsers = fields.filter((f) => isDuration(f.node)).map((f) => fieldLink(f.path));
  const durationParams = ACTIONS.flatMap((a) =>
    schemaFields(paramsNode(a))
      .filter((f) => isDuration(f.node))
      .map((f) => `${actionLink(a.name)}'s ${code(f.path)}`),
  );
  return [
    `## ${H.numbers}`,
    '',
    `### ${H.alertNumbers}`,
    '',
    `A ${code('value')} condition (${fieldLink('policies[].value')}, ${fieldLink('severity.rules[].value')})`,
    'reads one label or one annotation of the alert as a number and compares it with bounds. Alerts',
    'carry numbers as text, often with a unit, so the text is converted to a base unit first:',
    '',
    '- plain numbers, with sign and exponent: `1.9`, `-2`, `1.5e3`;',
    '- durations, into **seconds**: `ns`, `us` (or `µs`), `ms`, `s`, `m` (minutes), `h`, `d`, `w`,',
    '  `y` (365 days), combined from the largest unit down as Go and Prometheus print them',
    '  (`1h30m`, `1m 30s`);',
    '- percentages, into a **fraction**: `95%` is `0.95`, so "accuracy under 90 %" is `below: 0.9`;',
    '- SI suffixes `k`, `M`, `G`, `T`, `P` and binary ones `Ki`, `Mi`, `Gi`, `Ti`, `Pi`.',
    '',
    "Units are case-sensitive, and `m` always means minutes, never milli: a value Prometheus'",
    '`humanize` rendered as `1.5m` (0.0015) reads as 90 seconds. Alerts compared as numbers should',
    'carry seconds, ratios or plain numbers. Converted by remediator:',
    '',
    ...table(['Written', 'Read as'], parsed),
    '',
    'Text that is not a number never satisfies a condition; the reason says why:',
    '',
    ...table(['Written', 'Reason'], refused),
    '',
    `A condition names exactly one of ${code('label')} or ${code('annotation')} and at least one`,
    `bound (${code('above')}, ${code('atLeast')}, ${code('below')}, ${code('atMost')}, ${code('equals')}),`,
    'in base units; all the bounds given must hold, so two make a range. An absent key or a',
    'non-number does not match. Evaluated by remediator against an alert with the annotations',
    `${labelsText(alert.annotations)}:`,
    '',
    ...table(['Condition', 'Holds', 'Reason'], conditionRows),
    '',
    `### ${H.durations}`,
    '',
    `Durations that the file itself sets (${[...durationUsers, ...durationParams].join(', ')}) are`,
    `written as whole numbers with a unit, ${code('ms')}, ${code('s')}, ${code('m')}, ${code('h')} or ${code('d')},`,
    `largest unit first and without spaces: ${code('30s')}, ${code('5m')}, ${code('1h30m')}, ${code('2d')}`,
    `(pattern ${code(durationSchema.pattern)}).`,
  ];
}
