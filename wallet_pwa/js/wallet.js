// The wallet's rules, without any DOM: which credential is in force, the balance, the
// clock the tokens use, refreshing credentials and receipts, making a payment in the safe
// order reserve (commit) -> sign -> record QR (commit) -> only then show it, and
// cancelling one no till accepted (SPEC §3), also to remake a QR gone stale.
import { ApiError, activate, fetchContribution, fetchCredentials, fetchReceipts } from './api.js';
import { equalBytes, fromB64url, toHex } from '../../keys/js/bytes.js';
import { ensureIdentity, loadIdentity, signerFor } from './member_key.js';
import { encodePayment, readCredentialUnverified, toQr } from '../../keys/js/tokens.js';
import * as store from './store.js';

const MIN_CORRECTION_S = 30; // below this, the phone's clock is trusted as it is
const PAY_LOCK = 'ssa-wallet-pay';
// A till refuses a payment older than the trust list's max_token_age_s (STALE); the caisse
// tells its value with the receipts, 10 minutes by default. The wallet calls a QR stale a
// little before, so the member is never sent to the till with one about to be refused.
export const DEFAULT_TOKEN_AGE_S = 600;
export const STALE_MARGIN_S = 30;

export class CredentialError extends Error {}

/** Tells the wallet's other open tabs that the stored data changed (where supported). */
const tabs = globalThis.BroadcastChannel ? new BroadcastChannel('ssa-wallet') : null;
const announce = () => tabs?.postMessage('changed');

/** Calls `fn` when another tab of the wallet changed the stored data. */
export function onOtherTabChange(fn) {
  tabs?.addEventListener('message', () => fn());
}

/** Run `fn` holding a lock shared by every tab of the wallet (where Web Locks exist). */
export function withLock(fn) {
  return globalThis.navigator?.locks ? navigator.locks.request(PAY_LOCK, fn) : fn();
}

export class Wallet {
  constructor() {
    this.identity = null;
    this.credentials = [];
    this.sync = { lastSynced: null, clockOffset: 0 };
    this.contribution = null;
  }

  async load() {
    await withLock(() => store.voidUnissued());
    this.identity = (await loadIdentity()) ?? null;
    this.credentials = await store.listCredentials();
    this.sync = { ...this.sync, ...((await store.getMeta('sync')) ?? {}) };
    this.contribution = (await store.getMeta('contribution')) ?? null;
    return this;
  }

  /** Re-read what another tab may have changed: credentials with their counters, sync. */
  async reload() {
    if (!this.identity) this.identity = (await loadIdentity()) ?? null;
    this.credentials = await store.listCredentials();
    this.sync = { lastSynced: null, clockOffset: 0, ...((await store.getMeta('sync')) ?? {}) };
    return this;
  }

  get activated() {
    return this.identity !== null && this.credentials.length > 0;
  }

  /** Epoch seconds by the caisse's clock (this phone's, corrected at the last sync). */
  now() {
    const offset = this.sync.clockOffset ?? 0;
    return Math.floor(Date.now() / 1000) + (Math.abs(offset) >= MIN_CORRECTION_S ? offset : 0);
  }

  /** The credential in force now (the latest-starting one), or null. */
  current(now = this.now()) {
    const valid = this.credentials.filter((c) => c.nbf <= now && now < c.exp);
    valid.sort((a, b) => b.nbf - a.nbf);
    return valid[0] ?? null;
  }

  balance(cred = this.current()) {
    return cred ? cred.allowanceCents - cred.cum : 0;
  }

  async payments(cred = this.current()) {
    if (!cred) return [];
    return (await store.listPayments(cred.ctiHex)).sort((a, b) => b.seq - a.seq);
  }

