// The till's IndexedDB: its identity (merchant id, pinned root key, its non-extractable
// Ed25519 key), the installed trust list, and the journal. The journal is SPEC §5's: every
// judged scan (REPLAYs aside) in `scans`, and the accepted ones in `accepted`, keyed by
// token id (a unique key: one token is accepted once) — the view rule 13 runs against.
// `judge` verifies and commits under one Web Lock shared by every tab, and returns only
// once the transaction holding an OK scan is durably committed: OK is never shown before.

import { ResultCode, acceptedRecord, verifyQr } from '../../keys/js/verify.js';

const DB_NAME = 'ssa-till';
const JUDGE_LOCK = 'ssa-till-judge';

export class StorageError extends Error {}

let dbPromise = null;

export function request(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

export function committed(tx) {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error ?? new StorageError('transaction failed'));
    tx.onabort = () => reject(tx.error ?? new StorageError('transaction aborted'));
  });
}

/** Schema steps by version: a new release appends one; the till's data is kept. */
const UPGRADES = [
  (db) => {
    db.createObjectStore('meta');
    const accepted = db.createObjectStore('accepted', { keyPath: 'tokenId' });
    accepted.createIndex('credential', 'credentialCti');
    accepted.createIndex('voucher', 'voucherCti', { unique: true });
    const scans = db.createObjectStore('scans', { keyPath: 'id', autoIncrement: true });
    scans.createIndex('state', 'state'); // 'new' (unbatched), 'batched', 'sent'
    scans.createIndex('scannedAt', 'scannedAt');
    db.createObjectStore('batches', { keyPath: 'batchId' });
  },
];
const DB_VERSION = UPGRADES.length;

export function openDb() {
  dbPromise ??= new Promise((resolve, reject) => {
    const req = indexedDB.open(DB_NAME, DB_VERSION);
    req.onupgradeneeded = (event) => {
      for (let v = event.oldVersion; v < DB_VERSION; v += 1) UPGRADES[v](req.result, req.transaction);
    };
    req.onsuccess = () => {
      const db = req.result;
      db.onversionchange = () => db.close(); // a newer till upgrades; this page reloads later
      resolve(db);
    };
    req.onerror = () => reject(new StorageError(String(req.error)));
    req.onblocked = () => reject(new StorageError('the till is open in an older tab'));
  });
  return dbPromise;
}

const TX = { durability: 'strict' }; // flushed to disk before complete fires

export async function getMeta(key) {
  const db = await openDb();
  return request(db.transaction('meta').objectStore('meta').get(key));
}

export async function setMeta(key, value) {
  const db = await openDb();
  const tx = db.transaction('meta', 'readwrite', TX);
  tx.objectStore('meta').put(value, key);
  return committed(tx);
}

/** Run `fn` holding the lock every tab of the till shares (where Web Locks exist). */
export function withLock(name, fn) {
  return globalThis.navigator?.locks ? navigator.locks.request(name, fn) : fn();
}

// -- the journal: rule 13's view, and judging -------------------------------------

/** The JournalView of keys/js/verify.js over the accepted scans (hex ids). */
export const journalView = {
  async hasToken(tidHex) {
    const db = await openDb();
    return (await request(db.transaction('accepted').objectStore('accepted').count(tidHex))) > 0;
  },
  async voucherRedeemed(ctiHex) {
    const db = await openDb();
    return (await request(db.transaction('accepted').objectStore('accepted').index('voucher').count(ctiHex))) > 0;
  },
  async paymentsOf(ctiHex) {
    const db = await openDb();
    const rows = await request(db.transaction('accepted').objectStore('accepted').index('credential').getAll(ctiHex));
    return rows.sort((a, b) => a.order - b.order);
  },
};

/**
 * Verify `qr` against the journal and record the verdict, then return it. An OK scan is
 * committed (accepted + scans, one transaction) before this returns. REPLAYs are not
 * stored again: the accepted scan is already there.
 */
