import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';

import type { KubeConfig } from '@kubernetes/client-node';

import { faultAnswer, FaultList, type FaultRule } from './faults';
import { isObject, scalarText, type JsonObject } from './json';
import { KubeApi } from './kube-api';
import { kubeconfigOptions, kubeconfigYaml } from './kubeconfig';
import { internalError, statusBody } from './statuses';

/**
 * A stored object as tests read it. Tests reach into arbitrary fields, so it is `any` on purpose.
 */
export type KubeObject = any;

/** One request the fake received, in arrival order. */
export interface RecordedRequest {
  readonly method: string;
  /** The path as sent (%-escapes kept, `..` not resolved), without the query string. */
  readonly path: string;
  /** Query parameters (the last value wins when one repeats). */
  readonly query: Record<string, string>;
  readonly contentType: string | undefined;
  /** The body parsed as JSON, or the raw text when it is not JSON; undefined when empty. */
  readonly body: unknown;
  /** The status answered; 0 while pending or when the connection was dropped. */
  readonly status: number;
  /** Epoch milliseconds by the fake's clock. */
  readonly at: number;
  /** `dryRun=All` was asked (query, or DeleteOptions body). */
  readonly dryRun: boolean;
  /** A fault rule answered (or dropped) this request. */
  readonly fault: boolean;
}

type MutableRecord = { -readonly [K in keyof RecordedRequest]: RecordedRequest[K] };

/** A running fake API server and the handles tests use to drive and inspect it. */
export interface FakeKube {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** The bearer token the kubeconfig carries. */
  readonly token: string;
  /** A kubeconfig (cluster with skipTLSVerify, a token user, namespace default) for a child process. */
  kubeconfigYaml(): string;
  /** Writes {@link kubeconfigYaml} to `<dir>/kubeconfig` and returns the path. */
  writeKubeconfig(dir: string): string;
  /** Loads the fake's cluster, user and context into an in-process client-node KubeConfig. */
  loadInto(kc: KubeConfig): void;
  /** Creates any supported object directly (uid, resourceVersion, creationTimestamp, defaults); returns the stored copy. */
  seed(obj: object, options?: { validate?: boolean }): KubeObject;
  /** A deep copy of a stored object, or undefined. `namespace` defaults to `default`. */
  get(apiVersion: string, kind: string, namespace: string | undefined, name: string): KubeObject;
  /** Deep copies of stored objects of a kind, in one namespace or all. */
  list(apiVersion: string, kind: string, namespace?: string): KubeObject[];
  /** Replaces an object's status, as its controller would. */
  setStatus(
    apiVersion: string,
    kind: string,
    namespace: string | undefined,
    name: string,
    status: object,
  ): KubeObject;
  /** Replaces a Job's status (`succeeded`, `failed`, `conditions`...). */
  setJobStatus(namespace: string, name: string, status: object): void;
  /** Deletes an object directly; returns whether it existed. */
  remove(apiVersion: string, kind: string, namespace: string | undefined, name: string): boolean;
  /** Every API request so far, in arrival order (a snapshot). */
  readonly requests: RecordedRequest[];
  /** The requests that were not reads (POST, PUT, PATCH, DELETE), dry-run ones included. */
  writes(): RecordedRequest[];
  resetRequests(): void;
  /** Adds a fault rule; the returned function removes it. */
  fault(rule: FaultRule): () => void;
  clearFaults(): void;
  /** Errors the fake itself threw while answering (answered as 500); should stay empty. */
  readonly internalErrors: readonly Error[];
  /** Closes the server and every open connection. */
  close(): Promise<void>;
}

/** Options of {@link startFakeKube}. */
export interface FakeKubeOptions {
  /** The clock for creationTimestamp, recorded `at` and fault `until` (default: real time). */
  now?: () => Date;
  /** Port to listen on (default 0: the OS picks). The host is always 127.0.0.1. */
  port?: number;
  /** The kubeconfig token (default `fake-kube-token`). */
  token?: string;
  /** When true, requests without `Authorization: Bearer <token>` get 401. */
  requireToken?: boolean;
  /** The user named in injected 403 answers. */
  user?: string;
  /**
   * The `env[].name` rule: `strict` (default, every API server before 1.32: `my var` gets a 422)
   * or `relaxed` (1.32+, RelaxedEnvironmentVariableValidation).
   */
  envVarNames?: 'strict' | 'relaxed';
}

const MAX_BODY_BYTES = 3 * 1024 * 1024;

function parseRecordedBody(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function readBody(req: IncomingMessage): Promise<{ text: string; tooLarge: boolean }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on('end', () => {
      resolve({ text: Buffer.concat(chunks).toString('utf8'), tooLarge });
    });
    req.on('error', reject);
  });
}

