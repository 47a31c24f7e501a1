import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';
import type { Logger } from '../log.js';

/** SQLite's own default: a checkpoint once the WAL holds this many pages. */
const AUTOCHECKPOINT_PAGES = 1000;

/**
 * The worker: its own connection to the same database, checkpointing on a timer. PASSIVE
 * never waits for a lock: what readers or the writer hold is left for the next round.
 * CommonJS, evaluated from this string, so it needs no file of its own in dist/ or in tests.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.module);
const db = new Database(workerData.file, { fileMustExist: true });
const timer = setInterval(() => {
  const [result] = db.pragma('wal_checkpoint(PASSIVE)');
  parentPort.postMessage({ log: result.log, checkpointed: result.checkpointed });
}, workerData.intervalMs);
parentPort.on('message', () => {
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

export interface WalCheckpointer {
  /** Stops the worker; the main connection checkpoints by itself again (and on its close). */
  close(): Promise<void>;
}

/**
 * Moves WAL checkpoints off the thread that answers requests: SQLite otherwise copies the WAL
 * into the database inside whichever commit crosses 1,000 pages, and that commit's request
 * (an audited proxy call) waits for the copy and its fsync — milliseconds, measured as the
 * p99 of one connection's calls. The main connection stops checkpointing; a worker thread with
 * its own connection checkpoints every `intervalMs`. If the worker fails, the main connection
 * takes checkpoints back, so the WAL never grows without bound. The worker costs ~14 MiB of
 * memory; checkpointing on a timer on this thread instead costs nothing, but measured worse:
 * a second's worth of WAL copied at once stalled one connection's p99 to 30-40 ms (against
 * ~7 ms with SQLite's own checkpoints and ~5 ms with this worker).
 */
export function startWalCheckpointer(
  db: Database.Database,
  options: {
    intervalMs?: number;
    logger: Logger;
    onCheckpoint?: (result: { log: number; checkpointed: number }) => void;
  },
): WalCheckpointer {
  db.pragma('wal_autocheckpoint = 0');
  const takeBack = (): void => void db.pragma(`wal_autocheckpoint = ${AUTOCHECKPOINT_PAGES}`);
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: {
      file: db.name,
      module: createRequire(import.meta.url).resolve('better-sqlite3'),
      intervalMs: options.intervalMs ?? 1000,
    },
  });
  // A background helper: it never keeps the process alive.
  worker.unref();
  let closing = false;
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  worker.on('message', (result: { log: number; checkpointed: number }) => options.onCheckpoint?.(result));
  worker.on('error', (error) => {
    options.logger.error(
      { err: error },
      'WAL checkpoints moved back to the main connection: the checkpoint worker failed',
    );
    if (db.open) takeBack();
  });
  worker.on('exit', (code) => {
    if (closing || !db.open) return;
    options.logger.error({ code }, 'WAL checkpoints moved back to the main connection: the checkpoint worker exited');
    takeBack();
  });
  return {
    async close() {
      if (closing) return;
      closing = true;
      worker.ref(); // held until it has closed its connection
      worker.postMessage('close'); // a worker that already exited ignores it

      await exited;
      if (db.open) takeBack();
    },
  };
}
