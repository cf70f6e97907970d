// The typed SSA1 objects — credential, payment, paper voucher — and their QR form; the twin
// of keys/tokens.py. `decodeToken` checks shape and field types only, with keys/tokens.py's
// order and messages, and returns objects whose signatures are NOT verified yet (that is
// verify.js's job). The wallet builds payments here and reads the credential it holds.
import { CBORError, decode, encode } from './cbor.js';
import { Base45Error, b45decode, b45encode } from './base45.js';
import { MalformedCOSE, parseSign1, sign1 } from './cose.js';
import { sha256 } from './bytes.js';
import { PUBLIC_KEY_BYTES } from './ed25519.js';
import { firstCodePoints, pyLen, repr } from './pyformat.js';

export const QR_PREFIX = 'SSA1:';
export const MAX_QR_CHARS = 4296; // the largest QR code (version 40, alphanumeric)

// Payload keys (SPEC §3), named as keys/tokens.py names them.
export const ISS = 1, SUB = 2, AUD = 3, EXP = 4, NBF = 5, IAT = 6, CTI = 7, CNF = 8;
export const TYP = -1, AMT = -2, CRED = -4, SEQ = -5, CUM = -6;
// COSE_Key (RFC 9052 §7, RFC 8037): kty OKP, crv Ed25519, x.
export const KTY = 1, KTY_OKP = 1, CRV = -1, CRV_ED25519 = 6, X = -2;
export const TYP_CREDENTIAL = 1, TYP_PAYMENT = 2, TYP_VOUCHER = 3;

/** The QR text or its bytes are not a well-formed SSA1 object. */
export class MalformedToken extends Error {}
export { MalformedToken as TokenError };

// SPEC §1: verifiers strip surrounding white space (a keyboard-wedge reader sends CR/LF)
// "and nothing else": exactly keys/tokens.py's _WHITESPACE, not String.prototype.trim's
// Unicode set (U+00A0, U+FEFF, U+2028... are not stripped, so such a QR is malformed).
export const WHITESPACE = ' \t\r\n\x0b\x0c';

/** `text` without the WHITESPACE characters at either end (Python's str.strip(chars)). */
export function stripWhitespace(text) {
  let start = 0;
  let end = text.length;
  while (start < end && WHITESPACE.includes(text[start])) start++;
  while (end > start && WHITESPACE.includes(text[end - 1])) end--;
  return text.slice(start, end);
}

/** Identity of a token: SHA-256 of its signed payload (a re-wrapped copy is the same token). */
export const tokenId = (payload) => sha256(payload);

export function toQr(cose) {
  return QR_PREFIX + b45encode(cose);
}

/** COSE bytes from QR text; surrounding WHITESPACE is ignored, nothing else. */
export function fromQr(text) {
  const t = stripWhitespace(String(text));
  const length = pyLen(t);
  if (length > MAX_QR_CHARS) {
    throw new MalformedToken(`QR text of ${length} characters is longer than any QR code holds`);
  }
  if (!t.startsWith(QR_PREFIX)) throw new MalformedToken('QR text does not start with the SSA1: prefix');
  try {
    return b45decode(t.slice(QR_PREFIX.length));
  } catch (error) {
    if (error instanceof Base45Error) throw new MalformedToken(error.message);
    throw error;
  }
}

// -- encoding (what the wallet makes) -------------------------------------------

function uintArg(name, value) {
  if (!Number.isSafeInteger(value) || value < 0) throw new MalformedToken(`${name} must be a uint`);
  return value;
}

/**
 * The payment payload of SPEC §3 (typ 2): cred, amt, seq, cum, iat and optional aud,
 * signed by the member key (`signer`: async bytes => 64-byte signature). Returns COSE bytes.
 */
export async function encodePayment({ credentialCose, amountCents, seq, cumulativeCents, iat, aud = null }, signer) {
  const payload = new Map([
    [TYP, TYP_PAYMENT],
    [CRED, credentialCose],
    [AMT, uintArg('amount', amountCents)],
    [SEQ, uintArg('seq', seq)],
    [CUM, uintArg('cum', cumulativeCents)],
    [IAT, uintArg('iat', iat)],
  ]);
  if (aud !== null) payload.set(AUD, String(aud));
  return sign1(encode(payload), signer);
}

