import { renderToString } from 'preact-render-to-string';
import { ExternalLink, Labels } from '../../src/console/components';
import { Report } from '../../src/console/pages/report';

/*
 * Everything in an alert is attacker-controlled: the console renders it as text only. These
 * render the components the way the browser gets them and check that no markup of the sender's
 * survives as markup.
 */

const HOSTILE = '<img src=x onerror="window.pwned=1"><script>alert(1)</script>&amp;';

describe('alert content in the console', () => {
  it('shows label names and values as text, markup escaped', () => {
    const html = renderToString(<Labels labels={{ [`a${HOSTILE}`]: HOSTILE }} />);
    expect(html).not.toContain('<img');
    expect(html).not.toContain('<script');
    expect(html).toContain('&lt;img src=x onerror=');
    expect(html).toContain('&lt;script>alert(1)&lt;/script>&amp;amp;');
  });

  it('links only to http(s) URLs, and opens them without the opener or a referrer', () => {
    expect(renderToString(<ExternalLink href="javascript:alert(1)">Prometheus</ExternalLink>)).toBe(
      '<span>Prometheus</span>',
    );
    expect(renderToString(<ExternalLink href="https://prom.example/g?x=<b>">P</ExternalLink>)).toBe(
      '<a href="https://prom.example/g?x=%3Cb%3E" target="_blank" rel="noopener noreferrer">P</a>',
    );
  });

  it('renders the post-incident report from its JSON as text, never as Markdown or HTML', () => {
    const html = renderToString(
      <Report
        id={7}
        report={{
          title: 'Incident 7',
          severity: 'Sev2',
          severityReasons: [HOSTILE],
          status: 'Resolved',
          impact: 'Service',
          impactSummary: `**bold** [link](javascript:alert(1)) ${HOSTILE}`,
          openedAt: '2026-11-27T13:00:00.000Z',
          resolvedAt: null,
          duration: '5m',
          rootCause: HOSTILE,
          prevention: null,
          actions: [],
        }}
      />,
    );
    expect(html).not.toContain('<img');
    expect(html).not.toContain('<script');
    expect(html).not.toContain('<strong>bold');
    expect(html).not.toContain('href="javascript');
    expect(html).toContain('**bold** [link](javascript:alert(1))');
  });
});
