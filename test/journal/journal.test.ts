import Database from 'better-sqlite3';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { JournalError } from '../../src/errors';
import { Journal } from '../../src/journal/journal';
import { MIGRATIONS } from '../../src/journal/schema';
import { tempDir } from '../support/server';

describe('the journal', () => {
  let dir: ReturnType<typeof tempDir>;
  let journal: Journal;
  let commits: number;
  let failures: unknown[];

  beforeEach(() => {
    dir = tempDir();
    commits = 0;
    failures = [];
    journal = Journal.open({
      dataDir: dir.path,
      sync: 'normal',
      onCommit: () => commits++,
      onCommitFailure: (err) => failures.push(err),
    });
    journal.db.exec('CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL UNIQUE)');
  });
  afterEach(() => {
    journal.close();
    dir.remove();
  });

  const insert = (text: string) => () =>
    journal.db.prepare('INSERT INTO notes (text) VALUES (?)').run(text).lastInsertRowid;
  const count = () =>
    (journal.db.prepare('SELECT count(*) AS n FROM notes').get() as { n: number }).n;

  it('keeps its directory and files to its own user (0700 and 0600), whatever the umask', async () => {
    const previous = process.umask(0o022);
    const data = join(dir.path, 'fresh');
    let fresh: Journal | undefined;
    try {
      fresh = Journal.open({ dataDir: data });
      await fresh.write(() => fresh?.db.exec('CREATE TABLE t (x)'));
      const mode = (file: string) => statSync(join(data, file)).mode & 0o777;
      expect(mode('.')).toBe(0o700);
      expect(mode('journal.db')).toBe(0o600);
      expect(mode('journal.db-wal')).toBe(0o600);
      expect(mode('journal.db-shm')).toBe(0o600);
    } finally {
      fresh?.close();
      process.umask(previous);
    }
  });

  it('reports a write the database refuses as a JournalError, and is unwritable until one succeeds', async () => {
    journal.sqlite.pragma('query_only = ON');
    await expect(journal.write(insert('a'))).rejects.toThrow(JournalError);
    expect(journal.checkWritable(0)).toMatch(/readonly database/);
    expect(failures).toHaveLength(1);
    journal.sqlite.pragma('query_only = OFF');
    // Its own probe write is rate-limited: within a second it still reports the failure.
    expect(journal.checkWritable(500)).toMatch(/readonly database/);
    expect(journal.checkWritable(Date.now())).toBeUndefined();
    await expect(journal.write(insert('b'))).resolves.toBe(1);
  });

  it('commits everything written in one tick in one transaction', async () => {
    const writes = ['a', 'b', 'c'].map((t) => journal.write(insert(t)));
    expect(count()).toBe(0);
    await expect(Promise.all(writes)).resolves.toEqual([1, 2, 3]);
    expect(commits).toBe(1);
    expect(count()).toBe(3);
  });

  it('resolves a write only once it is committed', async () => {
    let resolved = false;
    const write = journal.write(insert('a')).then(() => (resolved = true));
    await Promise.resolve();
    expect(resolved).toBe(false);
    await write;
    expect(resolved).toBe(true);
  });

  it('rolls back only the failing piece of a group, and tells its owner synchronously', async () => {
    const rolledBack: string[] = [];
    const ok1 = journal.write(insert('a'));
    const bad = journal.write(insert('a'), () => rolledBack.push('duplicate'));
    const ok2 = journal.write(insert('b'));
    await expect(ok1).resolves.toBe(1);
    await expect(bad).rejects.toMatchObject({ code: 'SQLITE_CONSTRAINT_UNIQUE' });
    await expect(ok2).resolves.toBeDefined();
    expect(rolledBack).toEqual(['duplicate']);
    expect(count()).toBe(2);
  });

  it('rejects every write of a group with JournalError when the database is full', async () => {
    // A real SQLite failure: cap the file at its current size, then write past it.
    const pages = journal.sqlite.pragma('page_count', { simple: true }) as number;
    journal.sqlite.pragma(`max_page_count = ${pages}`);
    const rolledBack: number[] = [];
    const big = 'x'.repeat(64 * 1024);
    const writes = [1, 2].map((i) => journal.write(insert(`${big}${i}`), () => rolledBack.push(i)));
    for (const write of writes) await expect(write).rejects.toBeInstanceOf(JournalError);
    await expect(writes[0]).rejects.toThrow(/journal commit failed: database or disk is full/);
    expect(rolledBack).toEqual([1, 2]);
    expect(failures).toHaveLength(1);
    // The journal keeps working once there is room again.
    journal.sqlite.pragma('max_page_count = 1073741823');
    await expect(journal.write(insert('after'))).resolves.toBeDefined();
  });

  it('refuses writes after close, and commits what was pending at close', async () => {
    const pending = journal.write(insert('last'));
    journal.close();
    await expect(pending).resolves.toBe(1);
    await expect(journal.write(insert('late'))).rejects.toThrow('the journal is closed');
    expect(journal.isOpen).toBe(false);
  });

  it('keeps what it committed across a reopen, and migrates only once', async () => {
    await journal.write(insert('kept'));
    journal.close();
    journal = Journal.open({ dataDir: dir.path });
    expect(journal.sqlite.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    expect(count()).toBe(1);
  });

  it('refuses a journal written by a newer remediator', () => {
    journal.close();
    const db = new Database(join(dir.path, 'journal.db'));
    db.pragma(`user_version = ${MIGRATIONS.length + 1}`);
    db.close();
    expect(() => Journal.open({ dataDir: dir.path })).toThrow(/newer than this remediator knows/);
    journal = Journal.open({ dataDir: tempDir().path });
  });

  it('uses WAL and the durability the operator chose', () => {
    expect(journal.sqlite.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(journal.sqlite.pragma('synchronous', { simple: true })).toBe(1);
    const full = Journal.open({ dataDir: tempDir().path, sync: 'full' });
    expect(full.sqlite.pragma('synchronous', { simple: true })).toBe(2);
    full.close();
  });
});
