/**
 * The notification log and its projection. The webhook's durable work is one append of what it
 * received to the log (`accept`), answered as soon as that commits; incidents, alerts, plans and
 * timelines are folded from the log, in order, by `Ingest` (the same pure decisions as ever), in
 * the background. The projection records how far it got in the same transactions as the changes
 * it makes, so that a restart applies what it had not (nothing answered is lost) and nothing
 * twice. It must keep up, not just trail: its backlog is exported, and past a bound the webhook
 * answers 503 so that Alertmanager retries later instead of memory growing without end.
 */
import { getHeapStatistics } from 'node:v8';
import type { WebhookPayload } from '../alertmanager/payload';
import { checkWebhookPayload } from '../alertmanager/payload';
import type { Clock } from '../clock';
import { describeError, JournalError, OverloadedError } from '../errors';
import type { Journal } from '../journal/journal';
import type { NotificationLog, StoredNotification } from '../journal/notification-log';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import type { Accepted } from '../receivers/webhook';
import type { Ingest } from './ingest';

export interface ProjectorDeps {
  journal: Journal;
  log: NotificationLog;
  /** What applies a notification; a follower, which only appends, has none. */
  ingest: Ingest | undefined;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  /** Accepted and not yet applied, past which the webhook answers 503; default 10,000. */
  maxBacklog?: number;
  /**
   * Their bodies' bytes (queued and being applied), past which likewise; by default a sixteenth
   * of V8's heap limit, at most 64 MiB: a parsed body takes a few times its size in the heap, and
   * the shipped Deployment caps the heap at 192 MiB.
   */
  maxBacklogBytes?: number;
  /**
   * `sole` (default): this process alone appends to the log, and applies what it accepts from
   * memory. On a journal that replicas share, every replica appends: `leader` applies the log as
   * it reads it back, its own notifications and the others' alike, in the log's order;
   * `follower` only appends (the leader applies).
   */
  role?: 'sole' | 'leader' | 'follower';
  /** How often a leader looks for notifications other replicas appended; default 200 ms. */
  followMs?: number;
}

/** A notification in the log, not yet applied. */
interface Pending {
  readonly seq: number;
  readonly receivedAt: number;
  /** Parsed once, when accepted; undefined for one read back from the journal (parsed then). */
  readonly payload?: WebhookPayload;
  readonly body?: string;
  readonly bytes: number;
}

const DEFAULT_MAX_BACKLOG = 10_000;
const DEFAULT_MAX_BACKLOG_BYTES = Math.min(
  64 * 1024 * 1024,
  Math.floor(getHeapStatistics().heap_size_limit / 16),
);
/**
 * Notifications applied at once. Ingest keeps one group's in order, and decisions are
 * synchronous, so this only lets the commits of many notifications share a transaction (the
 * journal's group commit): the projection's throughput comes from that.
 */
const CONCURRENCY = 256;
/**
 * Bodies' bytes applied at once (at least one notification): a few large groups in flight
 * together, each parsed and decided in slices, would otherwise hold their alerts all at once.
 */
const IN_FLIGHT_BYTES = 4 * 1024 * 1024;
/** Read back from the journal at a time after a restart. */
const RECOVERY_PAGE = 500;
/** How long the projection waits after the journal refused a write before it tries again. */
const RETRY_MS = 1000;
/** How often the applied mark is written when no change carried it (a stream of repeats). */
const MARK_INTERVAL_MS = 1000;

export class Projector {
  /**
   * Accepted and not yet started, from `queueHead` on; a slot is emptied when its notification
   * starts, so that a parsed payload is not kept alive by the array until the next compaction.
   */
  private readonly queue: (Pending | undefined)[] = [];
  private queueHead = 0;
  private queueBytes = 0;
  private readonly inFlight = new Map<number, Pending>();
  private inFlightBytes = 0;
  private readonly maxBacklog: number;
  private readonly maxBacklogBytes: number;
  /** After a restart: the log's notifications up to this seq are read back, page by page. */
  private recoverUntil = 0;
  private recoveredTo = 0;
  /** The page read back from the journal and not yet started. */
  private recoveryBuffer: Pending[] = [];
  private recovering: Promise<void> | undefined;
  private highestAccepted = 0;
  private markWritten = 0;
  private paused = false;
  private closed = false;
  private readonly timers: NodeJS.Timeout[] = [];
  private idleWaiters: (() => void)[] = [];
  private readonly role: 'sole' | 'leader' | 'follower';
  /** A follower's view of the shared log's backlog, read at most once a second. */
  private sharedBacklog = { count: 0, readAt: -Infinity };

