/**
 * RFC 6902 JSON patch the way kube-apiserver applies it: with gopkg.in/evanphx/json-patch.v4
 * (v4.12.0, handlers/patch.go), quirks included, since the server's answers follow them and no
 * npm package does (fast-json-patch differs on most points below). One idea, so one file.
 *
 * - `replace` of a missing object member succeeds and adds it (partialDoc.get never fails); only
 *   a missing parent, or an array index out of range, fails.
 * - `test` compares objects member by member in any order, arrays item by item, and scalars by
 *   their JSON text: the document's as Go's encoder writes it (`<`, `>`, `&`, U+2028 and U+2029
 *   escaped as `\u003c`...), the patch's as sent. So a string with `&` in it never passes a
 *   `test` sent by a JavaScript client. A missing or null member passes only `"value": null`.
 * - `remove` and `move` of a missing member fail; `copy` of one adds null.
 * - Negative array indices count from the end.
 * - `replace` of the whole document (path "") with a scalar does nothing, without error.
 * - A comparison that meets a null array item dereferences nil: the server panics (500).
 *
 * Every other failure is a {@link JsonPatchError}, which the server answers with its generic 422.
 */

/** A parsed JSON value whose scalars keep their JSON text; Go's nil `*lazyNode` is `null`. */
type Node =
  | { readonly kind: 'object'; readonly members: Map<string, Node | null> }
  | { readonly kind: 'array'; items: (Node | null)[] }
  | { readonly kind: 'scalar'; readonly text: string };

type Container = Extract<Node, { kind: 'object' | 'array' }>;

/** Any error of json-patch's Apply: the server answers all of them with the generic 422. */
export class JsonPatchError extends Error {
  override readonly name = 'JsonPatchError';
}

/** A Go nil-pointer dereference in json-patch: the server's panic recovery answers 500. */
export class JsonPatchPanic extends Error {
  override readonly name = 'JsonPatchPanic';
}

/** `JSONPatchMaxCopyBytes`, the apiserver's default `AccumulatedCopySizeLimit`. */
const MAX_COPY_BYTES = 3 * 1024 * 1024;

/**
 * Applies the patch `patchText` (a JSON array of operations, already known to be valid JSON) to
 * `doc`, and returns the result as plain JSON.
 */
export function applyJsonPatch(doc: unknown, patchText: string): unknown {
  const ops = parse(patchText);
  if (ops?.kind !== 'array') throw new JsonPatchError('a patch is an array of operations');
  let root: Node = fromValue(doc);
  let copied = 0;
  for (const op of ops.items) {
    const members = op?.kind === 'object' ? op.members : new Map<string, Node | null>();
    const kind = stringMember(members, 'op') ?? 'unknown';
    const value = members.has('value') ? { node: members.get('value') ?? null } : undefined;
    switch (kind) {
      case 'add':
        add(root, pathOf(members), value?.node ?? null);
        break;
      case 'remove':
        remove(root, pathOf(members));
        break;
      case 'replace':
        root = replace(root, pathOf(members), value);
        break;
      case 'move': {
        const from = locate(root, fromOf(members));
        const moved = get(from.container, from.key);
        removeAt(from.container, from.key);
        add(root, pathOf(members), moved);
        break;
      }
      case 'copy': {
        const from = locate(root, fromOf(members));
        const source = get(from.container, from.key);
        const target = locate(root, pathOf(members));
        // deepCopy: a missing member copies as nil (null) and counts 0 bytes.
        const text = source === null ? undefined : toText(source);
        copied += text === undefined ? 0 : Buffer.byteLength(text);
        if (copied > MAX_COPY_BYTES) {
          throw new JsonPatchError(`copy grows the document by more than ${MAX_COPY_BYTES} bytes`);
        }
        insert(target.container, target.key, text === undefined ? null : parse(text));
        break;
      }
      case 'test':
        test(root, pathOf(members), value);
        break;
      default:
        throw new JsonPatchError(`Unexpected kind: ${kind}`);
    }
  }
  return toValue(root);
}

// ---- operations ------------------------------------------------------------------------------

function add(root: Node, path: string, value: Node | null): void {
  const { container, key } = locate(root, path);
  insert(container, key, value);
}

function remove(root: Node, path: string): void {
  const { container, key } = locate(root, path);
  removeAt(container, key);
}

