import type { Journal } from './journal';
import { NotificationLog } from './notification-log';

/** Incidents deleted per transaction, so that pruning never holds the journal for long. */
const BATCH = 200;

/**
 * Deletes incidents resolved before `cutoff` (epoch ms), with everything that hangs off them
 * (alerts, timeline, plans, steps, escalations: foreign keys cascade), in small transactions
 * through the journal's own writer, then gives the freed pages back to the file system. Open
 * incidents are never pruned, however old. The notification log goes with them: a notification
 * is deleted with the incident it fed (a foreign key), and one that fed none (a repeat) once it
 * is older than `cutoff` and applied. Resolves with the number of incidents deleted.
 */
export async function pruneResolved(journal: Journal, cutoff: number): Promise<number> {
  const select = journal.db.prepare<[number, number], { id: number }>(
    'SELECT id FROM incidents WHERE resolved_at IS NOT NULL AND resolved_at < ? ORDER BY id LIMIT ?',
  );
  const remove = journal.db.prepare('DELETE FROM incidents WHERE id = ?');
  let total = 0;
  for (;;) {
    const deleted = await journal.write(() => {
      const ids = select.all(cutoff, BATCH);
      for (const { id } of ids) remove.run(id);
      return ids.length;
    });
    total += deleted;
    if (deleted < BATCH) break;
  }
  const log = new NotificationLog(journal.db);
  while ((await journal.write(() => log.pruneOrphans(cutoff, BATCH))) === BATCH);
  if (total > 0) journal.compact();
  return total;
}

/**
 * How often retention runs: a twelfth of the retention, so that the journal holds at most about
 * 8 % more than the retention says, at least every 5 s and at most hourly.
 */
export function retentionCheckInterval(retentionMs: number): number {
  return Math.min(3_600_000, Math.max(5_000, Math.round(retentionMs / 12)));
}
