// The wallet's IndexedDB: the member key, the credentials with their payment counters,
// and the payments. A payment's seq and cum are reserved and committed in one
// transaction BEFORE it is signed, and its QR text is committed BEFORE it is shown, so a
// crash or a reload can never reuse a sequence number (SPEC §5 rule 13).

const DB_NAME = 'ssa-wallet';

export class BalanceError extends Error {}
export class StorageError extends Error {}
/** A payment that can no longer be cancelled: a later payment's `cum` already counts it. */
export class CancelError extends Error {}

let dbPromise = null;
let upgradedAway = false; // a newer version upgraded the database: this page must reload

function request(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

function committed(tx) {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error ?? new StorageError('transaction failed'));
    tx.onabort = () => reject(tx.error ?? new StorageError('transaction aborted'));
  });
}

/**
 * Schema steps by version, each given the database and the upgrade transaction: a new
 * release appends one, and the upgrade runs the steps between the version on the phone
 * and its own, keeping the member's data.
 */
const UPGRADES = [
  (db) => {
    db.createObjectStore('meta');
    db.createObjectStore('credentials', { keyPath: 'ctiHex' });
    db.createObjectStore('payments', { keyPath: ['ctiHex', 'seq'] });
  },
];
const DB_VERSION = UPGRADES.length;

/**
 * A newer wallet in another tab needs this tab's connection closed to upgrade the
 * database: close it at once (running transactions still finish) and tell the page, which
 * reloads into the new version at its first safe moment. A QR already shown stays valid:
 * it was committed before it appeared.
 */
export function openDb() {
  if (upgradedAway) return Promise.reject(new StorageError('a newer wallet holds the database'));
  dbPromise ??= new Promise((resolve, reject) => {
    const req = indexedDB.open(DB_NAME, DB_VERSION);
    req.onupgradeneeded = (event) => {
      for (let v = event.oldVersion; v < DB_VERSION; v += 1) UPGRADES[v](req.result, req.transaction);
    };
    req.onsuccess = () => {
      const db = req.result;
      db.onversionchange = () => {
        db.close();
        upgradedAway = true;
        dispatchEvent(new Event('ssa-storage-upgraded'));
      };
      resolve(db);
    };
    req.onerror = () => {
      dbPromise = null;
      reject(new StorageError(String(req.error)));
    };
    // onblocked: an older tab still holds the database; it closes it on versionchange
    // and this request then proceeds by itself, so there is nothing to do but wait.
  });
  return dbPromise;
}

async function run(stores, mode, body) {
  const db = await openDb();
  const tx = db.transaction(stores, mode, { durability: 'strict' });
  const done = committed(tx);
  let result;
  try {
    result = await body(tx);
  } catch (err) {
    try {
      tx.abort();
    } catch {
      // already finished
    }
    await done.catch(() => {});
    throw err;
  }
  await done;
  return result;
}

export const getMeta = (key) => run(['meta'], 'readonly', (tx) => request(tx.objectStore('meta').get(key)));
export const setMeta = (key, value) =>
  run(['meta'], 'readwrite', (tx) => request(tx.objectStore('meta').put(value, key)));

/** Store a credential received from the caisse, keeping the counters of one already held. */
export function putCredential(cred) {
  return run(['credentials'], 'readwrite', async (tx) => {
    const store = tx.objectStore('credentials');
    const old = await request(store.get(cred.ctiHex));
    const record = { ...cred, seq: old?.seq ?? 0, cum: old?.cum ?? 0, receivedAt: old?.receivedAt ?? cred.receivedAt };
    await request(store.put(record));
    return record;
  });
}

export const listCredentials = () =>
  run(['credentials'], 'readonly', (tx) => request(tx.objectStore('credentials').getAll()));

export function listPayments(ctiHex) {
  const range = IDBKeyRange.bound([ctiHex, 0], [ctiHex, Number.MAX_SAFE_INTEGER]);
  return run(['payments'], 'readonly', (tx) => request(tx.objectStore('payments').getAll(range)));
}

/**
 * Take the next seq and the new cum for a payment of `amountCents` and commit them.
 * Refuses (BalanceError) an amount above the remaining allowance.
 */