/** The path of a request target as it came (origin form; absolute form cut to its path). */
function rawPath(target: string): string {
  const path = target.split('?')[0] ?? '';
  if (path.startsWith('/')) return path;
  const afterScheme = path.indexOf('//');
  const slash = afterScheme < 0 ? -1 : path.indexOf('/', afterScheme + 2);
  return slash < 0 ? '/' : path.slice(slash);
}

function send(
  res: ServerResponse,
  status: number,
  body: JsonObject | string | unknown[],
  headers: Readonly<Record<string, string | string[]>> = {},
): void {
  if (res.destroyed || res.headersSent) return;
  const isText = typeof body === 'string';
  res.statusCode = status;
  res.setHeader('Audit-Id', randomUUID());
  res.setHeader('Cache-Control', 'no-cache, private');
  res.setHeader('Content-Type', isText ? 'text/plain; charset=utf-8' : 'application/json');
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  res.end(isText ? body : JSON.stringify(body));
}

/**
 * Starts a stateful fake kube-apiserver on 127.0.0.1 (plain HTTP). See the README next to this
 * file for what it models. Every test that starts one must `close()` it.
 */
export async function startFakeKube(options: FakeKubeOptions = {}): Promise<FakeKube> {
  const now = options.now ?? (() => new Date());
  const token = options.token ?? 'fake-kube-token';
  const user = options.user ?? 'system:serviceaccount:default:remediator';
  const api = new KubeApi(now, {
    ...(options.envVarNames === undefined ? {} : { envVarNames: options.envVarNames }),
  });
  const faults = new FaultList();
  let records: MutableRecord[] = [];
  const internalErrors: Error[] = [];
  const sockets = new Set<Socket>();
  const sleepers = new Set<{ timer: NodeJS.Timeout; wake: () => void }>();
  let closed = false;

  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const sleeper = {
        timer: setTimeout(() => {
          sleepers.delete(sleeper);
          resolve();
        }, ms),
        wake: resolve,
      };
      sleepers.add(sleeper);
    });

  let baseUrl = '';
  const fake: FakeKube = {
    get url(): string {
      return baseUrl;
    },
    token,
    kubeconfigYaml: () => kubeconfigYaml(baseUrl, token),
    writeKubeconfig(dir: string): string {
      const path = join(dir, 'kubeconfig');
      writeFileSync(path, kubeconfigYaml(baseUrl, token), { mode: 0o600 });
      return path;
    },
    loadInto(kc: KubeConfig): void {
      kc.loadFromOptions(kubeconfigOptions(baseUrl, token));
    },
    seed: (obj, seedOptions) => api.seed(obj as JsonObject, seedOptions),
    get: (apiVersion, kind, namespace, name) => api.getObject(apiVersion, kind, namespace, name),
    list: (apiVersion, kind, namespace) => api.listObjects(apiVersion, kind, namespace),
    setStatus: (apiVersion, kind, namespace, name, status) =>
      api.setStatus(apiVersion, kind, namespace, name, status as JsonObject),
    setJobStatus(namespace: string, name: string, status: object): void {
      api.setStatus('batch/v1', 'Job', namespace, name, status as JsonObject);
    },
    remove: (apiVersion, kind, namespace, name) =>
      api.removeObject(apiVersion, kind, namespace, name),
    get requests(): RecordedRequest[] {
      return records.map((r) => ({ ...r }));
    },
    writes: () => records.filter((r) => r.method !== 'GET').map((r) => ({ ...r })),
    resetRequests(): void {
      records = [];
    },
    fault: (rule) => faults.add(rule),
    clearFaults: () => {
      faults.clear();
    },
    internalErrors,
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      for (const sleeper of sleepers) {
        clearTimeout(sleeper.timer);
        sleeper.wake();
      }
      sleepers.clear();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      });
    },
  };

  const control = async (
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    text: string,
  ): Promise<void> => {
    await Promise.resolve();
    const method = req.method ?? 'GET';
    const parts = url.pathname.split('/').filter((s) => s !== '');
    const body = parseRecordedBody(text);
    try {
      if (url.pathname === '/_fake/requests' && method === 'GET') {
        send(res, 200, fake.requests);
      } else if (url.pathname === '/_fake/requests' && method === 'DELETE') {
        fake.resetRequests();
        send(res, 200, {});
      } else if (url.pathname === '/_fake/faults' && method === 'POST') {
        if (!isObject(body)) throw new Error('a fault rule must be a JSON object');
        const rule = { ...body } as unknown as FaultRule & { pathRegex?: RegExp | string };
        if (typeof rule.pathRegex === 'string') rule.pathRegex = new RegExp(rule.pathRegex);
        fake.fault(rule);
        send(res, 201, {});
      } else if (url.pathname === '/_fake/faults' && method === 'DELETE') {
        fake.clearFaults();
        send(res, 200, {});
      } else if (url.pathname === '/_fake/seed' && method === 'POST') {
        const items = Array.isArray(body)
          ? body
          : isObject(body) && Array.isArray(body.items)
            ? body.items
            : [body];
        send(
          res,
          201,
          items.map((item) => fake.seed(item as object) as JsonObject),
        );
      } else if (url.pathname === '/_fake/objects' && method === 'GET') {
        const apiVersion = url.searchParams.get('apiVersion') ?? '';
        const kind = url.searchParams.get('kind') ?? '';
        const namespace = url.searchParams.get('namespace') ?? undefined;
        const name = url.searchParams.get('name');
        if (name === null) send(res, 200, fake.list(apiVersion, kind, namespace) as unknown[]);
        else {
          const found = fake.get(apiVersion, kind, namespace, name) as JsonObject | undefined;
          if (found === undefined) send(res, 404, { error: 'not found' });
          else send(res, 200, found);
        }
      } else if (parts[1] === 'jobs' && parts[4] === 'status' && method === 'POST') {
        fake.setJobStatus(parts[2] ?? '', parts[3] ?? '', body ?? {});
        send(res, 200, {});
      } else if (url.pathname === '/_fake/status' && method === 'POST') {
        if (!isObject(body))
          throw new Error('expected {apiVersion, kind, namespace, name, status}');
        const { apiVersion, kind, namespace, name, status } = body;
        send(
          res,
          200,
          fake.setStatus(
            scalarText(apiVersion),
            scalarText(kind),
            typeof namespace === 'string' ? namespace : undefined,
            scalarText(name),
            (status ?? {}) as object,
          ) as JsonObject,
        );
      } else {
        send(res, 404, { error: `no control endpoint ${method} ${url.pathname}` });
      }
    } catch (error) {
      send(res, 400, { error: (error as Error).message });
    }
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const { text, tooLarge } = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://fake-kube');
    // The path as sent: WHATWG URL parsing would resolve `..` and `.` segments, which Go's
    // server does not do (kube-apiserver then refuses `..` as a name).
    const path = rawPath(req.url ?? '/');
    if (url.pathname.startsWith('/_fake/')) {
      await control(req, res, url, text);
      return;
    }
    const method = req.method ?? 'GET';
    const contentType = req.headers['content-type'];
    const body = parseRecordedBody(text);
    const bodyDryRun = isObject(body) && Array.isArray(body.dryRun) && body.dryRun.includes('All');
    const record: MutableRecord = {
      method,
      path,
      query: Object.fromEntries(url.searchParams),
      contentType,
      body,
      status: 0,
      at: now().getTime(),
      dryRun:
        url.searchParams.getAll('dryRun').includes('All') || (method === 'DELETE' && bodyDryRun),
      fault: false,
    };
    records.push(record);
    const answer = (
      status: number,
      payload: JsonObject | string,
      headers?: Readonly<Record<string, string | string[]>>,
    ): void => {
      record.status = status;
      send(res, status, payload, headers);
    };

    const rule = faults.take(method, path, path + url.search, now().getTime());
    if (rule !== undefined) {
      if (rule.delayMs !== undefined && rule.delayMs > 0) await sleep(rule.delayMs);
      if (closed) return;
      if (rule.dropConnection === true) {
        record.fault = true;
        req.socket.destroy();
        return;
      }
      if (rule.status !== undefined) {
        record.fault = true;
        const attributes = api.attributes(method, path, url.searchParams);
        const injected = faultAnswer({ ...rule, status: rule.status }, attributes, user);
        answer(injected.status, injected.body, injected.headers);
        return;
      }
    }
    if (tooLarge) {
      answer(
        413,
        statusBody({
          status: 'Failure',
          message: `Request entity too large: limit is ${MAX_BODY_BYTES}`,
          reason: 'RequestEntityTooLarge',
          code: 413,
        }),
      );
      return;
    }
    if (options.requireToken === true && req.headers.authorization !== `Bearer ${token}`) {
      answer(
        401,
        statusBody({
          status: 'Failure',
          message: 'Unauthorized',
          reason: 'Unauthorized',
          code: 401,
        }),
      );
      return;
    }
    try {
      const response = api.handle({
        method,
        path,
        query: url.searchParams,
        contentType,
        body: text,
      });
      if (rule?.dropAfterCommit === true) {
        record.fault = true;
        record.status = response.status;
        req.socket.destroy();
        return;
      }
      answer(response.status, response.body, response.headers);
    } catch (error) {
      const err = error instanceof Error ? error : new Error(String(error));
      internalErrors.push(err);
      const failure = internalError(err.message);
      answer(failure.code, failure.body);
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      internalErrors.push(error instanceof Error ? error : new Error(String(error)));
      if (!res.headersSent && !res.destroyed) {
        res.statusCode = 500;
        res.end();
      }
    });
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => {
      sockets.delete(socket);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  baseUrl = `http://127.0.0.1:${address.port}`;
  return fake;
}
