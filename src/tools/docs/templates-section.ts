/**
 * The section "Templates": where templates are allowed, their grammar, what they read, the
 * filters (listed from the template language's own filter table), and what happens when a value
 * is missing, each example rendered or planned by the real code.
 */
import { applyPlan, planChange } from '../../policies/planner';
import { TEMPLATE_ROOTS } from '../../policies/policy';
import { formatTemplatePath, type TemplateContext } from '../../policies/template';
import { TEMPLATE_FILTERS } from '../../policies/template-filters';
import { fieldLink, H } from './headings';
import { code, plural, table } from './markdown';
import { SMALLEST_EXAMPLE } from './organisation-section';
import {
  labelsText,
  loadOrThrow,
  renderSample,
  SAMPLE_LABELS,
  sampleAlert,
  sampleContext,
  sampleIncident,
} from './samples';
import { isRecord } from './schema-walker';

/** What each template root holds, in words; `perName` roots are maps keyed by the alert's names. */
const ROOT_DOCS: Readonly<
  Record<(typeof TEMPLATE_ROOTS)[number], { what: string; perName?: boolean }>
> = {
  labels: { what: "The alert's labels.", perName: true },
  annotations: { what: "The alert's annotations.", perName: true },
  severity: { what: "The incident's severity." },
  incident: { what: 'The incident the alert belongs to.' },
  alert: { what: 'The alert itself.' },
};

function rootRows(ctx: TemplateContext): string[][] {
  return TEMPLATE_ROOTS.map((root) => {
    const doc = ROOT_DOCS[root];
    const value = ctx[root];
    const paths: string[] = [];
    const keys = isRecord(value) ? Object.keys(value) : [];
    const written = keys.map((key) => formatTemplatePath([root, key]));
    if (doc.perName === true) {
      // Two names, and the first that needs brackets, so the page shows both ways of writing one.
      paths.push(`${root}.NAME`, ...written.slice(0, 2));
      const bracketed = written.find((p) => p.includes('['));
      if (bracketed !== undefined) paths.push(bracketed);
    } else if (isRecord(value)) {
      paths.push(...written);
    } else {
      paths.push(root);
    }
    const unique = [...new Set(paths)];
    const shown = unique.map((p) =>
      p.endsWith('.NAME') ? code(p) : `${code(p)} → ${code(renderSample(`{{ ${p} }}`, ctx))}`,
    );
    return [code(root), doc.what, shown.join('<br>')];
  });
}

/** "Templates": where they are allowed, grammar, roots, filters and missing values. */
export function renderTemplates(): string[] {
  const ctx = sampleContext();
  const filterRows = TEMPLATE_FILTERS.map((f) => [
    code(f.usage),
    f.doc,
    code(f.example),
    code(renderSample(f.example, ctx)),
  ]);

  // The smallest example's target needs a label this alert lacks: planned by the real planner.
  const { policySet } = loadOrThrow(SMALLEST_EXAMPLE, 'smallest-example.yaml');
  const alert = sampleAlert({
    alertname: 'HighErrorRate',
    namespace: 'shop',
    pod: 'checkout-7d9f-x2x4q',
  });
  const incident = sampleIncident(alert);
  const plan = planChange({
    change: { incident, previous: undefined, newlyFiring: [alert], newlyResolved: [] },
    policies: policySet.policies,
    isPlanned: () => false,
  });
  const [skip] = plan.skips;
  if (skip === undefined || plan.entries.length > 0)
    throw new Error('docs missing-label example did not skip');
  const timeline = applyPlan(incident, plan, 0).timeline.map((t) => t.message);

  return [
    `## ${H.templates}`,
    '',
    'Some values are templates: text with `{{ … }}` holes that remediator fills from the alert when',
    "a policy acts, such as `'{{ labels.namespace }}'` or `'quarantine-{{ labels.pod | dnsLabel }}'`.",
    'Nothing in a template is code: it reads values and passes them through a fixed set of filters.',
    '',
    `### ${H.where}`,
    '',
    `- ${fieldLink('policies[].target.namespace')} and ${fieldLink('policies[].target.name')};`,
    `- every string inside a step's ${fieldLink('policies[].steps[].params')}, whatever the action.`,
    '',
    'Everything else is taken literally. A value that starts with `{{` must be quoted in YAML',
    "(`name: '{{ labels.deployment }}'`), since a bare `{` starts a YAML mapping. A literal `{{` is",
    'written `{{ "{{" }}`.',
    '',
    '```text',
    'template := ( text | "{{" expr "}}" )*',
    'expr     := ( path | string ) ( "|" filter arg* )*',
    'path     := root ( "." name | "[" string "]" )*     labels.app, labels["app.kubernetes.io/name"]',
    'string   := a JSON string literal                  "prod", "say \\"hi\\""',
    'arg      := string | number',
    '```',
    '',
    `### ${H.roots}`,
    '',
    `A path starts at one of ${plural(TEMPLATE_ROOTS.length, 'root')}; any other is an error when the file`,
    'loads. A label whose name is not a plain identifier is read with brackets. Rendered by',
    `remediator for an alert with the labels ${labelsText(SAMPLE_LABELS)}:`,
    '',
    ...table(['Root', 'What', 'Paths → example value'], rootRows(ctx)),
    '',
    `### ${H.filters}`,
    '',
    'Filters apply left to right: `{{ labels.pod | dnsLabel | trunc 20 }}`. Rendered by remediator',
    'for the same alert:',
    '',
    ...table(['Filter', 'Gives', 'Example', 'Result'], filterRows),
    '',
    `### ${H.missing}`,
    '',
    'remediator never guesses a value. When a path has no value (the label is absent, or a filter',
    'left nothing) and no `default` covers it, the policy does not act for that alert: its plan is',
    `skipped, with a reason naming the field and the value, and counted under the skip code`,
    `${code(skip.code)}. Other policies are not affected. For example, the smallest file above,`,
    "whose target is `'{{ labels.deployment }}'`, records this in the incident timeline for a",
    '`HighErrorRate` alert that has no `deployment` label:',
    '',
    '```text',
    ...timeline,
    '```',
    '',
    'To act anyway, give a fallback (`{{ labels.deployment | default "checkout" }}`), or match only',
    `alerts that carry the label (${code('deployment!=""')} in ${code('match')}).`,
  ];
}
