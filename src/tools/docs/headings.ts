/**
 * The reference page's section headings, so that sections and the links between them agree, and
 * links to the sections headed by a field's path or an action's name.
 */
import { code, link } from './markdown';

/** The headings of `docs/policies.md` other than fields and actions, by what they introduce. */
export const H = {
  organisation: 'How the file is organised',
  loading: 'Loading, reloading and editor support',
  fields: 'Fields',
  overview: 'Overview',
  matchers: 'Matchers',
  numbers: 'Numbers and units',
  alertNumbers: 'Numbers read from alerts',
  durations: 'Durations in the policies file',
  templates: 'Templates',
  where: 'Where templates are allowed',
  roots: 'What a template reads',
  filters: 'Filters',
  missing: 'A missing value skips the plan',
  severity: 'Runbook severity defaults',
  actions: 'Actions',
  complete: 'A complete policy',
} as const;

/** A link to a field's section, whose heading is its path. */
export function fieldLink(path: string): string {
  return link(code(path), path);
}

/** A link to an action's section, whose heading is its name. */
export function actionLink(name: string): string {
  return link(code(name), name);
}