  async #storeCredentials(encoded, offset) {
    let kept = 0;
    for (const text of encoded) {
      let cose;
      let cred;
      try {
        cose = fromB64url(text);
        cred = readCredentialUnverified(cose);
      } catch {
        continue; // unreadable: ignored, reported below if nothing usable came
      }
      if (!equalBytes(cred.memberPublicKey, this.identity.publicKey)) continue;
      await store.putCredential({
        ctiHex: toHex(cred.cti),
        cose,
        iss: cred.iss,
        subHex: toHex(cred.sub),
        nbf: cred.nbf,
        exp: cred.exp,
        allowanceCents: cred.allowanceCents,
        receivedAt: this.now(),
      });
      kept++;
    }
    if (encoded.length && !kept) throw new CredentialError('no usable credential');
    const clockOffset = offset ?? this.sync.clockOffset ?? 0;
    this.sync = {
      lastSynced: Math.floor(Date.now() / 1000) + clockOffset,
      clockOffset,
      ...(this.sync.maxTokenAgeS ? { maxTokenAgeS: this.sync.maxTokenAgeS } : {}),
    };
    await store.setMeta('sync', this.sync);
    this.credentials = await store.listCredentials();
    announce();
  }

  /** Activate with the one-time code from the caisse's link. */
  async activate(code) {
    globalThis.navigator?.storage?.persist?.().catch(() => {});
    this.identity = await ensureIdentity();
    try {
      const { credentials, offset } = await activate(code, this.identity.publicKey);
      await this.#storeCredentials(credentials, offset);
      await this.#fetchContribution(signerFor(this.identity));
    } catch (err) {
      // The code may have been spent by an earlier attempt whose answer was lost:
      // the caisse then knows our key, and the signed refresh gets the credential.
      if (!(err instanceof ApiError && err.kind === 'code')) throw err;
      try {
        await this.refresh();
      } catch {
        throw err;
      }
      if (!this.credentials.length) throw err;
    }
  }

  /** True while the caisse's last answer refused this wallet's key (401/403). */
  get keyRefused() {
    return Boolean(this.sync.keyRefusedAt);
  }

  /** Signed GET of the current (and next) credentials; corrects the clock from Date. */
  async refresh() {
    if (!this.identity) return;
    const signer = signerFor(this.identity);
    let answer;
    try {
      try {
        answer = await fetchCredentials(this.identity.publicKey, signer, this.now());
      } catch (err) {
        const off = err instanceof ApiError ? err.offset : null;
        if (err.kind !== 'key' || off === null || Math.abs(off - (this.sync.clockOffset ?? 0)) < 60) throw err;
        this.sync = { ...this.sync, clockOffset: off }; // refused for our clock: retry once on theirs
        answer = await fetchCredentials(this.identity.publicKey, signer, this.now());
      }
    } catch (err) {
      // The caisse no longer knows this key (the member was enrolled again on another
      // phone, or revoked). Remember it so the member is told, even offline, and keep
      // everything: the credential, counters and history stay as they are.
      if (err instanceof ApiError && err.kind === 'key') {
        this.sync = { ...this.sync, keyRefusedAt: this.now() };
        await store.setMeta('sync', this.sync);
        announce();
      }
      throw err;
    }
    await this.#storeCredentials(answer.credentials, answer.offset);
    try {
      await this.refreshReceipts();
    } catch {
      // receipts are news, not money: an older caisse or a failure leaves the history as it was
      await this.#fetchContribution(signer);
  }
  }

  /** Seconds a QR stays acceptable at a till (from the caisse, else the SPEC default). */
  get tokenAgeS() {
    return this.sync.maxTokenAgeS ?? DEFAULT_TOKEN_AGE_S;
  }

  /** True when a till would refuse this payment's QR as too old (or is about to). */
  isStale(payment, now = this.now()) {
    return now - payment.iat >= this.tokenAgeS - STALE_MARGIN_S;
  }

  /** Seconds until this payment's QR goes stale (0 when it already is). */
  staleIn(payment, now = this.now()) {
    return Math.max(0, payment.iat + this.tokenAgeS - STALE_MARGIN_S - now);
  }

  /**
   * Whether the member may still cancel this payment: issued, on a credential still held,
   * nothing built on it (the credential's cum is still its cum), and not known to the
   * caisse (a receipt says a till accepted it: cancelling it would be double spending).
   */
  canCancel(payment) {
    if (payment?.status !== 'issued') return false;
    if (payment.receipt && payment.receipt.status !== 'refused') return false;
    const cred = this.credentials.find((c) => c.ctiHex === payment.ctiHex);
    return Boolean(cred) && cred.cum === payment.cum;
  }

  async #pay(amountCents) {
    const signer = signerFor(this.identity);
    const cred = this.current();
    if (!cred) throw new CredentialError('no credential in force');
    const reserved = await store.reservePayment(cred.ctiHex, amountCents, this.now());
    const cose = await encodePayment(
      {
        credentialCose: cred.cose,
        amountCents,
        seq: reserved.seq,
        cumulativeCents: reserved.cum,
        iat: reserved.iat,
      },
      signer,
    );
    return store.issuePayment(cred.ctiHex, reserved.seq, toQr(cose));
  }

  async #changed(result) {
    this.credentials = await store.listCredentials();
    announce();
    return result;
  }

  /** "Ma cotisation", kept so it shows offline; the allowance never depends on it. */
  async #fetchContribution(signer) {
    try {
      this.contribution = await fetchContribution(this.identity.publicKey, signer, this.now());
      await store.setMeta('contribution', this.contribution);
    } catch {
      // a caisse without contributions answers 404; offline, the last one stays shown
    }
  }

  /**
   * Make a payment of `amountCents` on the current credential. Resolves to the stored
   * payment (with its QR text) once seq/cum and then the QR are durably committed.
   */
  async pay(amountCents) {
    return this.#changed(await withLock(() => this.#pay(amountCents)));
  }

  /**
   * Cancel a payment the shop did not scan (SPEC §3): the amount goes back to the balance,
   * the seq is never used again, and later payments' cum leave it out.
   */
  async cancel(payment) {
    return this.#changed(await withLock(() => store.cancelPayment(payment.ctiHex, payment.seq, this.now())));
  }

  /** The member says the shop scanned it: keep it, and do not ask again. */
  async keep(payment) {
    return this.#changed(await store.markScanned(payment.ctiHex, payment.seq, this.now()));
  }

  /**
   * A QR went stale before the till scanned it: cancel it and make a new one of the same
   * amount, in one hold of the payment lock (no other tab pays in between). Resolves to the
   * new payment. If the new one cannot be made, the old one stays cancelled: the amount is
   * back on the balance, never charged twice.
   */
  async remake(payment) {
    return this.#changed(
      await withLock(async () => {
        await store.cancelPayment(payment.ctiHex, payment.seq, this.now());
        this.credentials = await store.listCredentials();
        return this.#pay(payment.amountCents);
      }),
    );
  }

  /** Signed GET of the receipts; stored on the payments. Errors are the caller's to ignore. */
  async refreshReceipts() {
    if (!this.identity) return 0;
    const { receipts, maxTokenAgeS } = await fetchReceipts(this.identity.publicKey, signerFor(this.identity), this.now());
    if (Number.isSafeInteger(maxTokenAgeS) && maxTokenAgeS > 0 && maxTokenAgeS !== this.sync.maxTokenAgeS) {
      this.sync = { ...this.sync, maxTokenAgeS };
      await store.setMeta('sync', this.sync);
    }
    const changed = await store.recordReceipts(receipts);
    if (changed) announce();
    return changed;
  }
}
