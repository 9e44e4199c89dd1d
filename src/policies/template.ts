/**
 * The small template language that policy targets and params are written in:
 * `'quarantine-{{ labels.pod | dnsLabel }}'`, `'{{ labels.namespace | default "prod" }}'`.
 *
 * ```text
 * template := ( text | "{{" expr "}}" )*       text is anything; every "{{" opens an expression
 * expr     := operand ( "|" filter )*          whitespace allowed between tokens
 * operand  := path | string
 * path     := ident ( "." ident | "[" string "]" )*      labels.app, labels["app.kubernetes.io/name"]
 * filter   := ident arg*                       one of TEMPLATE_FILTERS (template-filters.ts)
 * arg      := string | number                  number := -?[0-9]+(\.[0-9]+)?
 * string   := a JSON string literal            "prod", "say \"hi\"", "{{"
 * ident    := [A-Za-z_][A-Za-z0-9_]*
 * ```
 *
 * A literal `{{` is written `{{ "{{" }}`.
 *
 * Safety: no code is evaluated and nothing in the context is ever called. Rendering reads own data
 * properties only (never a prototype, never a getter), and the path segments `__proto__`,
 * `constructor` and `prototype` are refused at compile time.
 *
 * Pure: imports only its filters.
 */
import {
  filterArgProblem,
  TEMPLATE_FILTERS,
  type FilterArg,
  type FilterStep,
  type TemplateFilter,
} from './template-filters';

/** A value a template can print. */
export type TemplateScalar = string | number | boolean;

/** What a template reads from: nested maps of scalars (`labels`, `annotations`, `incident`...). */
export interface TemplateContext {
  readonly [key: string]: TemplateScalar | TemplateContext | undefined;
}

/**
 * A rendered template, or every reference that had no usable value: `missing` lists their paths
 * (`labels.deployment`), `reason` says why in words (`label "deployment" is missing`).
 */
export type RenderResult =
  { ok: true; value: string } | { ok: false; missing: string[]; reason: string };

/** A compiled template: compile once when policies load, render once per alert. */
export interface Template {
  /** The template text as written. */
  readonly source: string;
  /**
   * The paths the template reads, each once, in order of appearance, written as in the template
   * language (`labels.deployment`, `labels["app.kubernetes.io/name"]`); includes paths that a
   * `default` covers.
   */
  readonly references: readonly string[];
  /** True when the template reads nothing, so every render gives the same text. */
  readonly isStatic: boolean;
  /** Renders against a context. Never throws. */
  render(ctx: TemplateContext): RenderResult;
}

/** How one `{{ }}`'s value goes into the text: escaped, or refused with the reason. */
export type HoleEscape = (value: string) => { text: string } | { refused: string };

/** Options for {@link compileTemplate}. */
export interface CompileTemplateOptions {
  /** When given, a path whose first segment is not one of these is a compile error. */
  readonly allowedRoots?: readonly string[];
  /**
   * For templates whose text is code (a PromQL query): given the template's own text before a
   * `{{ }}`, how that hole's value is escaped for where it stands. An escaped value stays where
   * it stands, so it never changes where the next hole does.
   */
  readonly escapeFor?: (before: string) => HoleEscape;
}

/** A template that cannot compile; `column` is the 0-based UTF-16 offset of the problem. */
export class TemplateSyntaxError extends Error {
  override readonly name = 'TemplateSyntaxError';
  /** 0-based offset into {@link TemplateSyntaxError.template}. */
  readonly column: number;
  /** The template text that failed. */
  readonly template: string;
  /** The problem alone, without the template, for callers that add their own location. */
  readonly reason: string;

  constructor(template: string, column: number, reason: string) {
    super(`template ${JSON.stringify(template)}: ${reason} at column ${column}`);
    this.template = template;
    this.column = column;
    this.reason = reason;
  }
}

const FILTERS: ReadonlyMap<string, TemplateFilter> = new Map(
  TEMPLATE_FILTERS.map((f) => [f.name, f]),
);
const FILTER_LIST = [...FILTERS.keys()].join(', ');
const FORBIDDEN_SEGMENTS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);
const IDENT_FULL = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A path as the template language writes it: `labels.app`, `labels["app.kubernetes.io/name"]`. */
export function formatTemplatePath(segments: readonly string[]): string {
  return segments
    .map((s, i) => {
      if (IDENT_FULL.test(s)) return i === 0 ? s : `.${s}`;
      return `[${JSON.stringify(s)}]`;
    })
    .join('');
}

