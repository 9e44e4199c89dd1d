import { asArray, asObject, asString, scalarText, type Json } from './json';
import { labelValueErrors, qualifiedNameErrors } from './names';

/** A selector operator, named as k8s.io/apimachinery/pkg/selection names them. */
export type SelectorOperator = 'in' | 'notin' | 'exists' | '!' | '=' | '==' | '!=' | 'gt' | 'lt';

/** One requirement of a label selector. */
export interface Requirement {
  readonly key: string;
  readonly operator: SelectorOperator;
  readonly values: readonly string[];
}

/** A selector string the server would refuse (the list answers 400). */
export class SelectorParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SelectorParseError';
  }
}

type Token =
  | { kind: 'id'; text: string }
  | { kind: 'in' | 'notin' | '(' | ')' | ',' | '=' | '==' | '!=' | '!' | '>' | '<' | 'end' };

const SPECIAL = new Set(['=', '!', '(', ')', ',', '<', '>']);

function tokenize(input: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const ch = input.charAt(i);
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    const two = input.slice(i, i + 2);
    if (two === '==' || two === '!=') {
      tokens.push({ kind: two });
      i += 2;
      continue;
    }
    if (SPECIAL.has(ch)) {
      tokens.push({ kind: ch as '=' | '!' | '(' | ')' | ',' | '<' | '>' });
      i++;
      continue;
    }
    let j = i;
    while (j < input.length && !SPECIAL.has(input.charAt(j)) && !/\s/.test(input.charAt(j))) j++;
    const text = input.slice(i, j);
    if (text === 'in' || text === 'notin') tokens.push({ kind: text });
    else tokens.push({ kind: 'id', text });
    i = j;
  }
  tokens.push({ kind: 'end' });
  return tokens;
}

function describe(token: Token): string {
  return token.kind === 'id' ? token.text : token.kind === 'end' ? '' : token.kind;
}

/**
 * Parses a `labelSelector` query value (`k=v`, `k==v`, `k!=v`, `k in (a,b)`, `k notin (a)`, `k`,
 * `!k`, `k>1`, `k<1`, comma-separated). Throws {@link SelectorParseError} where the server
 * answers 400. The result is sorted by key, as the server sorts it.
 */
export function parseLabelSelector(input: string): Requirement[] {
  const tokens = tokenize(input);
  let pos = 0;
  const peek = (): Token => tokens[pos] ?? { kind: 'end' };
  const next = (): Token => tokens[pos++] ?? { kind: 'end' };
  const requirements: Requirement[] = [];
  if (peek().kind === 'end') return requirements;

  for (;;) {
    let token = next();
    let negated = false;
    if (token.kind === '!') {
      negated = true;
      token = next();
    }
    if (token.kind !== 'id') {
      throw new SelectorParseError(
        `unable to parse requirement: found '${describe(token)}', expected: identifier`,
      );
    }
    const key = token.text;
    let operator: SelectorOperator;
    let values: string[] = [];
    const after = peek();
    if (negated) {
      operator = '!';
    } else if (after.kind === 'end' || after.kind === ',') {
      operator = 'exists';
    } else {
      const op = next();
      switch (op.kind) {
        case 'in':
        case 'notin': {
          operator = op.kind;
          const open = next();
          if (open.kind !== '(') {
            throw new SelectorParseError(
              `unable to parse requirement: found '${describe(open)}', expected: '('`,
            );
          }
          for (;;) {
            const item = next();
            if (item.kind === ')') {
              if (values.length === 0) values.push('');
              break;
            }
            if (item.kind === ',') {
              continue;
            }
            if (item.kind !== 'id') {
              throw new SelectorParseError(
                `unable to parse requirement: found '${describe(item)}', expected: ',', ')' or identifier`,
              );
            }
            values.push(item.text);
          }
          break;
        }
        case '=':
        case '==':
        case '!=':
        case '>':
        case '<': {
          operator = op.kind === '>' ? 'gt' : op.kind === '<' ? 'lt' : op.kind;
          const value = peek();
          if (value.kind === 'id') {
            next();
            values = [value.text];
          } else if (value.kind === 'end' || value.kind === ',') {
            values = [''];
          } else {
            throw new SelectorParseError(
              `unable to parse requirement: found '${describe(value)}', expected: identifier`,
            );
          }
          break;
        }
        default:
          throw new SelectorParseError(
            `unable to parse requirement: found '${describe(op)}', expected: in, notin, =, ==, !=, gt, lt`,
          );
      }
    }
    requirements.push(checkRequirement(key, operator, values));
    const separator = next();
    if (separator.kind === 'end') break;
    if (separator.kind !== ',') {
      throw new SelectorParseError(
        `found '${describe(separator)}', expected: ',' or 'end of string'`,
      );
    }
  }
  return sortByKey(requirements);
}