// -- decoding -------------------------------------------------------------------

const isUint = (v) => (typeof v === 'number' && v >= 0) || (typeof v === 'bigint' && v >= 0n);

function field(payload, key, name) {
  if (!payload.has(key)) throw new MalformedToken(`missing field ${name} (${key})`);
  return payload.get(key);
}

function uint(payload, key, name) {
  const value = field(payload, key, name);
  if (!isUint(value)) {
    throw new MalformedToken(`${name} must be an unsigned integer, got ${firstCodePoints(repr(value), 40)}`);
  }
  if (typeof value === 'bigint' && value > 9223372036854775807n) {
    // as keys/tokens.py: a uint must fit a signed 64-bit integer (journals, databases)
    throw new MalformedToken(`${name} ${value} does not fit a signed 64-bit integer`);
  }
  return value;
}

function tstr(payload, key, name) {
  const value = field(payload, key, name);
  if (typeof value !== 'string') throw new MalformedToken(`${name} must be a text string`);
  return value;
}

function bstr(payload, key, name, lo, hi) {
  const value = field(payload, key, name);
  if (!(value instanceof Uint8Array) || value.length < lo || value.length > hi) {
    throw new MalformedToken(`${name} must be a byte string of ${lo}..${hi} bytes`);
  }
  return value;
}

function memberKey(payload) {
  const cnf = field(payload, CNF, 'cnf');
  const key = cnf instanceof Map ? cnf.get(1) : undefined;
  if (!(key instanceof Map)) throw new MalformedToken('cnf must be {1: COSE_Key}');
  if (key.get(KTY) !== KTY_OKP || key.get(CRV) !== CRV_ED25519) {
    throw new MalformedToken('cnf key is not an Ed25519 OKP key');
  }
  const x = key.get(X);
  if (!(x instanceof Uint8Array) || x.length !== PUBLIC_KEY_BYTES) {
    throw new MalformedToken('cnf key x must be 32 bytes');
  }
  return x;
}

function payloadMap(sign) {
  let payload;
  try {
    payload = decode(sign.payload);
  } catch (error) {
    if (error instanceof CBORError) throw new MalformedToken(`payload is not CBOR: ${error.message}`);
    throw error;
  }
  if (!(payload instanceof Map)) throw new MalformedToken('payload must be a CBOR map');
  return payload;
}

function parse(data, what) {
  try {
    return parseSign1(data);
  } catch (error) {
    if (error instanceof MalformedCOSE) throw new MalformedToken(`${what}: ${error.message}`);
    throw error;
  }
}

function needKid(sign, what) {
  if (sign.kid === null) throw new MalformedToken(`${what} has no kid in its protected header`);
}

function credential(sign, payload) {
  needKid(sign, 'credential');
  return {
    type: 'credential',
    iss: tstr(payload, ISS, 'iss'),
    sub: bstr(payload, SUB, 'sub', 8, 8),
    cti: bstr(payload, CTI, 'cti', 8, 16),
    nbf: uint(payload, NBF, 'nbf'),
    exp: uint(payload, EXP, 'exp'),
    allowanceCents: uint(payload, AMT, 'amt'),
    memberPublicKey: memberKey(payload),
    sign1: sign,
    kid: sign.kid,
  };
}

/** A credential's COSE bytes decoded; a non-credential typ comes back as an 'other' token. */
export function decodeCredential(data) {
  const sign = parse(data, 'credential');
  const payload = payloadMap(sign);
  const typ = uint(payload, TYP, 'typ');
  if (typ !== TYP_CREDENTIAL) return { type: 'other', typ, sign1: sign, embedded: false };
  return credential(sign, payload);
}

/**
 * Decode any SSA1 object's COSE bytes, checking shape and types (not signatures).
 * A payment whose embedded object is not a credential is an 'other' token of that
 * object's typ, `embedded` (WRONG_TYPE). `credentials` is an optional CredentialCache.
 */
