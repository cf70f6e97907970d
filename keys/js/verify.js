// Verification at the till (SPEC §5), one small function per numbered step: the twin of
// keys/verify.py, with the same codes, the same order and the same messages.
//
// `verifyQr` is a pure function of (QR text, trust list, merchant id, now, journal view): it
// reads no clock and writes nothing. Each step either returns what the next steps need or
// throws a Refusal with the SPEC's code; the first refusal is the result. Recording an OK
// scan is the caller's job (the till's journal commits it before the till shows OK).
//
// A journal view is any object with (possibly async) hasToken(tokenIdHex),
// voucherRedeemed(ctiHex) and paymentsOf(credentialCtiHex) -> [{seq, amountCents,
// cumulativeCents, tokenId}] in the order they were accepted.
import { toHex } from './bytes.js';
import { ALG_EDDSA } from './cose.js';
import { MalformedToken, TYP_PAYMENT, TYP_VOUCHER, decodeToken, fromQr, tokenId } from './tokens.js';
import { repr } from './pyformat.js';

/** Exactly the SPEC's result codes. */
export const ResultCode = Object.freeze({
  OK: 'OK',
  TRUST_LIST_INVALID: 'TRUST_LIST_INVALID',
  TRUST_LIST_EXPIRED: 'TRUST_LIST_EXPIRED',
  MALFORMED: 'MALFORMED',
  UNSUPPORTED_ALG: 'UNSUPPORTED_ALG',
  WRONG_TYPE: 'WRONG_TYPE',
  UNKNOWN_KEY: 'UNKNOWN_KEY',
  BAD_SIGNATURE: 'BAD_SIGNATURE',
  ISSUER_KEY_INVALID: 'ISSUER_KEY_INVALID',
  REVOKED: 'REVOKED',
  NOT_YET_VALID: 'NOT_YET_VALID',
  EXPIRED: 'EXPIRED',
  STALE: 'STALE',
  INVALID_AMOUNT: 'INVALID_AMOUNT',
  OVER_ALLOWANCE: 'OVER_ALLOWANCE',
  WRONG_MERCHANT: 'WRONG_MERCHANT',
  REPLAY: 'REPLAY',
  DOUBLE_SPEND: 'DOUBLE_SPEND',
});

/** A verification step failed; `code` is the result. */
export class Refusal extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

const big = (n) => BigInt(n);

// -- the steps ------------------------------------------------------------------

export function step1TrustListInForce(trustList, now) {
  if (!(now < trustList.expiresAt)) {
    throw new Refusal(ResultCode.TRUST_LIST_EXPIRED, `trust list seq ${trustList.seq} expired at ${trustList.expiresAt}`);
  }
}

/** Prefix, base45, CBOR, COSE_Sign1 shape, 64-byte signature, field types. */
export function step2Parse(qr, credentials) {
  try {
    const cose = fromQr(qr);
    return [cose, decodeToken(cose, credentials)];
  } catch (error) {
    if (error instanceof MalformedToken) throw new Refusal(ResultCode.MALFORMED, error.message);
    throw error;
  }
}

const signers = (token) => (token.type === 'payment' ? [token.sign1, token.credential.sign1] : [token.sign1]);

export function step3Algorithm(token) {
  for (const sign of signers(token)) {
    if (sign.alg !== ALG_EDDSA) throw new Refusal(ResultCode.UNSUPPORTED_ALG, `alg ${repr(sign.alg)} is not EdDSA (-8)`);
  }
}

export function step4Type(token) {
  if (token.type === 'payment' || token.type === 'voucher') return token;
  if (token.type === 'credential') throw new Refusal(ResultCode.WRONG_TYPE, 'a bare credential is not spendable');
  if (token.embedded) {
    const what = token.typ === TYP_PAYMENT ? 'a payment' : token.typ === TYP_VOUCHER ? 'a voucher' : `typ ${token.typ}`;
    throw new Refusal(ResultCode.WRONG_TYPE, `the embedded object is ${what}, not a credential`);
  }
  throw new Refusal(ResultCode.WRONG_TYPE, `typ ${token.typ} is neither a payment nor a voucher`);
}

/** The part signed by the caisse: the payment's credential, or the voucher. */
const issued = (token) => (token.type === 'payment' ? token.credential : token);

export function step5IssuerKey(token, trustList) {
  const part = issued(token);
  const issuer = trustList.issuer(part.kid);
  if (issuer === null || issuer.caisse !== part.iss) {
    throw new Refusal(ResultCode.UNKNOWN_KEY, `issuer key ${toHex(part.kid)} of ${repr(part.iss)} is not in the trust list`);
  }
  return issuer;
}

