import { aggregateMessage, type FieldError } from './field-errors';
import type { JsonObject } from './json';

/** A resource name qualified by its API group, as errors name it (`deployments.apps`). */
export interface GroupResource {
  readonly group: string;
  readonly resource: string;
}

/** A kind qualified by its API group, as Invalid errors name it (`Deployment.apps`). */
export interface GroupKind {
  readonly group: string;
  readonly kind: string;
}

/** `resource.group`, or just `resource` for the core group. */
export function qualifiedResource(gr: GroupResource): string {
  return gr.group === '' ? gr.resource : `${gr.resource}.${gr.group}`;
}

/** `Kind.group`, or just `Kind` for the core group. */
export function qualifiedKind(gk: GroupKind): string {
  if (gk.kind === '' && gk.group === '') return '';
  return gk.group === '' ? gk.kind : `${gk.kind}.${gk.group}`;
}

interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: { reason?: string; message?: string; field?: string }[];
  retryAfterSeconds?: number;
}

/** Builds a metav1.Status with the key order the server writes and empty members omitted. */
export function statusBody(input: {
  status: 'Failure' | 'Success';
  message?: string;
  reason?: string;
  details?: StatusDetails;
  code?: number;
}): JsonObject {
  const body: JsonObject = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: input.status };
  if (input.message) body.message = input.message;
  if (input.reason) body.reason = input.reason;
  if (input.details !== undefined) {
    const d = input.details;
    const details: JsonObject = {};
    if (d.name) details.name = d.name;
    if (d.group) details.group = d.group;
    if (d.kind) details.kind = d.kind;
    if (d.uid) details.uid = d.uid;
    if (d.causes !== undefined && d.causes.length > 0) {
      details.causes = d.causes.map((c) => {
        const cause: JsonObject = {};
        if (c.reason) cause.reason = c.reason;
        if (c.message) cause.message = c.message;
        if (c.field) cause.field = c.field;
        return cause;
      });
    }
    if (d.retryAfterSeconds) details.retryAfterSeconds = d.retryAfterSeconds;
    body.details = details;
  }
  if (input.code) body.code = input.code;
  return body;
}

/** An error the fake answers with: an HTTP code, a body (Status JSON or text) and headers. */
export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly body: JsonObject | string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(
      typeof body === 'string'
        ? body
        : typeof body.message === 'string'
          ? body.message
          : String(code),
    );
    this.name = 'ApiError';
  }
}

function failure(
  code: number,
  reason: string,
  message: string,
  details?: StatusDetails,
  headers?: Record<string, string>,
): ApiError {
  return new ApiError(
    code,
    statusBody({ status: 'Failure', message, reason, details, code }),
    headers,
  );
}

/** 404 `deployments.apps "web" not found`. */
export function notFoundError(gr: GroupResource, name: string): ApiError {
  return failure(404, 'NotFound', `${qualifiedResource(gr)} "${name}" not found`, {
    name,
    group: gr.group,
    kind: gr.resource,
  });
}

/** 404 for a path the server has no handler for. */
export function pathNotFoundError(): ApiError {
  return failure(404, 'NotFound', 'the server could not find the requested resource', {});
}

/** 409 AlreadyExists for a create. */
export function alreadyExistsError(gr: GroupResource, name: string): ApiError {
  return failure(409, 'AlreadyExists', `${qualifiedResource(gr)} "${name}" already exists`, {
    name,
    group: gr.group,
    kind: gr.resource,
  });
}

/** The optimistic-lock message client-go and the server share. */
export const OPTIMISTIC_LOCK_MESSAGE =
  'the object has been modified; please apply your changes to the latest version and try again';

/** 409 Conflict: `Operation cannot be fulfilled on leases.coordination.k8s.io "x": <why>`. */
export function conflictError(gr: GroupResource, name: string, why = OPTIMISTIC_LOCK_MESSAGE) {
  return failure(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${qualifiedResource(gr)} "${name}": ${why}`,
    { name, group: gr.group, kind: gr.resource },
  );
}

/** 422 Invalid with one cause per field error; `details.kind` is the Kind (not the plural). */
export function invalidError(gk: GroupKind, name: string, errors: readonly FieldError[]): ApiError {
  const message = `${qualifiedKind(gk)} "${name}" is invalid: ${aggregateMessage(errors)}`;
  return failure(422, 'Invalid', message, {
    name,
    group: gk.group,
    kind: gk.kind,
    causes: errors.map((e) => ({ reason: e.reason, message: e.body, field: e.field })),
  });
}

/** 422 with the generic message and empty details: a JSON patch that could not be applied. */
export function genericInvalidError(): ApiError {
  return failure(
    422,
    'Invalid',
    'the server rejected our request due to an error in our request',
    {},
  );
}

/** 400 BadRequest (no details). */
export function badRequestError(message: string): ApiError {
  return failure(400, 'BadRequest', message);
}

/** 415 with the accepted media types listed. */
export function unsupportedMediaTypeError(accepted: readonly string[]): ApiError {
  return failure(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`,
  );
}

/** 405 for a verb the resource does not serve. */
export function methodNotSupportedError(gr: GroupResource, action: string): ApiError {
  return failure(
    405,
    'MethodNotAllowed',
    `${action} is not supported on resources of kind "${qualifiedResource(gr)}"`,
    { group: gr.group, kind: gr.resource },
  );
}

/** 500 InternalError: `Internal error occurred: <why>`. */
export function internalError(why: string): ApiError {
  return failure(500, 'InternalError', `Internal error occurred: ${why}`, {
    causes: [{ message: why }],
  });
}

/** 500 for an error the server did not turn into a Status (reason omitted, as the server does). */
export function unknownServerError(message: string): ApiError {
  return new ApiError(500, statusBody({ status: 'Failure', message, code: 500 }));
}

/** 403 as the authorizer writes it. */
export function forbiddenError(gr: GroupResource, name: string, why: string): ApiError {
  const subject = name === '' ? qualifiedResource(gr) : `${qualifiedResource(gr)} "${name}"`;
  const message = gr.resource === '' ? `forbidden: ${why}` : `${subject} is forbidden: ${why}`;
  return failure(403, 'Forbidden', message, {
    name,
    group: gr.group,
    kind: gr.resource,
  });
}

/** 401 as the authenticator writes it. */
export function unauthorizedError(): ApiError {
  return failure(401, 'Unauthorized', 'Unauthorized');
}

/** The success Status a DELETE answers with (no `code`). */
export function deleteSuccessBody(gr: GroupResource, name: string, uid: string): JsonObject {
  return statusBody({
    status: 'Success',
    details: { name, group: gr.group, kind: gr.resource, uid },
  });
}