  constructor(private readonly deps: ProjectorDeps) {
    this.role = deps.role ?? 'sole';
    this.maxBacklog = deps.maxBacklog ?? DEFAULT_MAX_BACKLOG;
    this.maxBacklogBytes = deps.maxBacklogBytes ?? DEFAULT_MAX_BACKLOG_BYTES;
    if (this.role === 'follower') {
      this.closed = true;
      return;
    }
    this.markWritten = deps.log.appliedSeq();
    this.recoveredTo = this.markWritten;
    this.recoverUntil = deps.log.lastSeq();
    this.highestAccepted = this.recoverUntil;
    this.every(MARK_INTERVAL_MS, () => {
      this.writeMark();
    });
    if (this.role === 'leader') {
      this.every(deps.followMs ?? 200, () => {
        this.followLog();
      });
    }
    deps.metrics.bindLogBacklog(() => this.backlog());
  }

  /**
   * The webhook's work: appends the validated notification to the log and resolves once that
   * is committed (the answer may then be 200); its projection follows. Rejects with
   * OverloadedError (nothing recorded) while the backlog is past its bound, and with
   * JournalError when the append could not be committed.
   */
  async accept(payload: WebhookPayload, body: string, source: string): Promise<Accepted> {
    const backlog = this.backlog();
    if (backlog.count >= this.maxBacklog || backlog.bytes >= this.maxBacklogBytes) {
      throw new OverloadedError(
        `${backlog.count} notifications accepted and not yet applied (the oldest ${Math.round(backlog.ageSeconds)} s ago): try again later`,
        5,
      );
    }
    const receivedAt = this.deps.clock.now().getTime();
    const seq = await this.deps.journal.write(() => this.deps.log.append(body, receivedAt, source));
    this.deps.metrics.logAppended.inc();
    if (this.role === 'follower') {
      this.sharedBacklog.count++;
      return { notification: seq };
    }
    if (this.role === 'leader') {
      // Applied from the log, in its order, with what other replicas appended before it.
      this.follow(seq);
      return { notification: seq };
    }
    this.highestAccepted = Math.max(this.highestAccepted, seq);
    this.queue.push({ seq, receivedAt, payload, bytes: body.length });
    this.queueBytes += body.length;
    this.pump();
    return { notification: seq };
  }

  /** How much is accepted and not yet applied, and since when. */
  backlog(): { count: number; ageSeconds: number; bytes: number } {
    if (this.role === 'follower') return { count: this.followerBacklog(), ageSeconds: 0, bytes: 0 };
    const oldest = this.oldestPending();
    const count = this.queue.length - this.queueHead + this.inFlight.size + this.unrecovered();
    const ageSeconds =
      oldest === undefined ? 0 : Math.max(0, this.deps.clock.now().getTime() - oldest) / 1000;
    return { count, ageSeconds, bytes: this.queueBytes + this.inFlightBytes };
  }

  /** Whether the webhook is refusing notifications, and why: for `/readyz`. */
  overloaded(): string | undefined {
    const { count, ageSeconds, bytes } = this.backlog();
    if (count < this.maxBacklog && bytes < this.maxBacklogBytes) return undefined;
    return `${count} notifications not yet applied (oldest ${Math.round(ageSeconds)} s)`;
  }

  /**
   * Applies what the log holds beyond the mark (a crash or a stop left it), in order, before the
   * notifications accepted from now on; resolves once that is done. Reads a page at a time.
   */
  recover(): Promise<void> {
    this.recovering ??= (async () => {
      if (this.recoverUntil > this.recoveredTo) {
        this.deps.logger.info('applying notifications the last run accepted and did not apply', {
          from: this.recoveredTo + 1,
          to: this.recoverUntil,
        });
      }
      this.pump();
      await this.idle();
    })();
    return this.recovering;
  }

