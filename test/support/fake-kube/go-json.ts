/**
 * Go's encoding/json syntax error text for a document, or undefined when it is valid JSON. The
 * server quotes these in 400 answers (`invalid character 'x' looking for beginning of value`).
 */
export function goJsonSyntaxError(text: string): string | undefined {
  let i = 0;
  const eof = 'unexpected end of JSON input';
  const quoteChar = (c: string): string => {
    if (c === "'") return "'\\''";
    if (c === '"') return "'\"'";
    return `'${JSON.stringify(c).slice(1, -1)}'`;
  };
  const bad = (context: string): string =>
    `invalid character ${quoteChar(text.charAt(i))} ${context}`;
  const ws = (): void => {
    while (i < text.length && ' \t\r\n'.includes(text.charAt(i))) i++;
  };

  const literal = (word: string): string | undefined => {
    for (let k = 0; k < word.length; k++, i++) {
      if (i >= text.length) return eof;
      if (text.charAt(i) !== word.charAt(k)) {
        return bad(`in literal ${word} (expecting ${quoteChar(word.charAt(k))})`);
      }
    }
    return undefined;
  };

  const string = (): string | undefined => {
    i++; // opening quote
    for (;;) {
      if (i >= text.length) return eof;
      const c = text.charAt(i);
      if (c === '"') {
        i++;
        return undefined;
      }
      if (c < ' ') return bad('in string literal');
      if (c === '\\') {
        i++;
        if (i >= text.length) return eof;
        const e = text.charAt(i);
        if (e === 'u') {
          for (let k = 1; k <= 4; k++) {
            i++;
            if (i >= text.length) return eof;
            if (!/[0-9a-fA-F]/.test(text.charAt(i)))
              return bad('in \\u hexadecimal character escape');
          }
        } else if (!'"\\/bfnrt'.includes(e)) {
          return bad('in string escape code');
        }
      }
      i++;
    }
  };

  const number = (): string | undefined => {
    if (text.charAt(i) === '-') {
      i++;
      if (i >= text.length) return eof;
      if (!/[0-9]/.test(text.charAt(i))) return bad('in numeric literal');
    }
    if (text.charAt(i) === '0') i++;
    else while (/[0-9]/.test(text.charAt(i))) i++;
    if (text.charAt(i) === '.') {
      i++;
      if (i >= text.length) return eof;
      if (!/[0-9]/.test(text.charAt(i))) return bad('after decimal point in numeric literal');
      while (/[0-9]/.test(text.charAt(i))) i++;
    }
    if (text.charAt(i) === 'e' || text.charAt(i) === 'E') {
      i++;
      if (text.charAt(i) === '+' || text.charAt(i) === '-') i++;
      if (i >= text.length) return eof;
      if (!/[0-9]/.test(text.charAt(i))) return bad('in exponent of numeric literal');
      while (/[0-9]/.test(text.charAt(i))) i++;
    }
    return undefined;
  };

  const value = (): string | undefined => {
    ws();
    if (i >= text.length) return eof;
    const c = text.charAt(i);
    if (c === '{') {
      i++;
      ws();
      if (i >= text.length) return eof;
      if (text.charAt(i) === '}') {
        i++;
        return undefined;
      }
      for (;;) {
        ws();
        if (i >= text.length) return eof;
        if (text.charAt(i) !== '"') return bad('looking for beginning of object key string');
        const keyError = string();
        if (keyError !== undefined) return keyError;
        ws();
        if (i >= text.length) return eof;
        if (text.charAt(i) !== ':') return bad('after object key');
        i++;
        const memberError = value();
        if (memberError !== undefined) return memberError;
        ws();
        if (i >= text.length) return eof;
        if (text.charAt(i) === '}') {
          i++;
          return undefined;
        }
        if (text.charAt(i) !== ',') return bad('after object key:value pair');
        i++;
      }
    }
    if (c === '[') {
      i++;
      ws();
      if (i >= text.length) return eof;
      if (text.charAt(i) === ']') {
        i++;
        return undefined;
      }
      for (;;) {
        const itemError = value();
        if (itemError !== undefined) return itemError;
        ws();
        if (i >= text.length) return eof;
        if (text.charAt(i) === ']') {
          i++;
          return undefined;
        }
        if (text.charAt(i) !== ',') return bad('after array element');
        i++;
      }
    }
    if (c === '"') return string();
    if (c === 't') return literal('true');
    if (c === 'f') return literal('false');
    if (c === 'n') return literal('null');
    if (c === '-' || /[0-9]/.test(c)) return number();
    return bad('looking for beginning of value');
  };

  const error = value();
  if (error !== undefined) return error;
  ws();
  if (i < text.length) return bad('after top-level value');
  return undefined;
}

/** Go's name for a JSON value's type in `cannot unmarshal <type> into ...`. */
export function goJsonTypeName(value: unknown): string {
  if (typeof value === 'string') return 'string';
  if (typeof value === 'number') return 'number';
  if (typeof value === 'boolean') return 'bool';
  if (Array.isArray(value)) return 'array';
  if (value === null) return 'null';
  return 'object';
}