function checkRequirement(key: string, operator: SelectorOperator, values: string[]): Requirement {
  const keyErrors = qualifiedNameErrors(key);
  if (keyErrors.length > 0) {
    throw new SelectorParseError(
      `unable to parse requirement: key: Invalid value: "${key}": ${keyErrors.join('; ')}`,
    );
  }
  if (operator === 'gt' || operator === 'lt') {
    if (values.length !== 1 || !/^-?\d+$/.test(values[0] ?? '')) {
      throw new SelectorParseError(
        "unable to parse requirement: values: Invalid value: for 'Gt', 'Lt' operators, the value must be an integer",
      );
    }
  } else {
    values.forEach((value, i) => {
      const errs = labelValueErrors(value);
      if (errs.length > 0) {
        throw new SelectorParseError(
          `unable to parse requirement: values[${i}][${key}]: Invalid value: "${value}": ${errs.join('; ')}`,
        );
      }
    });
  }
  return { key, operator, values: [...values].sort() };
}

function sortByKey(requirements: Requirement[]): Requirement[] {
  return [...requirements].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** Whether a label set satisfies every requirement (an empty selector matches everything). */
export function matchesLabels(
  requirements: readonly Requirement[],
  labels: Readonly<Record<string, unknown>> | undefined,
): boolean {
  const set = labels ?? {};
  return requirements.every((r) => {
    const present = Object.prototype.hasOwnProperty.call(set, r.key);
    const raw = set[r.key];
    const value = typeof raw === 'string' ? raw : undefined;
    switch (r.operator) {
      case 'in':
      case '=':
      case '==':
        return present && value !== undefined && r.values.includes(value);
      case 'notin':
      case '!=':
        return !present || value === undefined || !r.values.includes(value);
      case 'exists':
        return present;
      case '!':
        return !present;
      case 'gt':
      case 'lt': {
        if (!present || value === undefined || !/^-?\d+$/.test(value)) return false;
        const have = Number(value);
        const want = Number(r.values[0]);
        return r.operator === 'gt' ? have > want : have < want;
      }
    }
  });
}

/**
 * The requirements of a `metav1.LabelSelector` (matchLabels plus matchExpressions), as
 * LabelSelectorAsSelector builds them. An absent selector gives undefined (matches nothing).
 */
export function requirementsFromLabelSelector(
  selector: Json | undefined,
): Requirement[] | undefined {
  const sel = asObject(selector);
  if (sel === undefined) return undefined;
  const out: Requirement[] = [];
  const matchLabels = asObject(sel.matchLabels) ?? {};
  for (const [key, value] of Object.entries(matchLabels)) {
    out.push({ key, operator: '=', values: [scalarText(value)] });
  }
  for (const item of asArray(sel.matchExpressions) ?? []) {
    const expr = asObject(item) ?? {};
    const key = asString(expr.key) ?? '';
    const values = (asArray(expr.values) ?? []).map((v) => scalarText(v)).sort();
    const operator = asString(expr.operator);
    const op: SelectorOperator | undefined =
      operator === 'In'
        ? 'in'
        : operator === 'NotIn'
          ? 'notin'
          : operator === 'Exists'
            ? 'exists'
            : operator === 'DoesNotExist'
              ? '!'
              : undefined;
    if (op !== undefined) out.push({ key, operator: op, values });
  }
  return sortByKey(out);
}

/** The canonical selector string (`app=web,tier in (a,b)`), as Selector.String() writes it. */
export function formatRequirements(requirements: readonly Requirement[]): string {
  return requirements
    .map((r) => {
      switch (r.operator) {
        case 'exists':
          return r.key;
        case '!':
          return `!${r.key}`;
        case 'in':
        case 'notin':
          return `${r.key} ${r.operator} (${r.values.join(',')})`;
        case 'gt':
          return `${r.key}>${r.values[0] ?? ''}`;
        case 'lt':
          return `${r.key}<${r.values[0] ?? ''}`;
        default:
          return `${r.key}${r.operator}${r.values[0] ?? ''}`;
      }
    })
    .join(',');
}
