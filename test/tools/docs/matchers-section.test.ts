import { renderMatchers } from '../../../src/tools/docs/matchers-section';

const text = renderMatchers().join('\n');

describe('renderMatchers', () => {
  it.each([
    [
      'a regex that matches only part of the value does not hold (anchored)',
      '| `alertname=~"High"` | `alertname="HighLatency"` | no |',
    ],
    [
      'an absent label is empty, so != "" fails',
      '| `pod!=""` | `alertname="HighLatency"` (no `pod` label) | no |',
    ],
    [
      'an absent label is empty, so = "" holds',
      '| `team=""` | `alertname="HighLatency"` (no `team` label) | yes |',
    ],
    [
      'a pipe inside a regex is escaped in the table',
      '| `alertname!~"Watchdog\\|InfoInhibitor"` |',
    ],
    [
      '(?i) makes the whole regex case-insensitive',
      '| `namespace=~"(?i)prod-.*"` | `namespace="PROD-eu"` | yes |',
    ],
  ])('shows, as evaluated by the matcher code, that %s', (_what, row) => {
    expect(text).toContain(row);
  });
});
