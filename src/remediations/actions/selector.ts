import type { V1LabelSelector } from '@kubernetes/client-node';

/**
 * The `labelSelector` query string for a LabelSelector, built exactly as kubectl builds it
 * (`metav1.LabelSelectorAsSelector(...).String()`): every requirement, from `matchLabels` (`k=v`)
 * and `matchExpressions` (`k in (a,b)`, `k notin (a,b)`, `k`, `!k`) alike, sorted by key and
 * joined with `,`; the values of `in` and `notin` sorted. An empty selector selects everything
 * (the empty string).
 */
export function selectorString(selector: V1LabelSelector | undefined): string {
  const requirements: { key: string; text: string }[] = [];
  for (const [key, value] of Object.entries(selector?.matchLabels ?? {})) {
    requirements.push({ key, text: `${key}=${value}` });
  }
  for (const expr of selector?.matchExpressions ?? []) {
    const values = [...(expr.values ?? [])].sort(compareStrings).join(',');
    switch (expr.operator) {
      case 'In':
        requirements.push({ key: expr.key, text: `${expr.key} in (${values})` });
        break;
      case 'NotIn':
        requirements.push({ key: expr.key, text: `${expr.key} notin (${values})` });
        break;
      case 'Exists':
        requirements.push({ key: expr.key, text: expr.key });
        break;
      case 'DoesNotExist':
        requirements.push({ key: expr.key, text: `!${expr.key}` });
        break;
      default:
        throw new Error(
          `label selector operator ${JSON.stringify(expr.operator)} on key ${JSON.stringify(expr.key)} is not one of In, NotIn, Exists, DoesNotExist`,
        );
    }
  }
  // Stable: for one key, matchLabels come before matchExpressions, as kubectl appends them.
  return requirements
    .sort((a, b) => compareStrings(a.key, b.key))
    .map((r) => r.text)
    .join(',');
}

/** Go's byte-wise string order (not the locale's). */
function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
