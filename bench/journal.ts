/** Reads a journal beside (or after) the server that writes it, read-only. */
import { dist } from './dist';

/** How many alert instances the journal under `dataDir` holds. */
export function countJournaledAlerts(dataDir: string): number {
  const journal = dist.journal().Journal.openReadOnly(dataDir);
  try {
    const row = journal.db.prepare('SELECT count(*) AS n FROM alerts').get() as { n: number };
    return row.n;
  } finally {
    journal.close();
  }
}