export function decodeToken(data, credentials = null) {
  const sign = parse(data, 'token');
  const payload = payloadMap(sign);
  const typ = uint(payload, TYP, 'typ');
  if (typ === TYP_PAYMENT) return payment(sign, payload, credentials);
  if (typ === TYP_VOUCHER) {
    needKid(sign, 'voucher');
    const sub = payload.has(SUB) ? bstr(payload, SUB, 'sub', 8, 8) : null;
    return {
      type: 'voucher',
      iss: tstr(payload, ISS, 'iss'),
      cti: bstr(payload, CTI, 'cti', 8, 16),
      amountCents: uint(payload, AMT, 'amt'),
      nbf: uint(payload, NBF, 'nbf'),
      exp: uint(payload, EXP, 'exp'),
      sub,
      sign1: sign,
      kid: sign.kid,
    };
  }
  if (typ === TYP_CREDENTIAL) return credential(sign, payload);
  return { type: 'other', typ, sign1: sign, embedded: false };
}

function payment(sign, payload, credentials) {
  const amountCents = uint(payload, AMT, 'amt');
  const seq = uint(payload, SEQ, 'seq');
  const cumulativeCents = uint(payload, CUM, 'cum');
  const iat = uint(payload, IAT, 'iat');
  const aud = payload.has(AUD) ? tstr(payload, AUD, 'aud') : null;
  const credBytes = field(payload, CRED, 'cred');
  if (!(credBytes instanceof Uint8Array)) throw new MalformedToken('cred must be a byte string');
  let cred = credentials?.get(credBytes) ?? null;
  if (cred === null) {
    const decoded = decodeCredential(credBytes);
    if (decoded.type === 'other') return { type: 'other', typ: decoded.typ, sign1: sign, embedded: true };
    cred = decoded;
    credentials?.put(credBytes, cred);
  }
  return { type: 'payment', credential: cred, credentialCose: credBytes, amountCents, seq, cumulativeCents, iat, aud, sign1: sign };
}

/**
 * Bounded memory of decoded credentials and of issuer signatures already checked: many
 * payments carry the same credential. Keyed by the exact bytes, so a tampered credential
 * never hits a cached entry. It never changes a verdict, only its cost.
 */
export class CredentialCache {
  constructor(maxEntries = 4096) {
    this.max = maxEntries;
    this.entries = new Map();
  }

  static key(bytes) {
    let s = '';
    for (let i = 0; i < bytes.length; i += 4096) s += String.fromCharCode(...bytes.subarray(i, i + 4096));
    return s;
  }

  get(credBytes) {
    const key = CredentialCache.key(credBytes);
    const entry = this.entries.get(key);
    if (entry === undefined) return null;
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.credential;
  }

  put(credBytes, cred) {
    this.entries.set(CredentialCache.key(credBytes), { credential: cred, verifiedWith: null });
    if (this.entries.size > this.max) this.entries.delete(this.entries.keys().next().value);
  }

  verifiedWith(credBytes) {
    return this.entries.get(CredentialCache.key(credBytes))?.verifiedWith ?? null;
  }

  markVerified(credBytes, issuerPublicKey) {
    const entry = this.entries.get(CredentialCache.key(credBytes));
    if (entry !== undefined) entry.verifiedWith = issuerPublicKey;
  }
}

/**
 * Read an allowance credential (typ 1) the wallet received, WITHOUT checking the issuer
 * signature (the till does that): what the member sees and what payments embed.
 */
export function readCredentialUnverified(cose) {
  const decoded = decodeCredential(cose);
  if (decoded.type !== 'credential') throw new MalformedToken('not an allowance credential');
  if (decoded.sign1.alg !== -8) throw new MalformedToken('credential is not EdDSA');
  if (decoded.exp <= decoded.nbf) throw new MalformedToken('credential ends before it starts');
  const number = (v, name) => {
    if (typeof v !== 'number') throw new MalformedToken(`credential ${name} is out of range`);
    return v;
  };
  return {
    iss: decoded.iss,
    sub: decoded.sub,
    cti: decoded.cti,
    nbf: number(decoded.nbf, 'nbf'),
    exp: number(decoded.exp, 'exp'),
    allowanceCents: number(decoded.allowanceCents, 'amt'),
    memberPublicKey: decoded.memberPublicKey,
  };
}
