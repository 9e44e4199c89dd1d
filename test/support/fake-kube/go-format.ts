import { asArray, asObject, asString, scalarText, type Json } from './json';

/**
 * Go's `%q` for a string, which is what the API server prints for string values in field errors
 * (`Invalid value: "x"`). JSON escaping matches it for everything but control characters.
 */
export function goQuote(value: string): string {
  return JSON.stringify(value)
    .replace(/\\u00([01][0-9a-f])/g, (_m, hex: string) => `\\x${hex}`)
    .replace(/\u007f/g, '\\x7f');
}

/** Go's `%#v` of a `map[string]string`, keys sorted as fmt sorts them. */
export function goStringMap(value: unknown): string {
  const map = asObject(value);
  if (map === undefined) return 'map[string]string(nil)';
  const entries = Object.keys(map)
    .sort()
    .map((key) => `${goQuote(key)}:${goQuote(scalarText(map[key]))}`);
  return `map[string]string{${entries.join(', ')}}`;
}

/** Go's `%#v` of a `[]string`. */
export function goStringSlice(values: readonly string[] | undefined): string {
  if (values === undefined) return '[]string(nil)';
  return `[]string{${values.map(goQuote).join(', ')}}`;
}

/** Go's `%#v` of a `metav1.LabelSelector` value (it has no value-receiver String method). */
export function goLabelSelector(value: Json | undefined): string {
  const selector = asObject(value) ?? {};
  const matchLabels = goStringMap(selector.matchLabels);
  const expressions = asArray(selector.matchExpressions);
  let expr = '[]v1.LabelSelectorRequirement(nil)';
  if (expressions !== undefined) {
    const items = expressions.map((item) => {
      const e = asObject(item) ?? {};
      const values = asArray(e.values)?.map((v) => scalarText(v));
      return `v1.LabelSelectorRequirement{Key:${goQuote(asString(e.key) ?? '')}, Operator:${goQuote(
        asString(e.operator) ?? '',
      )}, Values:${goStringSlice(values)}}`;
    });
    expr = `[]v1.LabelSelectorRequirement{${items.join(', ')}}`;
  }
  return `v1.LabelSelector{MatchLabels:${matchLabels}, MatchExpressions:${expr}}`;
}
