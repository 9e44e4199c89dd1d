import { alertmanagerLinks, httpUrl } from '../../src/api/links';

describe('links from alert payloads', () => {
  it('keeps absolute http(s) URLs, normalised', () => {
    expect(httpUrl('http://alertmanager:9093')).toBe('http://alertmanager:9093/');
    expect(httpUrl('https://prom.example/graph?g0.expr=up%7Bjob%3D%22x%22%7D')).toBe(
      'https://prom.example/graph?g0.expr=up%7Bjob%3D%22x%22%7D',
    );
  });

  it.each([
    'javascript:alert(1)',
    'JAVASCRIPT:alert(1)',
    'data:text/html,<script>alert(1)</script>',
    'file:///etc/passwd',
    '/api/v1/pause',
    '//evil.example/',
    'not a url',
    '',
    undefined,
  ])('makes no link of %p', (value) => {
    expect(httpUrl(value)).toBeNull();
  });

  it("links to Alertmanager's alert list and a new silence for the group, labels quoted and encoded", () => {
    const links = alertmanagerLinks('http://am.example:9093/prefix/', {
      namespace: 'prod',
      alertname: 'High"Latency',
    });
    const filter = encodeURIComponent('{alertname="High\\"Latency",namespace="prod"}');
    expect(links).toEqual({
      alerts: `http://am.example:9093/prefix/#/alerts?filter=${filter}`,
      silence: `http://am.example:9093/prefix/#/silences/new?filter=${filter}`,
    });
    expect(alertmanagerLinks('javascript:alert(1)//', { a: 'b' })).toBeNull();
    expect(alertmanagerLinks(undefined, { a: 'b' })).toBeNull();
  });
});
