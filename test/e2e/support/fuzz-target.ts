import { readFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request, type IncomingHttpHeaders } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startReceiver, type Receiver } from '../../notify/receiver';
import { startFakeKube, type FakeKube } from '../../support/fake-kube';
import { seedService } from './cluster';
import { step } from './log';
import { freePort } from './ports';
import { exists } from './processes';
import { Remediator } from './remediator';
import { rewritePolicies } from './rewrite';
import { OWN_NAMESPACE, SHIPPED_POLICIES, WEBHOOK_TOKEN } from './stack';
import { sleep } from './wait';

/**
 * What the fuzz run (`fuzz.e2e.test.ts`) needs around the process it hammers: `remediator serve`
 * from `dist/` against the fake Kubernetes API server and a sink receiver, with the shipped
 * policies (durations scaled as in the rest of the suite), but without Prometheus and
 * Alertmanager: the fuzz run posts to the webhook itself. Plus an HTTP client that controls every
 * byte and pause of a request, a raw-socket client for requests that stall, and a reader of the
 * child's resident memory.
 */

export interface FuzzTarget {
  readonly dir: string;
  readonly remediator: Remediator;
  readonly kube: FakeKube;
  readonly receiver: Receiver;
  /** The bearer token the webhook requires. */
  readonly token: string;
  /** Stops everything (safe to call twice); throws if a child process outlived it. */
  stop(): Promise<void>;
}

/**
 * Starts the fake cluster (seeded with the suite's heart-disease-api, so that the fixtures'
 * alerts plan real steps), the sink receiver and `remediator serve` on a port the OS picked, in a
 * temporary directory, with `nodeOptions` as its NODE_OPTIONS. On failure everything started so
 * far is stopped.
 */
export async function startFuzzTarget(
  name: string,
  options: { nodeOptions?: string } = {},
): Promise<FuzzTarget> {
  const dir = mkdtempSync(join(tmpdir(), `remediator-e2e-${name}-`));
  const logDir = join(dir, 'logs');
  mkdirSync(logDir);
  let kube: FakeKube | undefined;
  let receiver: Receiver | undefined;
  let remediator: Remediator | undefined;
  let stopped: Promise<void> | undefined;

  const stop = (): Promise<void> =>
    (stopped ??= (async () => {
      const errors: string[] = [];
      const attempt = async (what: string, run: () => Promise<unknown>) => {
        try {
          await run();
        } catch (error) {
          errors.push(`${what}: ${error instanceof Error ? error.message : String(error)}`);
        }
      };
      // remediator first: it must not be cut off from the cluster while it shuts down.
      const [r, sinks, cluster] = [remediator, receiver, kube];
      if (r !== undefined) await attempt('remediator', () => r.stop());
      if (sinks !== undefined) await attempt('receiver', () => sinks.close());
      if (cluster !== undefined) await attempt('fake kube', () => cluster.close());
      const leftovers = (remediator?.pids ?? []).filter((pid) => exists(pid) || exists(-pid));
      if (leftovers.length > 0) errors.push(`processes still alive: ${leftovers.join(', ')}`);
      if (process.env.E2E_KEEP === '1') step(`kept ${dir} (E2E_KEEP=1)`);
      else rmSync(dir, { recursive: true, force: true });
      if (errors.length > 0) throw new Error(`stopping the fuzz target: ${errors.join('; ')}`);
    })());

  try {
    kube = await startFakeKube();
    seedService(kube);
    receiver = await startReceiver();
    const tokenFile = join(dir, 'webhook-token');
    writeFileSync(tokenFile, `${WEBHOOK_TOKEN}\n`, { mode: 0o600 });
    const policiesFile = join(dir, 'policies.yaml');
    writeFileSync(
      policiesFile,
      rewritePolicies(readFileSync(SHIPPED_POLICIES, 'utf8'), { sinkBaseUrl: receiver.url('') }),
    );
    remediator = new Remediator({
      name: 'remediator-fuzz',
      port: await freePort(),
      dataDir: join(dir, 'data'),
      policiesFile,
      kubeconfig: kube.writeKubeconfig(dir),
      tokenFile,
      logDir,
      namespace: OWN_NAMESPACE,
      ...(options.nodeOptions === undefined
        ? {}
        : { extraEnv: { NODE_OPTIONS: options.nodeOptions } }),
    });
    await remediator.start();
    return { dir, remediator, kube, receiver, token: WEBHOOK_TOKEN, stop };
  } catch (error) {
    try {
      await stop();
    } catch (stopError) {
      step(String(stopError));
    }
    throw error;
  }
}

/** Resident memory of a process from /proc (Linux): now and its high-water mark, in bytes. */
export function residentMemory(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string): number => {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
    if (match?.[1] === undefined) throw new Error(`no ${field} in /proc/${pid}/status`);
    return Number(match[1]) * 1024;
  };
  return { rss: kib('VmRSS'), peak: kib('VmHWM') };
}

/** One HTTP request, byte for byte as the fuzz case wants it sent. */
export interface WireRequest {
  readonly method: string;
  readonly path: string;
  /** Sent as given: no Content-Type or Authorization is added. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
  /** `length`: a Content-Length header; `chunked`: Transfer-Encoding chunked. */
  readonly framing: 'length' | 'chunked';
  /** The body in pieces with a pause after each (a trickle); default: 64 KiB writes, no pauses. */
  readonly pieces?: readonly { readonly bytes: number; readonly pauseMs: number }[];
  /** Give up (a failure: the server did not answer) after this long. */
  readonly timeoutMs: number;
  /** Hang up on purpose this long after starting, if no answer came by then. */
  readonly abortAfterMs?: number;
}