/** Returns the new root: path "" replaces the document itself. */
function replace(root: Node, path: string, value: { node: Node | null } | undefined): Node {
  if (path === '') {
    if (value === undefined) throw new JsonPatchPanic('op.value() is nil');
    const node = value.node;
    // Anything but an object or array is ignored: the library wraps a nil error there.
    return node?.kind === 'object' || node?.kind === 'array' ? node : root;
  }
  const { container, key } = locate(root, path);
  get(container, key); // an array index must exist; an object member need not
  if (container.kind === 'object') container.members.set(key, value?.node ?? null);
  else container.items[arrayIndex(container, key, container.items.length)] = value?.node ?? null;
  return root;
}

function test(root: Node, path: string, value: { node: Node | null } | undefined): void {
  let actual: Node | null;
  if (path === '') {
    if (value === undefined) throw new JsonPatchPanic('op.value() is nil');
    actual = root;
  } else {
    const { container, key } = locate(root, path);
    actual = get(container, key);
  }
  if (actual === null) {
    if (value === undefined) throw new JsonPatchPanic('op.value() is nil');
    if (value.node === null) return;
    throw new JsonPatchError(`testing value ${path} failed`);
  }
  if (value === undefined || value.node === null || !equal(actual, value.node)) {
    throw new JsonPatchError(`testing value ${path} failed`);
  }
}

/** lazyNode.equal, `a` from the document, `b` from the patch. */
function equal(a: Node, b: Node): boolean {
  if (a.kind === 'scalar') return b.kind === 'scalar' && a.text === b.text;
  if (a.kind === 'object') {
    if (b.kind !== 'object' || a.members.size !== b.members.size) return false;
    for (const [key, left] of a.members) {
      if (!b.members.has(key)) return false;
      const right = b.members.get(key) ?? null;
      if ((left === null) !== (right === null)) return false;
      if (left !== null && right !== null && !equal(left, right)) return false;
    }
    return true;
  }
  if (b.kind !== 'array' || a.items.length !== b.items.length) return false;
  return a.items.every((left, i) => {
    const right = b.items[i] ?? null;
    if (left === null || right === null) throw new JsonPatchPanic('nil array item compared');
    return equal(left, right);
  });
}

// ---- paths -----------------------------------------------------------------------------------

function stringMember(members: Map<string, Node | null>, name: string): string | undefined {
  const node = members.get(name);
  if (node?.kind !== 'scalar' || !node.text.startsWith('"')) return undefined;
  return JSON.parse(node.text) as string;
}

function pathOf(members: Map<string, Node | null>): string {
  const path = stringMember(members, 'path');
  if (path === undefined) throw new JsonPatchError('operation missing path field');
  return path;
}

function fromOf(members: Map<string, Node | null>): string {
  const from = stringMember(members, 'from');
  if (from === undefined) throw new JsonPatchError('operation missing from field');
  return from;
}

/** RFC 6901: `~1` is `/`, then `~0` is `~` (one pass, left to right, as strings.Replacer). */
function decodeKey(key: string): string {
  return key.replace(/~[01]/g, (m) => (m === '~1' ? '/' : '~'));
}

/** findObject: the container of the last token, and that token; every parent must exist. */
function locate(root: Node, path: string): { container: Container; key: string } {
  const tokens = path.split('/');
  if (tokens.length < 2) throw new JsonPatchError(`doc is missing path: ${path}`);
  let current: Node = root;
  for (const token of tokens.slice(1, -1)) {
    if (current.kind === 'scalar') throw new JsonPatchError(`doc is missing path: ${path}`);
    let next: Node | null;
    try {
      next = get(current, decodeKey(token));
    } catch {
      next = null;
    }
    if (next === null) throw new JsonPatchError(`doc is missing path: ${path}`);
    current = next;
  }
  if (current.kind === 'scalar') throw new JsonPatchError(`doc is missing path: ${path}`);
  return { container: current, key: decodeKey(tokens[tokens.length - 1] ?? '') };
}

/** strconv.Atoi: optional sign, decimal digits. */
function atoi(key: string): number {
  if (!/^[+-]?[0-9]+$/.test(key)) throw new JsonPatchError(`invalid index: ${key}`);
  return Number(key);
}

/** An index into an array of `length` items, negative ones counted from the end. */
function arrayIndex(container: Container, key: string, length: number): number {
  const index = atoi(key);
  if (index < -length || index >= length) {
    throw new JsonPatchError(`Unable to access invalid index: ${index}`);
  }
  return index < 0 ? index + length : index;
}

/** container.get: an object member (null when missing), or an array item that must exist. */
function get(container: Container, key: string): Node | null {
  if (container.kind === 'object') return container.members.get(key) ?? null;
  return container.items[arrayIndex(container, key, container.items.length)] ?? null;
}

