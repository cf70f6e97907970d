// A journal of judged scans in a file, for `npm run verify -- --journal FILE` (node has no
// IndexedDB): one JSON object per line, appended and fsync'ed before the verdict is printed,
// so history carries over between calls as `ssa-scanner verify --journal` does with SQLite.
// Only OK scans count for rule 13; REPLAYs are not written again (the OK one is there).
// A lock file (FILE.lock, holding the owner's pid) keeps two processes from judging at once.
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';

import { MemoryJournal, ResultCode, acceptedRecord, verifyQr } from '../../keys/js/verify.js';

const HEADER = { ssa1_journal: 1, writer: 'ssa-vouchers till (JavaScript)' };
const LOCK_WAIT_MS = 30_000;

export class JournalError extends Error {}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}

async function lock(path) {
  const lockPath = `${path}.lock`;
  const started = Date.now();
  for (;;) {
    try {
      const fd = openSync(lockPath, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return lockPath;
    } catch (error) {
      if (error.code !== 'EEXIST') throw new JournalError(`journal ${path} cannot be locked: ${error.message}`);
    }
    const owner = Number.parseInt(readFileSync(lockPath, 'utf8'), 10);
    if (Number.isInteger(owner) && !alive(owner)) rmSync(lockPath, { force: true }); // left by a crash
    else if (Date.now() - started > LOCK_WAIT_MS) throw new JournalError(`journal ${path} is in use by process ${owner}`);
    else await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export class FileJournal extends MemoryJournal {
  /** Open (or create) the journal at `path` and hold its lock until close(). */
  static async open(path) {
    const lockPath = await lock(path);
    const journal = new FileJournal(path, lockPath);
    try {
      journal.load();
    } catch (error) {
      journal.close();
      throw error;
    }
    return journal;
  }

  constructor(path, lockPath) {
    super();
    this.path = path;
    this.lockPath = lockPath;
    this.fd = null;
  }

  load() {
    const text = existsSync(this.path) ? readFileSync(this.path, 'utf8') : '';
    const lines = text.split('\n').filter((line) => line !== '');
    let header;
    try {
      header = lines.length ? JSON.parse(lines[0]) : null;
    } catch {
      header = undefined;
    }
    if (lines.length && header?.ssa1_journal !== 1) {
      throw new JournalError(`journal ${this.path} cannot be opened: it is not a journal of this till`);
    }
    for (const [i, line] of lines.slice(1).entries()) {
      let scan;
      try {
        scan = JSON.parse(line);
      } catch {
        if (i === lines.length - 2) break; // a line cut by a crash mid-write: never acknowledged
        throw new JournalError(`journal ${this.path} is damaged at line ${i + 2}`);
      }
      if (scan.code === ResultCode.OK) this.add(scan.accepted);
    }
    this.fd = openSync(this.path, 'a');
    if (!lines.length) this.append(HEADER);
  }

  append(document) {
    writeSync(this.fd, `${JSON.stringify(document)}\n`);
    fsyncSync(this.fd);
  }

  /** Verify `qr` against this journal and record the verdict durably before returning it. */
  async judge(qr, { trustList, merchantId, now, credentials = null }) {
    const result = await verifyQr(qr, { trustList, merchantId, now, journal: this, credentials });
    if (result.code !== ResultCode.REPLAY) {
      const accepted = result.ok ? acceptedRecord(result) : null;
      this.append({
        scanned_at: String(now), merchant_id: merchantId, qr: String(qr).trim(),
        code: result.code, message: result.message, accepted: accepted && jsonSafe(accepted),
      });
      if (accepted) this.add(accepted);
    }
    return result;
  }

  close() {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
    rmSync(this.lockPath, { force: true });
  }
}

/** Amounts beyond 2^53 (bigint) are kept as decimal text; rule 13 reads them back as BigInt. */
function jsonSafe(record) {
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, typeof v === 'bigint' ? String(v) : v]));
}
