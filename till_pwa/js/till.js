// The till's rules, without any DOM: its identity and trust list, enrolment, judging a
// scan, sync (signed batches, then the trust list), and the status the screen shows.
// Time is an argument everywhere (`now`, epoch seconds), as in keys/js/verify.js.
import { toHex } from '../../keys/js/bytes.js';
import { CredentialCache } from '../../keys/js/tokens.js';
import { TrustListRollback, checkRollback, openTrustList } from '../../keys/js/trust_list.js';
import { ApiError, enroll, fetchTrustList, uploadBatch } from './api.js';
import { ensureKey, loadKey, signerFor } from './merchant_key.js';
import * as store from './store.js';

export const WARN_BEFORE_EXPIRY_S = 24 * 3600;
const SYNC_LOCK = 'ssa-till-sync';

/** The enrolment code in what the shopkeeper typed or scanned: a code, or the QR's link. */
export function enrolmentCode(text, origin = globalThis.location?.origin) {
  const t = String(text).trim();
  let url = null;
  try {
    url = /^https?:\/\//i.test(t) ? new URL(t) : null;
  } catch {
    url = null;
  }
  if (url === null) return { code: t, server: null };
  const code = new URLSearchParams(url.hash.slice(1)).get('enrol') ?? '';
  return { code, server: url.origin, otherServer: origin !== undefined && url.origin !== origin };
}

export class Till {
  constructor() {
    this.identity = null; // {merchantId, rootPublicKey, scope}
    this.trustList = null;
    this.key = null;
    this.credentials = new CredentialCache();
  }

  get enrolled() {
    return this.identity !== null && this.trustList !== null;
  }

  async load() {
    this.identity = (await store.getMeta('identity')) ?? null;
    this.key = (await loadKey()) ?? null;
    const bytes = await store.getMeta('trustList');
    this.trustList = bytes && this.identity ? await openTrustList(bytes, this.identity.rootPublicKey) : null;
    return this;
  }

  /** Make the key (kept before the code is spent), spend the code, pin the root, install the list. */
  async enrol(code) {
    this.key = await ensureKey();
    const answer = await enroll(code, this.key.publicKey);
    const trustList = await openTrustList(answer.trustList, answer.rootPublicKey);
    const identity = { merchantId: answer.merchantId, rootPublicKey: answer.rootPublicKey, scope: answer.scope, enrolledAt: Math.floor(Date.now() / 1000) };
    await store.setMeta('trustList', answer.trustList);
    await store.setMeta('identity', identity);
    this.identity = identity;
    this.trustList = trustList;
    return identity;
  }

  /** Judge one scanned text at `now`; resolves after an OK is committed to the journal. */
  judge(text, now) {
    return store.judge(text, { trustList: this.trustList, merchantId: this.identity.merchantId, now, credentials: this.credentials });
  }

  /**
   * Upload every unsent scan, batch by batch, then refresh the trust list; record the time
   * of a complete sync. A revoked till or a suspended shop is remembered (the screen
   * then refuses to take payments); an unreachable server changes nothing.
   */
  sync(now = () => Math.floor(Date.now() / 1000)) {
    return store.withLock(SYNC_LOCK, async () => {
      const report = { batches: 0, received: 0, duplicates: 0, rejected: 0, list: 'same' };
      try {
        const signer = signerFor(this.key);
        let batch;
        while ((batch = await store.pendingBatch(now())) !== null) {
          const answer = await uploadBatch(signer, this.key.publicKey, batch.batchId, batch.scans, now());
          await store.markSent(batch.batchId, now(), answer);
          report.batches += 1;
          for (const name of ['received', 'duplicates', 'rejected']) report[name] += Number(answer[name] ?? 0);
        }
        report.list = await this.refreshTrustList();
      } catch (error) {
        if (error instanceof ApiError && (error.kind === 'revoked' || error.kind === 'suspended')) {
          await store.setMeta('blocked', { kind: error.kind, at: now() });
        }
        throw error;
      }
      await store.setMeta('blocked', null);
      await store.setMeta('lastSync', now());
      return report;
    });
  }

  /** Conditional GET; install a list only if it verifies against the pinned root and is not older. */
  async refreshTrustList() {
    const etag = await store.getMeta('trustListEtag');
    const { bytes, etag: newEtag } = await fetchTrustList(etag);
    if (bytes === null) return 'same';
    const next = await openTrustList(bytes, this.identity.rootPublicKey); // TrustListInvalid: refused
    checkRollback(next, this.trustList?.seq ?? null); // TrustListRollback: refused
    if (next.seq !== this.trustList?.seq) {
      await store.setMeta('trustList', bytes);
      this.trustList = next;
      this.credentials = new CredentialCache();
    }
    if (newEtag) await store.setMeta('trustListEtag', newEtag);
    return 'new';
  }

  /** What the status bar shows: unsent scans, last sync, the list's band, a block. */
  async status(now) {
    const remaining = this.trustList.expiresAt - now;
    const band = remaining <= 0 ? 'error' : remaining <= WARN_BEFORE_EXPIRY_S ? 'warn' : 'ok';
    return {
      merchantId: this.identity.merchantId,
      scope: this.identity.scope ?? null,
      unsent: await store.unsentCount(),
      lastSync: (await store.getMeta('lastSync')) ?? null,
      trustList: { seq: this.trustList.seq, expiresAt: this.trustList.expiresAt, remaining, band },
      blocked: (await store.getMeta('blocked')) ?? null,
      keyId: this.key ? toHex(this.key.publicKey).slice(0, 8) : null,
    };
  }
}

export { ApiError, TrustListRollback };
