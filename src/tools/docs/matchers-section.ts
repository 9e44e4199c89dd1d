/**
 * The section "Matchers": the Alertmanager matcher syntax, with a table of sample matchers that
 * the real matcher parser evaluates against sample labels.
 */
import { parseMatcher } from '../../labels/matchers';
import { fieldLink, H } from './headings';
import { code, table } from './markdown';
import { labelsText } from './samples';

const MATCHER_SAMPLES: readonly (readonly [string, Readonly<Record<string, string>>])[] = [
  ['alertname="HighLatency"', { alertname: 'HighLatency' }],
  ['namespace!="kube-system"', { namespace: 'shop' }],
  ['alertname=~"High.*"', { alertname: 'HighLatency' }],
  ['alertname=~"High"', { alertname: 'HighLatency' }],
  ['alertname!~"Watchdog|InfoInhibitor"', { alertname: 'HighLatency' }],
  ['pod!=""', { alertname: 'HighLatency' }],
  ['team=""', { alertname: 'HighLatency' }],
  ['team=~"sre|"', { alertname: 'HighLatency' }],
  ['severity=warning', { severity: 'warning' }],
  ['namespace=~"(?i)prod-.*"', { namespace: 'PROD-eu' }],
];

/** "Matchers": the operators and their rules, and sample matchers evaluated by the real parser. */
export function renderMatchers(): string[] {
  const rows = MATCHER_SAMPLES.map(([text, labels]) => {
    const matcher = parseMatcher(text);
    const value = Object.hasOwn(labels, matcher.name) ? labels[matcher.name] : undefined;
    const absent = value === undefined ? ` (no ${code(matcher.name)} label)` : '';
    return [code(text), `${labelsText(labels)}${absent}`, matcher.matches(value) ? 'yes' : 'no'];
  });
  return [
    `## ${H.matchers}`,
    '',
    `${fieldLink('policies[].match')} and ${fieldLink('severity.rules[].when')} are lists of`,
    'Alertmanager label matchers, parsed and evaluated as Alertmanager does, so a matcher that',
    'works in an Alertmanager route works here and selects the same alerts. Every matcher of a',
    "list must hold for one alert's own labels (not the group's).",
    '',
    ...table(
      ['Operator', 'Holds when the label value'],
      [
        [code('name="value"'), 'equals `value`'],
        [code('name!="value"'), 'does not equal `value`'],
        [code('name=~"regex"'), 'matches the regex, as a whole'],
        [code('name!~"regex"'), 'does not match the regex, as a whole'],
      ],
    ),
    '',
    '- **Regexes are anchored:** `=~"High"` does not match `HighLatency`; write `=~"High.*"`.',
    "  They use Go's RE2 syntax and run in time linear in the value's length, as in Alertmanager:",
    '  no backreferences or lookarounds; `(?i)` makes the rest of its group case-insensitive',
    '  (`(?i)foo|bar`, `foo(?i:bar)`).',
    '- **An absent label is `""`:** `pod!=""` holds only for alerts that have a (non-empty) `pod`',
    '  label, and `team=""` holds for alerts without a `team` label.',
    '- **Quoting:** the value may be unquoted (`severity=warning`); inside double quotes, `\\"`,',
    '  `\\\\` and `\\n` are escapes and any other backslash is literal, so `"\\d+"` is the regex',
    '  `\\d+`. In YAML, put each matcher in single quotes: `\'alertname="HighLatency"\'`.',
    '',
    'Evaluated by remediator:',
    '',
    ...table(['Matcher', 'Alert labels', 'Holds'], rows),
  ];
}