export interface WireResponse {
  /** Undefined when no response arrived (see `error`). */
  readonly status?: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  /**
   * A transport error (`ECONNRESET`, `EPIPE`), `timeout` (no answer in time) or `aborted` (the
   * client hung up as asked), before or during the response.
   */
  readonly error?: string;
  /** Whether the whole body was written before the answer came. */
  readonly sentAll: boolean;
  readonly ms: number;
}

/** Bodies above this are written only once the server had a moment to answer from the headers. */
const EARLY_ANSWER_THRESHOLD = 64 * 1024;
const SLICE = 64 * 1024;

/**
 * Sends one request over a keep-alive `agent` (as Alertmanager does) and reads the whole answer.
 * Writing stops as soon as a response arrives, as a real client's would: the server may answer
 * 413 from the headers or part way through a body it will not read.
 */
export function sendRequest(port: number, agent: Agent, wire: WireRequest): Promise<WireResponse> {
  const started = performance.now();
  return new Promise((resolve) => {
    const headers: Record<string, string> = { ...wire.headers };
    if (wire.framing === 'length') headers['Content-Length'] = String(wire.body.length);
    else headers['Transfer-Encoding'] = 'chunked';
    let response: { status: number; headers: IncomingHttpHeaders } | undefined;
    const chunks: Buffer[] = [];
    let sentAll = false;
    let done = false;
    const req = request({
      host: '127.0.0.1',
      port,
      method: wire.method,
      path: wire.path,
      headers,
      agent,
    });
    const finish = (error?: string): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      clearTimeout(abortTimer);
      // A request whose body was cut short cannot leave its socket in the pool.
      if (!sentAll) req.destroy();
      resolve({
        ...(response === undefined ? {} : { status: response.status }),
        headers: response?.headers ?? {},
        body: Buffer.concat(chunks),
        ...(error === undefined ? {} : { error }),
        sentAll,
        ms: performance.now() - started,
      });
    };
    const timer = setTimeout(() => {
      finish('timeout');
      req.destroy();
    }, wire.timeoutMs);
    const abortTimer =
      wire.abortAfterMs === undefined
        ? undefined
        : setTimeout(() => {
            if (response === undefined) finish('aborted');
          }, wire.abortAfterMs);
    req.on('response', (res) => {
      response = { status: res.statusCode ?? 0, headers: res.headers };
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => finish());
      res.on('error', (error: NodeJS.ErrnoException) => finish(error.code ?? error.message));
    });
    req.on('error', (error: NodeJS.ErrnoException) => finish(error.code ?? error.message));

    const stopWriting = (): boolean => done || response !== undefined || req.destroyed;
    void (async () => {
      const pieces =
        wire.pieces ??
        Array.from({ length: Math.ceil(wire.body.length / SLICE) }, () => ({
          bytes: SLICE,
          pauseMs: 0,
        }));
      if (wire.body.length > EARLY_ANSWER_THRESHOLD) {
        req.flushHeaders();
        await Promise.race([sleep(100), new Promise((r) => req.once('response', r))]);
      }
      let offset = 0;
      for (const piece of pieces) {
        if (stopWriting() || offset >= wire.body.length) break;
        const slice = wire.body.subarray(offset, offset + Math.max(1, piece.bytes));
        offset += slice.length;
        if (!req.write(slice)) await new Promise((r) => req.once('drain', r));
        // A turn of the event loop between writes, so an early answer is seen before the next.
        await (piece.pauseMs > 0 ? sleep(piece.pauseMs) : new Promise((r) => setImmediate(r)));
      }
      if (!stopWriting() && offset < wire.body.length) {
        req.write(wire.body.subarray(offset));
        offset = wire.body.length;
      }
      if (stopWriting()) return;
      sentAll = true;
      req.end();
    })().catch((error: unknown) => {
      finish(error instanceof Error ? error.message : String(error));
    });
  });
}

/** What the server did with a connection that stopped sending. */
export interface StallOutcome {
  /** The first bytes the server sent, if any (Node's own 408 when it cuts a slow client). */
  readonly answer: string;
  /** Whether the server closed the connection within the wait. */
  readonly closed: boolean;
  readonly ms: number;
}

/**
 * Writes `prefix` on a raw connection, then (with `dripMs`) one more byte of `drip` at a time at
 * that interval, or nothing; resolves when the server closes the connection or after `maxWaitMs`
 * (then the client closes it: a server that never gives up fails the caller's assertion, not the
 * run's time budget).
 */
export function stallRequest(
  port: number,
  prefix: string,
  options: { drip?: string; dripMs?: number; maxWaitMs: number },
): Promise<StallOutcome> {
  const started = performance.now();
  return new Promise((resolve) => {
    let answer = '';
    let ended = false;
    let dripTimer: NodeJS.Timeout | undefined;
    const socket = connect(port, '127.0.0.1', () => {
      if (prefix !== '') socket.write(prefix);
      const { drip, dripMs } = options;
      if (drip !== undefined && dripMs !== undefined) {
        let at = 0;
        dripTimer = setInterval(() => {
          if (socket.destroyed) return;
          socket.write(drip.charAt(at % drip.length));
          at++;
        }, dripMs);
      }
    });
    const end = (closed: boolean): void => {
      if (ended) return;
      ended = true;
      clearTimeout(waitTimer);
      clearInterval(dripTimer);
      socket.destroy();
      resolve({ answer: answer.slice(0, 500), closed, ms: performance.now() - started });
    };
    const waitTimer = setTimeout(() => end(false), options.maxWaitMs);
    socket.on('data', (data: Buffer) => (answer += data.toString('latin1')));
    // A reset is the server closing too; the outcome is the same for the client.
    socket.on('error', () => undefined);
    socket.on('close', () => end(true));
  });
}
