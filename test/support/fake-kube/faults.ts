import { randomUUID } from 'node:crypto';

import type { JsonObject } from './json';
import type { RequestAttributes } from './kube-api';
import {
  forbiddenError,
  genericInvalidError,
  internalError,
  statusBody,
  unauthorizedError,
  type ApiError,
} from './statuses';

/**
 * A failure to inject. Rules are checked in the order they were added; the first that matches a
 * request applies. Matching: `method` (any case), `pathPrefix` (on the path), `pathRegex` (on the
 * path plus query string); a rule expires after `times` matches or at `until` (epoch ms).
 */
export interface FaultRule {
  method?: string;
  pathPrefix?: string;
  pathRegex?: RegExp;
  /** How many requests it applies to; unlimited when omitted. */
  times?: number;
  /** Epoch milliseconds (by the fake's clock) after which it no longer applies. */
  until?: number;
  /** The answer; without it (and without dropConnection) the request is only delayed. */
  /**
   * 404 is the answer for an API group the cluster does not serve (a CRD not installed):
   * the mux's plain-text `404 page not found`, not a Status.
   */
  status?: 500 | 503 | 504 | 429 | 422 | 404 | 403 | 401;
  /** For 429: `text` (API priority and fairness, the default) or `status` (a Status object). */
  shape?: 'text' | 'status';
  /** Retry-After for 429 (default 1). */
  retryAfterSeconds?: number;
  /** Wait this long before answering (or before failing). */
  delayMs?: number;
  /** Destroy the socket instead of answering. */
  dropConnection?: boolean;
  /**
   * Carry the request out (a create or an update is committed), then destroy the socket instead
   * of answering: the client cannot tell whether its write happened (a timeout or a reset after
   * the fact), and a retry meets its own first attempt.
   */
  dropAfterCommit?: boolean;
  /** Overrides the default message of a 500/503 answer. */
  message?: string;
}

interface Entry {
  readonly rule: FaultRule;
  remaining: number;
}

/** The ordered fault rules of one fake. */
export class FaultList {
  private entries: Entry[] = [];

  /** Adds a rule; the returned function removes it. */
  add(rule: FaultRule): () => void {
    const entry: Entry = { rule: { ...rule }, remaining: rule.times ?? Number.POSITIVE_INFINITY };
    this.entries.push(entry);
    return () => {
      this.entries = this.entries.filter((e) => e !== entry);
    };
  }

  clear(): void {
    this.entries = [];
  }

  /** The first live rule matching the request, counting the match against its `times`. */
  take(method: string, path: string, pathAndQuery: string, nowMs: number): FaultRule | undefined {
    this.entries = this.entries.filter(
      (e) => e.remaining > 0 && (e.rule.until === undefined || nowMs <= e.rule.until),
    );
    for (const entry of this.entries) {
      const { rule } = entry;
      if (rule.method !== undefined && rule.method.toUpperCase() !== method.toUpperCase()) continue;
      if (rule.pathPrefix !== undefined && !path.startsWith(rule.pathPrefix)) continue;
      if (rule.pathRegex !== undefined) {
        rule.pathRegex.lastIndex = 0;
        if (!rule.pathRegex.test(pathAndQuery)) continue;
      }
      entry.remaining -= 1;
      return rule;
    }
    return undefined;
  }
}

/** An injected answer: status, body (Status JSON or text) and headers. */
export interface FaultAnswer {
  readonly status: number;
  readonly body: JsonObject | string;
  readonly headers: Readonly<Record<string, string>>;
}

function fromError(error: ApiError): FaultAnswer {
  return { status: error.code, body: error.body, headers: error.headers };
}

/** The body a real API server (or the proxy in front of it) sends for each injected status. */
export function faultAnswer(
  rule: FaultRule & { status: NonNullable<FaultRule['status']> },
  attributes: RequestAttributes,
  user: string,
): FaultAnswer {
  switch (rule.status) {
    case 500:
      return fromError(internalError(rule.message ?? 'etcdserver: request timed out'));
    case 503:
      return {
        status: 503,
        body: statusBody({
          status: 'Failure',
          message: rule.message ?? 'the server is currently unable to handle the request',
          reason: 'ServiceUnavailable',
          code: 503,
        }),
        headers: {},
      };
    case 504:
      return {
        status: 504,
        body: statusBody({
          status: 'Failure',
          message:
            'Timeout: request did not complete within requested timeout - context deadline exceeded',
          reason: 'Timeout',
          details: {},
          code: 504,
        }),
        headers: {},
      };
    case 429: {
      const retryAfter = rule.retryAfterSeconds ?? 1;
      if (rule.shape === 'status') {
        return {
          status: 429,
          body: statusBody({
            status: 'Failure',
            message: rule.message ?? 'Too many requests, please try again later.',
            reason: 'TooManyRequests',
            details: { retryAfterSeconds: retryAfter },
            code: 429,
          }),
          headers: { 'Retry-After': String(retryAfter) },
        };
      }
      return {
        status: 429,
        body: 'Too many requests, please try again later.\n',
        headers: {
          'Content-Type': 'text/plain; charset=utf-8',
          'Retry-After': String(retryAfter),
          'X-Kubernetes-PF-FlowSchema-UID': randomUUID(),
          'X-Kubernetes-PF-PriorityLevel-UID': randomUUID(),
        },
      };
    }
    case 403: {
      const { verb, group, resource, subresource, namespace, name } = attributes;
      if (resource === '') {
        return fromError(
          forbiddenError(
            { group: '', resource: '' },
            '',
            `User "${user}" cannot ${verb} path "${attributes.path}"`,
          ),
        );
      }
      const full = subresource === '' ? resource : `${resource}/${subresource}`;
      const scope = namespace === '' ? 'at the cluster scope' : `in the namespace "${namespace}"`;
      const why = `User "${user}" cannot ${verb} resource "${full}" in API group "${group}" ${scope}`;
      return fromError(forbiddenError({ group, resource }, name, why));
    }
    case 422:
      return fromError(genericInvalidError());
    case 404:
      return {
        status: 404,
        body: '404 page not found\n',
        headers: {
          'Content-Type': 'text/plain; charset=utf-8',
          'X-Content-Type-Options': 'nosniff',
        },
      };
    case 401:
      return fromError(unauthorizedError());
  }
}
