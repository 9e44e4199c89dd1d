import { parse } from 'yaml';
import { DEFAULT_SEVERITY_SPEC } from '../../../src/policies/defaults';
import { renderSeverityDefaults } from '../../../src/tools/docs/severity-section';

const text = renderSeverityDefaults().join('\n');

describe('renderSeverityDefaults', () => {
  it('has a row per default rule, in order', () => {
    const levels = [...text.matchAll(/^\| Sev(\d) \|/gm)].map((m) => Number(m[1]));
    expect(levels).toEqual(DEFAULT_SEVERITY_SPEC.rules.map((r) => r.level));
  });

  it('states the multiple-alerts rule and the default level', () => {
    const { multipleAlerts } = DEFAULT_SEVERITY_SPEC;
    expect(text).toContain(
      `${multipleAlerts.atLeast} firing alerts or more in one incident, each Sev${multipleAlerts.minAlertSeverity} or worse on its own, make it Sev${multipleAlerts.level}.`,
    );
    expect(text).toContain(`no rule matches is Sev${DEFAULT_SEVERITY_SPEC.default}.`);
  });

  it('gives the defaults as YAML that parses back to them', () => {
    const yaml = /```yaml\n([\s\S]*?)```/.exec(text)?.[1] ?? '';
    expect(parse(yaml)).toEqual({ severity: DEFAULT_SEVERITY_SPEC });
  });
});
