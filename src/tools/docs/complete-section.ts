/**
 * The section "A complete policy": an annotated file that must load cleanly, so the page ends with
 * an example that works.
 */
import { H } from './headings';
import { loadOrThrow } from './samples';

/** The complete policy the docs end with; rendering fails if it does not load cleanly. */
export const COMPLETE_EXAMPLE = `# yaml-language-server: $schema=./policy.schema.json
sinks:
  oncall:
    type: slack
    urlFile: /etc/remediator/sinks/oncall-url # a mounted Secret: webhook URLs are secrets

policies:
  - name: crashloop
    description: Restart a Deployment whose pods keep restarting; then page on-call.
    # Alertmanager matchers, all of which must hold for one alert.
    match: ['alertname="PodRestartingFrequently"', 'deployment!=""']
    minSeverity: 3 # act on Sev3 or worse
    target: { kind: Deployment, namespace: '{{ labels.namespace }}', name: '{{ labels.deployment }}' }
    steps:
      - action: restart
        verify: 10m # still firing 10 minutes later? then the next step
      - action: notify
        params: { sink: oncall, template: status-update }
    cooldown: 30m # not again on the same Deployment for 30 minutes
    budget: { max: 2, per: 6h } # at most 2 attempts per Deployment in 6 hours
`;

/** "A complete policy", after checking that it loads. */
export function renderComplete(): string[] {
  loadOrThrow(COMPLETE_EXAMPLE, 'complete-example.yaml');
  return [
    `## ${H.complete}`,
    '',
    'A sink and one policy, with comments. The shipped',
    '[`deploy/k8s/policies/runbook.yaml`](../deploy/k8s/policies/runbook.yaml) encodes the whole',
    'incident runbook the same way.',
    '',
    '```yaml',
    COMPLETE_EXAMPLE.trimEnd(),
    '```',
  ];
}