  /** Resolves once everything accepted so far is applied. */
  idle(): Promise<void> {
    if (this.backlog().count === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops applying; what is left stays in the log for the next start. */
  close(): void {
    this.closed = true;
    for (const timer of this.timers) clearInterval(timer);
  }

  private every(ms: number, fn: () => void): void {
    const timer = setInterval(fn, ms);
    timer.unref();
    this.timers.push(timer);
  }

  /** A leader: reads what the log holds up to `seq` (its own append, or the others'), in order. */
  private follow(seq: number): void {
    if (seq <= this.recoverUntil) return;
    this.recoverUntil = seq;
    this.highestAccepted = Math.max(this.highestAccepted, seq);
    this.pump();
  }

  private followLog(): void {
    if (this.closed || this.paused) return;
    try {
      this.follow(this.deps.log.lastSeq());
    } catch (err) {
      this.deps.logger.warn('could not read the notification log', { error: describeError(err) });
    }
  }

  /**
   * A follower's backlog: what the shared log holds beyond the leader's mark, read at most once a
   * second (plus what it appended since), so that the webhook's 503 works on every replica.
   */
  private followerBacklog(): number {
    const now = Date.now();
    if (now - this.sharedBacklog.readAt >= 1000) {
      this.sharedBacklog.readAt = now;
      try {
        this.sharedBacklog.count = Math.max(
          0,
          this.deps.log.lastSeq() - this.deps.log.appliedSeq(),
        );
      } catch {
        // The journal is failing: the append says so.
      }
    }
    return this.sharedBacklog.count;
  }

  /** Waits for what is being applied now (not the rest) to be journaled. */
  async settle(): Promise<void> {
    while (this.inFlight.size > 0) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    this.writeMark();
    await this.deps.journal.write(() => undefined).catch(() => undefined);
  }

  private unrecovered(): number {
    return Math.max(0, this.recoverUntil - this.recoveredTo);
  }

  private oldestPending(): number | undefined {
    let oldest: number | undefined;
    for (const pending of this.inFlight.values()) {
      if (oldest === undefined || pending.receivedAt < oldest) oldest = pending.receivedAt;
    }
    const queued = this.queue[this.queueHead];
    if (queued !== undefined && (oldest === undefined || queued.receivedAt < oldest))
      oldest = queued.receivedAt;
    return oldest;
  }

  /** The next notification to apply: the log's older ones first (after a restart), then new. */
  private next(): Pending | undefined {
    if (this.recoveredTo < this.recoverUntil) {
      if (this.recoveryBuffer.length === 0) {
        this.recoveryBuffer = this.deps.log
          .after(this.recoveredTo, RECOVERY_PAGE)
          .filter((n) => n.seq <= this.recoverUntil)
          .map(pendingOf);
        if (this.recoveryBuffer.length === 0) this.recoveredTo = this.recoverUntil;
      }
      const item = this.recoveryBuffer.shift();
      if (item !== undefined) {
        this.recoveredTo = item.seq;
        return item;
      }
    }
    const item = this.queue[this.queueHead];
    if (item === undefined) return undefined;
    this.queue[this.queueHead] = undefined;
    this.queueHead++;
    this.queueBytes -= item.bytes;
    if (this.queueHead > 1024 && this.queueHead * 2 > this.queue.length) {
      this.queue.splice(0, this.queueHead);
      this.queueHead = 0;
    }
    return item;
  }

  private pump(): void {
    while (!this.closed && !this.paused && this.inFlight.size < CONCURRENCY) {
      const following = this.queue[this.queueHead];
      if (
        this.inFlight.size > 0 &&
        this.recoveryBuffer.length === 0 &&
        following !== undefined &&
        this.inFlightBytes + following.bytes > IN_FLIGHT_BYTES
      )
        break;
      const item = this.next();
      if (item === undefined) break;
      this.apply(item);
    }
    if (this.backlog().count === 0) {
      // Caught up: the mark says so now, not at the next tick (a restart then replays nothing).
      this.writeMark();
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }

  private apply(item: Pending): void {
    this.inFlight.set(item.seq, item);
    this.inFlightBytes += item.bytes;
    const payload = item.payload ?? parseLogged(item);
    if (payload === undefined) {
      // Validated when accepted: only a journal edited by hand gets here. Skipped, and said.
      this.deps.logger.error('a logged notification is not a valid payload; skipped', {
        seq: item.seq,
      });
      this.finish(item);
      return;
    }
    const ingest = this.deps.ingest;
    if (ingest === undefined) throw new Error('a follower applies nothing');
    ingest
      .ingest(payload, {
        now: item.receivedAt,
        alsoWrite: (incidentId) => {
          this.deps.log.linkTo(item.seq, incidentId);
          this.deps.log.setApplied(this.safeMark(), item.receivedAt);
        },
      })
      .then(
        () => {
          this.finish(item);
        },
        (err: unknown) => {
          this.retryLater(item, err);
        },
      );
  }

  private finish(item: Pending): void {
    this.leave(item);
    this.deps.metrics.logApplied.inc();
    this.pump();
  }

  private leave(item: Pending): void {
    this.inFlight.delete(item.seq);
    this.inFlightBytes -= item.bytes;
  }

  /**
   * The journal refused a change: the notification goes back to the front, the projection waits
   * a moment, then goes on in order (the journal failing usually fails every write at once).
   */
  private retryLater(item: Pending, err: unknown): void {
    if (!(err instanceof JournalError)) {
      this.deps.logger.error('applying a notification failed; skipped', {
        seq: item.seq,
        error: describeError(err),
      });
      this.finish(item);
      return;
    }
    this.leave(item);
    this.deps.logger.warn('applying a notification failed; it will be tried again', {
      seq: item.seq,
      error: describeError(err),
    });
    if (item.seq <= this.recoverUntil) {
      this.recoveryBuffer.unshift(item);
      this.recoveredTo = Math.min(this.recoveredTo, item.seq - 1);
    } else {
      this.queue.splice(0, this.queueHead, item);
      this.queueHead = 0;
      this.queueBytes += item.bytes;
      this.queue.sort((a, b) => (a?.seq ?? 0) - (b?.seq ?? 0));
    }
    if (this.paused) return;
    this.paused = true;
    setTimeout(() => {
      this.paused = false;
      this.pump();
    }, RETRY_MS).unref();
  }

  /** The highest seq below every notification not yet applied: how far the log is applied. */
  private safeMark(): number {
    let lowest = Infinity;
    for (const seq of this.inFlight.keys()) lowest = Math.min(lowest, seq);
    const buffered = this.recoveryBuffer[0];
    if (buffered !== undefined) lowest = Math.min(lowest, buffered.seq);
    if (this.recoveredTo < this.recoverUntil) lowest = Math.min(lowest, this.recoveredTo + 1);
    const queued = this.queue[this.queueHead];
    if (queued !== undefined) lowest = Math.min(lowest, queued.seq);
    return lowest === Infinity ? this.highestAccepted : lowest - 1;
  }

  /** Writes the mark when it moved and no change carried it (repeats write nothing else). */
  private writeMark(): void {
    const mark = this.safeMark();
    if (mark <= this.markWritten) return;
    this.markWritten = mark;
    const at = this.deps.clock.now().getTime();
    this.deps.journal
      .write(() => {
        if (this.deps.log.appliedSeq() < mark) this.deps.log.setApplied(mark, at);
      })
      .catch((err: unknown) => {
        this.markWritten = Math.min(this.markWritten, mark - 1);
        this.deps.logger.warn('could not record how far the log is applied', {
          error: describeError(err),
        });
      });
  }
}

function pendingOf(n: StoredNotification): Pending {
  return { seq: n.seq, receivedAt: n.receivedAt, body: n.body, bytes: 0 };
}

function parseLogged(item: Pending): WebhookPayload | undefined {
  try {
    const check = checkWebhookPayload(JSON.parse(item.body ?? ''));
    return check.ok ? check.payload : undefined;
  } catch {
    return undefined;
  }
}
