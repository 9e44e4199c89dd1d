/**
 * The section "Actions": for each action of the catalogue, its description, target kinds, params
 * (walked from its params schema), the RBAC it needs and its example step.
 */
import type { ActionSpec } from '../../policies/action-spec';
import { ACTIONS } from '../../remediations/actions/index';
import { actionLink, H } from './headings';
import { code, link, table, yamlBlock } from './markdown';
import { paramsNode } from './policy-schema';
import { defaultText, typeWithConstraints } from './schema-text';
import { NO_HINTS, schemaFields } from './schema-walker';

function renderAction(action: ActionSpec): string[] {
  const params = schemaFields(paramsNode(action));
  const paramRows = params.map((f) => [
    code(f.path),
    typeWithConstraints(f.node),
    defaultText(f.path, f.node, NO_HINTS),
    f.required ? 'yes' : 'no',
    f.node.description ?? '',
  ]);
  const kinds =
    action.targetKinds.length === 0
      ? `none: it needs no ${code('target')}.`
      : `${action.targetKinds.map(code).join(', ')} (the policy's ${code('target.kind')}).`;
  return [
    `### ${code(action.name)}`,
    '',
    action.description,
    '',
    `**Target kinds:** ${kinds}`,
    '',
    '**Params:**',
    '',
    ...(paramRows.length === 0
      ? ['None.']
      : table(['Name', 'Type', 'Default', 'Required', 'Description'], paramRows)),
    '',
    '**RBAC** (in each namespace it acts in):',
    '',
    ...(action.rbac.length === 0
      ? ['None: it makes no Kubernetes API request.']
      : table(
          ['API group', 'Resources', 'Verbs'],
          action.rbac.map((r) => [
            r.apiGroups.map((g) => (g === '' ? '`""` (core)' : code(g))).join(', '),
            r.resources.map(code).join(', '),
            r.verbs.map(code).join(', '),
          ]),
        )),
    '',
    '**Example step:**',
    '',
    ...yamlBlock([action.example]),
    '',
  ];
}

/** "Actions": one subsection per action of the catalogue, in catalogue order. */
export function renderActions(): string[] {
  return [
    `## ${H.actions}`,
    '',
    `A step's ${code('action')} is one of ${ACTIONS.map((a) => actionLink(a.name)).join(', ')}. Its`,
    `${code('params')} are checked against the action's own keys (unknown keys are errors), and every`,
    `string in them is a ${link('template', H.where)}. The RBAC rules are what remediator's`,
    'Role needs for the action; `deploy/k8s` grants their union.',
    '',
    ...ACTIONS.flatMap((a) => renderAction(a)),
  ];
}