export async function step6Signatures(token, issuer, credentials) {
  if (token.type === 'voucher') {
    if (!(await token.sign1.verify(issuer.key))) throw new Refusal(ResultCode.BAD_SIGNATURE, 'voucher signature does not verify');
    return;
  }
  const credBytes = token.credentialCose;
  const cached = credentials?.verifiedWith(credBytes) ?? null;
  if (cached !== issuer.key) {
    if (!(await token.credential.sign1.verify(issuer.key))) {
      throw new Refusal(ResultCode.BAD_SIGNATURE, 'credential signature does not verify');
    }
    credentials?.markVerified(credBytes, issuer.key);
  }
  if (!(await token.sign1.verify(token.credential.memberPublicKey))) {
    throw new Refusal(ResultCode.BAD_SIGNATURE, 'payment signature does not verify');
  }
}

export function step7IssuerKeyInForce(issuer, now) {
  if (!(issuer.notBefore <= now && now < issuer.notAfter)) {
    throw new Refusal(
      ResultCode.ISSUER_KEY_INVALID,
      `issuer key ${toHex(issuer.kid)} is valid from ${issuer.notBefore} until ${issuer.notAfter}, not at ${now}`,
    );
  }
}

export function step8Revocation(token, trustList) {
  const [cti, sub, revoked] = token.type === 'payment'
    ? [token.credential.cti, token.credential.sub, trustList.revokedCredentials]
    : [token.cti, token.sub, trustList.revokedVouchers];
  if (revoked.has(toHex(cti))) throw new Refusal(ResultCode.REVOKED, `${toHex(cti)} is revoked`);
  if (sub !== null && trustList.revokedMembers.has(toHex(sub))) throw new Refusal(ResultCode.REVOKED, 'this member is blocked');
}

export function step9ValidityPeriod(token, now) {
  const part = issued(token);
  if (now < part.nbf) throw new Refusal(ResultCode.NOT_YET_VALID, `valid from ${part.nbf}, now ${now}`);
  if (!(now < part.exp)) throw new Refusal(ResultCode.EXPIRED, `expired at ${part.exp}, now ${now}`);
}

export function step10Freshness(token, trustList, now) {
  if (token.type !== 'payment') return;
  const oldest = big(now) - big(trustList.maxTokenAgeS);
  const newest = big(now) + big(trustList.maxClockSkewS);
  if (!(oldest <= token.iat && token.iat <= newest)) {
    throw new Refusal(ResultCode.STALE, `payment made at ${token.iat}, outside [${oldest}, ${newest}]`);
  }
}

export function step11Amounts(token) {
  if (token.amountCents < 1) throw new Refusal(ResultCode.INVALID_AMOUNT, 'amount must be at least 1 cent');
  if (token.type !== 'payment') return;
  if (token.seq < 1) throw new Refusal(ResultCode.INVALID_AMOUNT, 'sequence numbers start at 1');
  if (token.cumulativeCents < token.amountCents) {
    throw new Refusal(ResultCode.INVALID_AMOUNT, 'cumulative total is below the amount');
  }
  if (token.cumulativeCents > token.credential.allowanceCents) {
    throw new Refusal(
      ResultCode.OVER_ALLOWANCE,
      `cumulative ${token.cumulativeCents} exceeds the allowance ${token.credential.allowanceCents}`,
    );
  }
}

export function step12Audience(token, merchantId) {
  const aud = token.type === 'payment' ? token.aud : null;
  if (aud !== null && aud !== merchantId) throw new Refusal(ResultCode.WRONG_MERCHANT, `payment is addressed to ${repr(aud)}`);
}

/**
 * Rule 13 between two payments of one credential: the same seq, or cumulative totals that
 * cannot both be honest (for seq a < seq b, cum_b - amt_b >= cum_a must hold).
 */
export function contradicts(a, b) {
  if (big(a.seq) === big(b.seq)) return true;
  const [first, later] = big(a.seq) < big(b.seq) ? [a, b] : [b, a];
  return big(later.cumulativeCents) - big(later.amountCents) < big(first.cumulativeCents);
}

export async function step13Journal(token, tid, journal) {
  if (await journal.hasToken(toHex(tid))) throw new Refusal(ResultCode.REPLAY, 'already accepted');
  if (token.type === 'voucher') {
    if (await journal.voucherRedeemed(toHex(token.cti))) throw new Refusal(ResultCode.REPLAY, 'voucher already redeemed');
    return;
  }
  for (const earlier of await journal.paymentsOf(toHex(token.credential.cti))) {
    if (contradicts(earlier, token)) {
      throw new Refusal(ResultCode.DOUBLE_SPEND, `payment seq ${token.seq} contradicts accepted seq ${earlier.seq}`);
    }
  }
}

