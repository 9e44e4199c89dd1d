import type { VNode } from 'preact';
import { ApprovalsPage } from './pages/approvals';
import { ControlsPage } from './pages/controls';
import { IncidentPage } from './pages/incident';
import { IncidentsPage } from './pages/incidents';
import { StatusPage } from './pages/status';

/** One page of the console: its path, what it shows, and its entry in the navigation, if any. */
export interface Page {
  readonly path: RegExp;
  readonly render: (match: RegExpExecArray) => VNode;
  readonly nav?: { readonly title: string; readonly href: string };
  /** Shown without the console's header: the public status page. */
  readonly bare?: boolean;
}

/**
 * Every page, in navigation order. A new view is one entry here, plus its path in the server's
 * `CONSOLE_PAGES` (src/api/console.ts) so that a reload of it gets the console.
 */
export const PAGES: readonly Page[] = [
  { path: /^\/$/, render: () => <IncidentsPage />, nav: { title: 'Incidents', href: '/' } },
  {
    path: /^\/incidents\/([1-9]\d{0,15})$/,
    render: (m) => <IncidentPage id={Number(m[1])} />,
  },
  {
    path: /^\/approvals$/,
    render: () => <ApprovalsPage />,
    nav: { title: 'Approvals', href: '/approvals' },
  },
  {
    path: /^\/controls$/,
    render: () => <ControlsPage />,
    nav: { title: 'Controls', href: '/controls' },
  },
  {
    path: /^\/status$/,
    render: () => <StatusPage />,
    nav: { title: 'Status page', href: '/status' },
    bare: true,
  },
];

export function findPage(path: string): { page: Page; match: RegExpExecArray } | undefined {
  for (const page of PAGES) {
    const match = page.path.exec(path);
    if (match !== null) return { page, match };
  }
  return undefined;
}
