/**
 * The section "Runbook severity defaults": the rules that apply when the file has no `severity`,
 * read from the defaults the code applies.
 */
import { DEFAULT_SEVERITY_SPEC } from '../../policies/defaults';
import { H } from './headings';
import { code, inlineYaml, plural, table, yamlBlock } from './markdown';

interface SeverityRuleSpec {
  readonly level: number;
  readonly when?: readonly string[];
  readonly value?: Readonly<Record<string, unknown>>;
}

/** "Runbook severity defaults": a table of the default rules, and the same as YAML. */
export function renderSeverityDefaults(): string[] {
  const rules = DEFAULT_SEVERITY_SPEC.rules as readonly SeverityRuleSpec[];
  const { multipleAlerts } = DEFAULT_SEVERITY_SPEC;
  return [
    `## ${H.severity}`,
    '',
    'The incident runbook defines four levels; these are the rules remediator applies when the file',
    `has no ${code('severity')} key. Each key of ${code('severity')} that the file gives replaces the`,
    `default for that key only: giving ${code('rules')} replaces all the rules below, unless the file`,
    `says ${code('extends: defaults')}, which adds its rules to these; ${code('multipleAlerts')} and`,
    `${code('default')} stay as they are unless given. Alertmanager's conventional`,
    `${code('severity="critical"')} label makes an alert Sev2 (or worse, by another rule).`,
    'An alert gets the most severe level among the rules it satisfies, else the default; an',
    'incident gets the most severe level among its firing alerts and the multiple-alerts rule.',
    '',
    ...table(
      ['Level', 'When (all must hold)', 'Value condition'],
      rules.map((r) => [
        `Sev${r.level}`,
        r.when === undefined ? '—' : r.when.map(code).join(', '),
        r.value === undefined ? '—' : code(inlineYaml(r.value)),
      ]),
    ),
    '',
    `- **Multiple alerts:** ${plural(multipleAlerts.atLeast, 'firing alert')} or more in one incident, each Sev${multipleAlerts.minAlertSeverity} or worse on its own, make it Sev${multipleAlerts.level}.`,
    `- **Default:** an alert no rule matches is Sev${DEFAULT_SEVERITY_SPEC.default}.`,
    '',
    'As YAML, to copy into a file and adapt:',
    '',
    ...yamlBlock({ severity: DEFAULT_SEVERITY_SPEC }),
  ];
}
