// The signed trust list (SPEC §4), the twin of keys/trust_list.py: which issuer keys and
// tokens a till believes. Opened only against the root public key pinned at enrolment;
// `checkRollback` refuses a list older than the installed one, so a stale (less revoked)
// list cannot be replayed to a till.
import { CBORError, decode } from './cbor.js';
import { MalformedCOSE, ALG_EDDSA, parseSign1 } from './cose.js';
import { equalBytes, toHex } from './bytes.js';
import { PUBLIC_KEY_BYTES, keyId } from './ed25519.js';
import { repr } from './pyformat.js';

export const TRUST_LIST_TYPE = 'trust-list';

/** The trust list is not signed by the pinned root key, or not well formed. */
export class TrustListInvalid extends Error {}

/** The trust list is older (lower seq) than the one already installed. */
export class TrustListRollback extends TrustListInvalid {}

class PayloadError extends Error {} // keys/trust_list.py's ValueError and KeyError

function get(m, key) {
  if (!m.has(key)) throw new PayloadError(repr(key)); // str(KeyError('seq')) is "'seq'"
  return m.get(key);
}

function uint(m, key) {
  const value = get(m, key);
  // as keys/trust_list.py: every uint fits a signed 64-bit integer
  const ok =
    (typeof value === 'number' && value >= 0) ||
    (typeof value === 'bigint' && value >= 0n && value <= 9223372036854775807n);
  if (!ok) throw new PayloadError(`${key} must be an unsigned integer below 2**63`);
  return value;
}

function ids(m, key) {
  const value = m.has(key) ? m.get(key) : [];
  if (!Array.isArray(value) || value.some((v) => !(v instanceof Uint8Array))) {
    throw new PayloadError(`${key} must be a list of byte strings`);
  }
  return new Set(value.map(toHex));
}

async function issuer(m) {
  if (!(m instanceof Map)) throw new PayloadError('an issuer entry must be a map');
  const key = get(m, 'key');
  const kid = get(m, 'kid');
  const caisse = get(m, 'caisse');
  if (!(key instanceof Uint8Array) || key.length !== PUBLIC_KEY_BYTES) throw new PayloadError('issuer key must be 32 bytes');
  if (!(kid instanceof Uint8Array) || !equalBytes(kid, await keyId(key))) throw new PayloadError('issuer kid does not match its key');
  if (typeof caisse !== 'string') throw new PayloadError('issuer caisse must be text');
  return { caisse, kid, key, notBefore: uint(m, 'not_before'), notAfter: uint(m, 'not_after') };
}

async function parsePayload(m) {
  if (!(m instanceof Map) || m.get('type') !== TRUST_LIST_TYPE) throw new PayloadError('payload type is not "trust-list"');
  const list = get(m, 'issuers');
  if (!Array.isArray(list)) throw new PayloadError('issuers must be a list');
  const seq = uint(m, 'seq');
  const issuedAt = uint(m, 'issued_at');
  const expiresAt = uint(m, 'expires_at');
  const issuers = [];
  for (const entry of list) issuers.push(await issuer(entry));
  return new TrustList({
    seq, issuedAt, expiresAt, issuers,
    revokedCredentials: ids(m, 'revoked_credentials'),
    revokedMembers: ids(m, 'revoked_members'),
    revokedVouchers: ids(m, 'revoked_vouchers'),
    maxTokenAgeS: uint(m, 'max_token_age_s'),
    maxClockSkewS: uint(m, 'max_clock_skew_s'),
  });
}

export class TrustList {
  constructor(fields) {
    Object.assign(this, fields);
    this.byKid = new Map(this.issuers.map((i) => [toHex(i.kid), i]));
  }

  issuer(kid) {
    return this.byKid.get(toHex(kid)) ?? null;
  }
}

/** Verify `data` (COSE bytes) against the pinned root key and return the trust list. */
export async function openTrustList(data, rootPublicKey) {
  let sign;
  try {
    sign = parseSign1(data);
  } catch (error) {
    if (error instanceof MalformedCOSE) throw new TrustListInvalid(`trust list is not a COSE_Sign1: ${error.message}`);
    throw error;
  }
  if (sign.alg !== ALG_EDDSA) throw new TrustListInvalid('trust list is not signed with EdDSA');
  if (sign.kid !== null && !equalBytes(sign.kid, await keyId(rootPublicKey))) {
    throw new TrustListInvalid('trust list names another root key (kid mismatch)');
  }
  if (!(await sign.verify(rootPublicKey))) {
    throw new TrustListInvalid('trust list signature does not verify against the root key');
  }
  try {
    return await parsePayload(decode(sign.payload));
  } catch (error) {
    if (error instanceof PayloadError || error instanceof CBORError) {
      throw new TrustListInvalid(`trust list payload is not valid: ${error.message}`);
    }
    throw error;
  }
}

/** Refuse a list whose seq is lower than the installed one (equal is a no-op refresh). */
export function checkRollback(next, installedSeq) {
  if (installedSeq !== null && installedSeq !== undefined && next.seq < installedSeq) {
    throw new TrustListRollback(`trust list seq ${next.seq} is older than installed ${installedSeq}`);
  }
}
