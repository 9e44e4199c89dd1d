import { goQuote } from './go-format';

/** The `reason` of a Status cause, i.e. apimachinery's field.ErrorType as a CauseType. */
export type CauseReason =
  | 'FieldValueRequired'
  | 'FieldValueInvalid'
  | 'FieldValueNotSupported'
  | 'FieldValueForbidden'
  | 'FieldValueDuplicate'
  | 'FieldValueTooLong'
  | 'FieldValueNotFound';

/** One field error, already rendered the way apimachinery's `Error.ErrorBody()` renders it. */
export interface FieldError {
  readonly reason: CauseReason;
  readonly field: string;
  /** `Required value`, `Invalid value: -1: must be ...`: the cause message. */
  readonly body: string;
}

function withDetail(head: string, detail: string): string {
  return detail === '' ? head : `${head}: ${detail}`;
}

/** field.Required: `Required value[: detail]`. */
export function required(field: string, detail = ''): FieldError {
  return { reason: 'FieldValueRequired', field, body: withDetail('Required value', detail) };
}

/**
 * field.Invalid. `goValue` is the bad value already printed the Go way: use {@link goQuote} for
 * strings, `String(n)` for numbers, `goStringMap` for label maps.
 */
export function invalid(field: string, goValue: string, detail: string): FieldError {
  return {
    reason: 'FieldValueInvalid',
    field,
    body: withDetail(`Invalid value: ${goValue}`, detail),
  };
}

/** field.Invalid for a string value. */
export function invalidString(field: string, value: string, detail: string): FieldError {
  return invalid(field, goQuote(value), detail);
}

/** field.NotSupported: `Unsupported value: "x": supported values: "a", "b"`. */
export function notSupported(field: string, goValue: string, supported: readonly string[]) {
  const detail =
    supported.length === 0 ? '' : `supported values: ${supported.map(goQuote).join(', ')}`;
  return {
    reason: 'FieldValueNotSupported',
    field,
    body: withDetail(`Unsupported value: ${goValue}`, detail),
  } satisfies FieldError;
}

/** field.Forbidden: `Forbidden: detail`. */
export function forbidden(field: string, detail: string): FieldError {
  return { reason: 'FieldValueForbidden', field, body: withDetail('Forbidden', detail) };
}

/** field.Duplicate: `Duplicate value: "x"`. */
export function duplicate(field: string, goValue: string): FieldError {
  return { reason: 'FieldValueDuplicate', field, body: `Duplicate value: ${goValue}` };
}

/** field.NotFound: `Not found: "x"`. */
export function notFound(field: string, goValue: string): FieldError {
  return { reason: 'FieldValueNotFound', field, body: `Not found: ${goValue}` };
}

/** field.TooLong: `Too long: detail`. */
export function tooLong(field: string, detail: string): FieldError {
  return { reason: 'FieldValueTooLong', field, body: withDetail('Too long', detail) };
}

/** `field: body`, i.e. `Error.Error()`. */
export function fieldErrorMessage(error: FieldError): string {
  return `${error.field}: ${error.body}`;
}

/**
 * The aggregate message the server appends after `is invalid: `: duplicates removed, a single
 * error as is, several as `[a, b]`.
 */
export function aggregateMessage(errors: readonly FieldError[]): string {
  const seen: string[] = [];
  for (const error of errors) {
    const message = fieldErrorMessage(error);
    if (!seen.includes(message)) seen.push(message);
  }
  if (seen.length === 1) return seen[0] ?? '';
  return `[${seen.join(', ')}]`;
}