export function judge(qr, { trustList, merchantId, now, credentials = null }) {
  return withLock(JUDGE_LOCK, async () => {
    const result = await verifyQr(qr, { trustList, merchantId, now, journal: journalView, credentials });
    if (result.code === ResultCode.REPLAY) return result;
    const db = await openDb();
    const tx = db.transaction(['accepted', 'scans'], 'readwrite', TX);
    const token = result.token;
    const scan = {
      scannedAt: now,
      qr: String(qr).trim(),
      code: result.code,
      message: result.message,
      kind: token?.type ?? null,
      amountCents: result.ok ? token.amountCents : null,
      trustListSeq: trustList.seq,
      tokenId: result.ok ? acceptedRecord(result).tokenId : null,
      state: 'new',
    };
    if (result.ok) {
      const record = acceptedRecord(result);
      for (const k of Object.keys(record)) if (record[k] === null) delete record[k]; // not indexed
      tx.objectStore('accepted').add({ ...record, order: Date.now() + Math.random() });
    }
    tx.objectStore('scans').add(scan);
    await committed(tx);
    return result;
  });
}

/** Today's accepted scans (local day) and their sum, newest first. */
export async function takings(now) {
  const start = new Date(now * 1000);
  start.setHours(0, 0, 0, 0);
  const db = await openDb();
  const range = IDBKeyRange.lowerBound(Math.floor(start.getTime() / 1000));
  const rows = await request(db.transaction('scans').objectStore('scans').index('scannedAt').getAll(range));
  const ok = rows.filter((s) => s.code === ResultCode.OK).reverse();
  return { count: ok.length, cents: ok.reduce((sum, s) => sum + Number(s.amountCents), 0), scans: ok };
}

export async function unsentCount() {
  const db = await openDb();
  const index = db.transaction('scans').objectStore('scans').index('state');
  const [fresh, batched] = await Promise.all([request(index.count('new')), request(index.count('batched'))]);
  return fresh + batched;
}

// -- batches for the server --------------------------------------------------------

/**
 * The batch to send next: an unsent one again (same id, same scans), else a new one,
 * committed before it is returned, so a retry after a crash, a reload or a timeout
 * carries the same `batch_id` and the server counts it once.
 */
export async function pendingBatch(now, limit = 500) {
  const db = await openDb();
  const tx = db.transaction(['batches', 'scans'], 'readwrite', TX);
  const batches = tx.objectStore('batches');
  const scans = tx.objectStore('scans');
  const open = (await request(batches.getAll())).filter((b) => b.sentAt === undefined);
  let batch = open.sort((a, b) => a.createdAt - b.createdAt)[0] ?? null;
  if (batch === null) {
    const fresh = await request(scans.index('state').getAll('new', limit));
    if (fresh.length) {
      batch = { batchId: crypto.randomUUID().replaceAll('-', ''), createdAt: now, scanIds: fresh.map((s) => s.id) };
      batches.add(batch);
      for (const scan of fresh) scans.put({ ...scan, state: 'batched', batchId: batch.batchId });
    }
  }
  const rows = batch === null ? [] : await Promise.all(batch.scanIds.map((id) => request(scans.get(id))));
  await committed(tx);
  if (batch === null) return null;
  return {
    batchId: batch.batchId,
    scans: rows.map((s) => ({ qr: s.qr, scanned_at: s.scannedAt, result: s.code, trust_list_seq: s.trustListSeq })),
  };
}

/** Record the server's answer; only then are the batch's scans sent. */
export async function markSent(batchId, now, answer) {
  const db = await openDb();
  const tx = db.transaction(['batches', 'scans'], 'readwrite', TX);
  const batch = await request(tx.objectStore('batches').get(batchId));
  tx.objectStore('batches').put({ ...batch, sentAt: now, answer });
  for (const id of batch.scanIds) {
    const scan = await request(tx.objectStore('scans').get(id));
    tx.objectStore('scans').put({ ...scan, state: 'sent', sentAt: now });
  }
  return committed(tx);
}