/** One `{{ }}` that reads the context. */
interface Hole {
  readonly segments: readonly string[];
  readonly path: string;
  readonly steps: readonly FilterStep[];
  readonly escape?: HoleEscape;
}

type Part = string | Hole;

/** Own data properties only: never a prototype, never a getter. */
function own(node: unknown, key: string): unknown {
  if (typeof node !== 'object' || node === null) return undefined;
  return Object.getOwnPropertyDescriptor(node, key)?.value;
}

function resolve(ctx: TemplateContext, segments: readonly string[]): unknown {
  let node: unknown = ctx;
  for (const segment of segments) node = own(node, segment);
  return node;
}

function scalarText(value: unknown): string | undefined {
  switch (typeof value) {
    case 'string':
      return value;
    case 'number':
      return String(value);
    case 'boolean':
      return value ? 'true' : 'false';
    default:
      return undefined;
  }
}

function shorten(value: string): string {
  return JSON.stringify(value.length > 64 ? `${value.slice(0, 61)}...` : value);
}

/** Names what a hole reads, for reasons: `label "deployment"`, `annotation "summary"`, `incident.id`. */
function subject(hole: Hole): string {
  const [root, key] = hole.segments;
  if (hole.segments.length === 2 && key !== undefined) {
    if (root === 'labels') return `label ${JSON.stringify(key)}`;
    if (root === 'annotations') return `annotation ${JSON.stringify(key)}`;
  }
  return hole.path;
}

/**
 * Runs a hole's filters over its value. Returns the text, or the reason the hole has none.
 * `value` undefined means the path had no scalar value.
 */
function runSteps(
  steps: readonly FilterStep[],
  initial: string | undefined,
): { text: string } | { emptiedBy: FilterStep; input: string } | undefined {
  let value = initial;
  let emptied: { emptiedBy: FilterStep; input: string } | undefined;
  for (const step of steps) {
    if (step.fallback !== undefined) {
      if (value === undefined || value === '') {
        value = step.fallback;
        emptied = undefined;
      }
    } else if (value !== undefined && step.apply !== undefined) {
      const input = value;
      value = step.apply(input);
      if (value === undefined) emptied = { emptiedBy: step, input };
    }
  }
  if (value !== undefined) return { text: value };
  return emptied;
}

function missingReason(
  hole: Hole,
  ctx: TemplateContext,
  emptied: FilterStep | undefined,
  input: string,
): string {
  if (emptied !== undefined) {
    return `${subject(hole)} (${shorten(input)}) ${emptied.emptied ?? 'is empty'}`;
  }
  const node = resolve(ctx, hole.segments);
  return node === undefined || node === null
    ? `${subject(hole)} is missing`
    : `${subject(hole)} is not a string, number or boolean`;
}

function render(parts: readonly Part[], ctx: TemplateContext): RenderResult {
  let out = '';
  let missing: string[] | undefined;
  let reasons: string[] | undefined;
  for (const part of parts) {
    if (typeof part === 'string') {
      out += part;
      continue;
    }
    const result = runSteps(part.steps, scalarText(resolve(ctx, part.segments)));
    let reason: string;
    if (result !== undefined && 'text' in result) {
      const escaped = part.escape?.(result.text) ?? result;
      if ('text' in escaped) {
        out += escaped.text;
        continue;
      }
      reason = `${subject(part)} (${shorten(result.text)}) ${escaped.refused}`;
    } else {
      reason = missingReason(part, ctx, result?.emptiedBy, result?.input ?? '');
    }
    missing ??= [];
    reasons ??= [];
    if (!missing.includes(part.path)) missing.push(part.path);
    if (!reasons.includes(reason)) reasons.push(reason);
  }
  if (missing === undefined || reasons === undefined) return { ok: true, value: out };
  return { ok: false, missing, reason: reasons.join('; ') };
}