/** container.add: set an object member, or insert into an array (`-` appends). */
function insert(container: Container, key: string, value: Node | null): void {
  if (container.kind === 'object') {
    container.members.set(key, value);
    return;
  }
  if (key === '-') {
    container.items.push(value);
    return;
  }
  const index = arrayIndex(container, key, container.items.length + 1);
  container.items.splice(index, 0, value);
}

/** container.remove: the member or item must exist. */
function removeAt(container: Container, key: string): void {
  if (container.kind === 'object') {
    if (!container.members.has(key)) {
      throw new JsonPatchError(`Unable to remove nonexistent key: ${key}`);
    }
    container.members.delete(key);
    return;
  }
  container.items.splice(arrayIndex(container, key, container.items.length), 1);
}

// ---- JSON text -------------------------------------------------------------------------------

/** A document value as the server has it: encoded by Go, so scalars carry Go's JSON text. */
function fromValue(value: unknown): Node {
  if (Array.isArray(value)) {
    return { kind: 'array', items: value.map((v) => (v === null ? null : fromValue(v))) };
  }
  if (typeof value === 'object' && value !== null) {
    const members = new Map<string, Node | null>();
    for (const [key, v] of Object.entries(value)) {
      if (v !== undefined) members.set(key, v === null ? null : fromValue(v));
    }
    return { kind: 'object', members };
  }
  if (typeof value === 'string') return { kind: 'scalar', text: goString(value) };
  return { kind: 'scalar', text: JSON.stringify(value) };
}

function toValue(node: Node | null): unknown {
  if (node === null) return null;
  if (node.kind === 'scalar') return JSON.parse(node.text) as unknown;
  if (node.kind === 'array') return node.items.map(toValue);
  const out: Record<string, unknown> = {};
  for (const [key, member] of node.members) out[key] = toValue(member);
  return out;
}

function toText(node: Node): string {
  if (node.kind === 'scalar') return node.text;
  if (node.kind === 'array') {
    return `[${node.items.map((n) => (n === null ? 'null' : toText(n))).join(',')}]`;
  }
  const members = [...node.members].map(
    ([k, n]) => `${JSON.stringify(k)}:${n === null ? 'null' : toText(n)}`,
  );
  return `{${members.join(',')}}`;
}

/** encoding/json's string encoding with HTML escaping on (the apiserver's encoder). */
export function goString(value: string): string {
  let out = '"';
  for (const ch of value) {
    const code = ch.codePointAt(0) ?? 0;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\b') out += '\\b';
    else if (ch === '\f') out += '\\f';
    else if (code < 0x20 || ch === '<' || ch === '>' || ch === '&') {
      out += `\\u${code.toString(16).padStart(4, '0')}`;
    } else if (code === 0x2028 || code === 0x2029) out += `\\u${code.toString(16)}`;
    // A lone surrogate cannot come out of Go's decoder: it becomes U+FFFD.
    else if (code >= 0xd800 && code <= 0xdfff) out += '\ufffd';
    else out += ch;
  }
  return `${out}"`;
}

/**
 * Parses valid JSON into nodes whose scalars keep their exact text; a duplicate member keeps the
 * last value, as Go's map decoding does.
 */
function parse(text: string): Node | null {
  let i = 0;
  const ws = (): void => {
    while (i < text.length && ' \t\r\n'.includes(text.charAt(i))) i++;
  };
  const scalarEnd = (): number => {
    if (text.charAt(i) === '"') {
      let j = i + 1;
      while (text.charAt(j) !== '"') j += text.charAt(j) === '\\' ? 2 : 1;
      return j + 1;
    }
    let j = i;
    while (j < text.length && !' \t\r\n,]}'.includes(text.charAt(j))) j++;
    return j;
  };
  const value = (): Node | null => {
    ws();
    const c = text.charAt(i);
    if (c === '{') {
      i++;
      const members = new Map<string, Node | null>();
      ws();
      if (text.charAt(i) === '}') {
        i++;
        return { kind: 'object', members };
      }
      for (;;) {
        ws();
        const end = scalarEnd();
        const key = JSON.parse(text.slice(i, end)) as string;
        i = end;
        ws();
        i++; // ':'
        members.delete(key);
        members.set(key, value());
        ws();
        if (text.charAt(i++) === '}') return { kind: 'object', members };
      }
    }
    if (c === '[') {
      i++;
      const items: (Node | null)[] = [];
      ws();
      if (text.charAt(i) === ']') {
        i++;
        return { kind: 'array', items };
      }
      for (;;) {
        items.push(value());
        ws();
        if (text.charAt(i++) === ']') return { kind: 'array', items };
      }
    }
    const end = scalarEnd();
    const literal = text.slice(i, end);
    i = end;
    return literal === 'null' ? null : { kind: 'scalar', text: literal };
  };
  return value();
}