// -- the verifier ---------------------------------------------------------------

/**
 * The verdict on one QR. `token`, `tokenId` and `cose` are set only once the signatures
 * verified: what a forger wrote is never reported as if it meant something.
 */
export class VerifyResult {
  constructor(code, message = '', token = null, tokenIdBytes = null, cose = null) {
    this.code = code;
    this.message = message;
    this.token = token;
    this.tokenId = tokenIdBytes;
    this.cose = cose;
  }

  get ok() {
    return this.code === ResultCode.OK;
  }

  get amountCents() {
    return this.token?.amountCents ?? null;
  }

  /** JSON-ready summary, key for key keys/verify.py's to_json: never a personal datum. */
  toJSON() {
    const out = { code: this.code };
    if (this.message) out.message = this.message;
    const t = this.token;
    if (t?.type === 'payment') {
      const c = t.credential;
      Object.assign(out, {
        kind: 'payment',
        amount_cents: t.amountCents,
        seq: t.seq,
        cumulative_cents: t.cumulativeCents,
        iat: t.iat,
        caisse: c.iss,
        member: toHex(c.sub),
        credential_id: toHex(c.cti),
        allowance_cents: c.allowanceCents,
      });
      if (t.aud !== null) out.aud = t.aud;
    } else if (t?.type === 'voucher') {
      Object.assign(out, { kind: 'voucher', amount_cents: t.amountCents, caisse: t.iss, voucher_id: toHex(t.cti) });
      if (t.sub !== null) out.member = toHex(t.sub);
    }
    if (this.tokenId !== null) out.token_id = toHex(this.tokenId);
    if (!this.ok) delete out.amount_cents; // a refused token's amount is not an amount anybody may rely on
    return out;
  }
}

/**
 * Run SPEC §5 steps 1-13 on one QR text and return the first failing code, or OK.
 * `credentials` (a CredentialCache) only changes the cost, never the verdict.
 */
export async function verifyQr(qr, { trustList, merchantId, now, journal, credentials = null }) {
  let token = null;
  let tid = null;
  let cose = null;
  try {
    step1TrustListInForce(trustList, now);
    const [received, parsed] = step2Parse(qr, credentials);
    step3Algorithm(parsed);
    const spendable = step4Type(parsed);
    const issuer = step5IssuerKey(spendable, trustList);
    await step6Signatures(spendable, issuer, credentials);
    [token, tid, cose] = [spendable, await tokenId(spendable.sign1.payload), received];
    step7IssuerKeyInForce(issuer, now);
    step8Revocation(token, trustList);
    step9ValidityPeriod(token, now);
    step10Freshness(token, trustList, now);
    step11Amounts(token);
    step12Audience(token, merchantId);
    await step13Journal(token, tid, journal);
  } catch (error) {
    if (error instanceof Refusal) return new VerifyResult(error.code, error.message, token, tid, cose);
    throw error;
  }
  return new VerifyResult(ResultCode.OK, '', token, tid, cose);
}

/** What a journal keeps of an OK scan, for rule 13 (hex ids; null for what does not apply). */
export function acceptedRecord(result) {
  const t = result.token;
  return {
    tokenId: toHex(result.tokenId),
    kind: t.type,
    credentialCti: t.type === 'payment' ? toHex(t.credential.cti) : null,
    voucherCti: t.type === 'voucher' ? toHex(t.cti) : null,
    seq: t.type === 'payment' ? t.seq : null,
    amountCents: t.amountCents,
    cumulativeCents: t.type === 'payment' ? t.cumulativeCents : null,
  };
}

/** An in-memory journal of accepted scans (tests, and `verify` without --journal). */
export class MemoryJournal {
  constructor() {
    this.tokens = new Set();
    this.vouchers = new Set();
    this.payments = new Map();
  }

  hasToken(tidHex) {
    return this.tokens.has(tidHex);
  }

  voucherRedeemed(ctiHex) {
    return this.vouchers.has(ctiHex);
  }

  paymentsOf(ctiHex) {
    return this.payments.get(ctiHex) ?? [];
  }

  /** Remember an accepted scan record (acceptedRecord's shape). */
  add(record) {
    this.tokens.add(record.tokenId);
    if (record.voucherCti !== null) this.vouchers.add(record.voucherCti);
    if (record.credentialCti !== null) {
      if (!this.payments.has(record.credentialCti)) this.payments.set(record.credentialCti, []);
      this.payments.get(record.credentialCti).push(record);
    }
  }

  /** Remember an OK scan; anything else is ignored (only OK scans enter a journal). */
  record(result) {
    if (result.ok && result.tokenId !== null) this.add(acceptedRecord(result));
  }
}