const WHITESPACE = /\s*/y;
const IDENT = /[A-Za-z_][A-Za-z0-9_]*/y;
const NUMBER = /-?[0-9]+(?:\.[0-9]+)?/y;

/** A recursive-descent parser over the template text; `pos` is the next unread offset. */
class Parser {
  private pos = 0;
  readonly parts: Part[] = [];
  readonly references: string[] = [];

  constructor(
    private readonly source: string,
    private readonly allowedRoots: readonly string[] | undefined,
    private readonly escapeFor: ((before: string) => HoleEscape) | undefined,
  ) {}

  parse(): void {
    const src = this.source;
    while (this.pos < src.length) {
      const open = src.indexOf('{{', this.pos);
      if (open === -1) {
        this.text(src.slice(this.pos));
        break;
      }
      this.text(src.slice(this.pos, open));
      this.pos = open + 2;
      this.hole(open);
    }
  }

  private fail(column: number, reason: string): never {
    throw new TemplateSyntaxError(this.source, column, reason);
  }

  private text(text: string): void {
    if (text === '') return;
    const last = this.parts.length - 1;
    const previous = this.parts[last];
    if (typeof previous === 'string') this.parts[last] = previous + text;
    else this.parts.push(text);
  }

  private skipWhitespace(): void {
    WHITESPACE.lastIndex = this.pos;
    WHITESPACE.exec(this.source);
    this.pos = WHITESPACE.lastIndex;
  }

  private match(re: RegExp): string | undefined {
    re.lastIndex = this.pos;
    const m = re.exec(this.source);
    if (m === null) return undefined;
    this.pos = re.lastIndex;
    return m[0];
  }

  private atEnd(): boolean {
    return this.pos >= this.source.length;
  }

  private startsWith(token: string): boolean {
    return this.source.startsWith(token, this.pos);
  }

  private string(): string {
    const start = this.pos;
    const src = this.source;
    let i = start + 1;
    while (i < src.length && src[i] !== '"') i += src[i] === '\\' ? 2 : 1;
    if (i >= src.length) this.fail(start, 'unterminated string');
    this.pos = i + 1;
    try {
      const value: unknown = JSON.parse(src.slice(start, this.pos));
      if (typeof value === 'string') return value;
    } catch {
      // Reported below with the column, which JSON.parse's message does not give.
    }
    return this.fail(start, 'invalid string (strings use JSON escapes: \\" \\\\ \\n \\t \\uXXXX)');
  }

  private hole(open: number): void {
    this.skipWhitespace();
    if (this.atEnd()) this.fail(open, 'unclosed {{');
    if (this.startsWith('}}')) {
      this.fail(open, 'empty {{ }}: expected a path such as labels.name or a "string"');
    }
    const operandAt = this.pos;
    let segments: string[] | undefined;
    let literal: string | undefined;
    if (this.startsWith('"')) literal = this.string();
    else segments = this.path();

    const steps: FilterStep[] = [];
    for (;;) {
      this.skipWhitespace();
      if (this.atEnd()) this.fail(open, 'unclosed {{');
      if (this.startsWith('}}')) {
        this.pos += 2;
        break;
      }
      if (!this.startsWith('|')) this.fail(this.pos, 'expected | or }}');
      this.pos += 1;
      steps.push(this.filter());
    }

    if (segments === undefined) {
      // Only literals and filters: fold now, so that rendering copies text.
      const result = runSteps(steps, literal);
      if (result === undefined || !('text' in result)) {
        this.fail(operandAt, `filters leave nothing of ${shorten(literal ?? '')}`);
      }
      this.text(result.text);
      return;
    }
    const path = formatTemplatePath(segments);
    if (!this.references.includes(path)) this.references.push(path);
    const before = this.parts.filter((p) => typeof p === 'string').join('');
    const escape = this.escapeFor?.(before);
    this.parts.push({ segments, path, steps, ...(escape === undefined ? {} : { escape }) });
  }

  private segment(segments: string[], at: number, name: string): void {
    if (FORBIDDEN_SEGMENTS.has(name))
      this.fail(at, `${JSON.stringify(name)} cannot be used in a path`);
    segments.push(name);
  }