export function reservePayment(ctiHex, amountCents, iat) {
  return run(['credentials', 'payments'], 'readwrite', async (tx) => {
    const creds = tx.objectStore('credentials');
    const cred = await request(creds.get(ctiHex));
    if (!cred) throw new StorageError('unknown credential');
    const cum = cred.cum + amountCents;
    if (cum > cred.allowanceCents) throw new BalanceError('over allowance');
    const seq = cred.seq + 1;
    await request(creds.put({ ...cred, seq, cum }));
    const payment = { ctiHex, seq, amountCents, cum, iat, status: 'reserved', qr: null };
    await request(tx.objectStore('payments').put(payment));
    return payment;
  });
}

/** Record the signed QR of a reserved payment; only then may it be shown. */
export function issuePayment(ctiHex, seq, qr) {
  return run(['payments'], 'readwrite', async (tx) => {
    const store = tx.objectStore('payments');
    const payment = await request(store.get([ctiHex, seq]));
    if (!payment || payment.status !== 'reserved') throw new StorageError('payment not reserved');
    const issued = { ...payment, status: 'issued', qr };
    await request(store.put(issued));
    return issued;
  });
}

/**
 * Void payments reserved but never signed (the app died in between): their QR was never
 * shown, so no shop can hold them. Their seq stays used; their amount is given back
 * when nothing was built on top of it (it is the credential's last payment).
 */
export function voidUnissued() {
  return run(['credentials', 'payments'], 'readwrite', async (tx) => {
    const payments = tx.objectStore('payments');
    const creds = tx.objectStore('credentials');
    const pending = (await request(payments.getAll())).filter((p) => p.status === 'reserved');
    pending.sort((a, b) => b.seq - a.seq);
    for (const p of pending) {
      const cred = await request(creds.get(p.ctiHex));
      const refunded = Boolean(cred && cred.seq === p.seq && cred.cum === p.cum);
      if (refunded) {
        // the seq stays consumed; cum goes back so the member loses nothing
        await request(creds.put({ ...cred, cum: cred.cum - p.amountCents }));
      }
      await request(payments.put({ ...p, status: 'void', refunded }));
    }
    return pending.length;
  });
}

/**
 * Cancel an issued payment that no till accepted (SPEC §3 "Cancelling a payment"): its
 * seq stays used, and its amount leaves the credential's `cum`, so every later payment
 * leaves it out. Only the payment nothing was built on may be cancelled (cred.cum is still
 * its cum): taking an amount out from under a later payment would contradict that one.
 */
export function cancelPayment(ctiHex, seq, at) {
  return run(['credentials', 'payments'], 'readwrite', async (tx) => {
    const payments = tx.objectStore('payments');
    const creds = tx.objectStore('credentials');
    const payment = await request(payments.get([ctiHex, seq]));
    const cred = await request(creds.get(ctiHex));
    if (!payment || payment.status !== 'issued' || !cred || cred.cum !== payment.cum) {
      throw new CancelError('this payment can no longer be cancelled');
    }
    await request(creds.put({ ...cred, cum: cred.cum - payment.amountCents }));
    const cancelled = { ...payment, status: 'cancelled', cancelledAt: at };
    await request(payments.put(cancelled));
    return cancelled;
  });
}

/** The member said the shop scanned this payment: it stays, and the question is not asked again. */
export function markScanned(ctiHex, seq, at) {
  return run(['payments'], 'readwrite', async (tx) => {
    const store = tx.objectStore('payments');
    const payment = await request(store.get([ctiHex, seq]));
    if (!payment) throw new StorageError('unknown payment');
    const kept = { ...payment, scannedAnswerAt: at };
    await request(store.put(kept));
    return kept;
  });
}

/**
 * Record what the caisse says it received: `receipts` are {ctiHex, seq, ...} from
 * GET /api/v1/wallet/receipts. Each is kept on the wallet's own payment of that
 * (credential, seq); a receipt for a payment this wallet does not hold is ignored.
 */
export function recordReceipts(receipts) {
  return run(['payments'], 'readwrite', async (tx) => {
    const store = tx.objectStore('payments');
    let changed = 0;
    for (const r of receipts) {
      const payment = await request(store.get([r.ctiHex, r.seq]));
      if (!payment) continue;
      const receipt = { status: r.status, shop: r.shop, scannedAt: r.scannedAt, reason: r.reason ?? null };
      if (JSON.stringify(payment.receipt ?? null) === JSON.stringify(receipt)) continue;
      await request(store.put({ ...payment, receipt }));
      changed++;
    }
    return changed;
  });
}