  private path(): string[] {
    const rootAt = this.pos;
    const root = this.match(IDENT);
    if (root === undefined) {
      this.fail(this.pos, 'expected a path such as labels.name or a "string"');
    }
    const segments: string[] = [];
    this.segment(segments, rootAt, root);
    if (this.allowedRoots !== undefined && !this.allowedRoots.includes(root)) {
      this.fail(
        rootAt,
        `unknown root ${JSON.stringify(root)} (expected one of ${this.allowedRoots.join(', ')})`,
      );
    }
    for (;;) {
      const at = this.pos;
      if (this.startsWith('.')) {
        this.pos += 1;
        const name = this.match(IDENT);
        if (name === undefined) this.fail(this.pos, 'expected a name after "."');
        this.segment(segments, at + 1, name);
      } else if (this.startsWith('[')) {
        this.pos += 1;
        if (!this.startsWith('"')) this.fail(this.pos, 'expected a "string" after "["');
        const name = this.string();
        if (!this.startsWith(']')) this.fail(this.pos, 'expected "]"');
        this.pos += 1;
        this.segment(segments, at + 1, name);
      } else {
        return segments;
      }
    }
  }

  private filter(): FilterStep {
    this.skipWhitespace();
    const nameAt = this.pos;
    const name = this.match(IDENT);
    if (name === undefined) this.fail(nameAt, `expected a filter name after | (${FILTER_LIST})`);
    const def = FILTERS.get(name);
    if (def === undefined) {
      this.fail(nameAt, `unknown filter ${JSON.stringify(name)} (filters: ${FILTER_LIST})`);
    }

    const args: FilterArg[] = [];
    const argsAt: number[] = [];
    for (;;) {
      const before = this.pos;
      this.skipWhitespace();
      const at = this.pos;
      if (this.startsWith('"')) {
        args.push(this.string());
      } else {
        const number = this.match(NUMBER);
        if (number === undefined) {
          this.pos = before;
          break;
        }
        args.push(Number(number));
      }
      argsAt.push(at);
    }

    if (args.length !== def.params.length) {
      const count = def.params.length === 1 ? '1 argument' : `${def.params.length} arguments`;
      this.fail(nameAt, `filter "${name}" takes ${count} (${def.usage}), got ${args.length}`);
    }
    def.params.forEach((kind, i) => {
      const arg = args[i];
      const problem = filterArgProblem(kind, arg);
      if (problem !== undefined) {
        this.fail(argsAt[i] ?? nameAt, `filter "${name}" ${problem} (${def.usage})`);
      }
    });
    const built = def.build(args);
    if ('problem' in built) this.fail(argsAt[built.arg] ?? nameAt, built.problem);
    return built;
  }
}

/**
 * Compiles a template once, for rendering many times. Throws {@link TemplateSyntaxError} (and
 * nothing else) for a syntax error, an unknown filter, a filter with the wrong arguments, a path
 * segment `__proto__`, `constructor` or `prototype`, or, when `allowedRoots` is given, a path
 * whose root is not one of them.
 *
 * Rendering a path that is absent, `null` or not a scalar (string, number, boolean) does not
 * print anything: the result is `{ ok: false, missing, reason }` listing every such path, unless
 * a `default` later in the same expression covers it. `default` also covers an empty string, and
 * a value that a filter leaves nothing of (`dnsLabel` of `"___"`) counts as missing. Numbers print
 * with `String(n)`, booleans as `true`/`false`. What each filter gives: {@link TEMPLATE_FILTERS}.
 */
export function compileTemplate(source: string, options?: CompileTemplateOptions): Template {
  const parser = new Parser(source, options?.allowedRoots, options?.escapeFor);
  parser.parse();
  const parts: readonly Part[] = parser.parts;
  const references: readonly string[] = Object.freeze([...parser.references]);

  if (references.length === 0) {
    const value = parts.map((p) => (typeof p === 'string' ? p : '')).join('');
    return Object.freeze({
      source,
      references,
      isStatic: true,
      render: (): RenderResult => ({ ok: true, value }),
    });
  }
  return Object.freeze({
    source,
    references,
    isStatic: false,
    render: (ctx: TemplateContext): RenderResult => render(parts, ctx),
  });
}
