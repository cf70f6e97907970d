// SSA1 tokens as the wallet needs them (SPEC §1-3): build and sign a payment, and read
// (without verifying: the wallet trusts its own caisse over TLS) the allowance credential
// it holds. A `signer` is any async (message: Uint8Array) => 64-byte signature.
import { decode, encode, Tag } from './cbor.js';
import { b45decode, b45encode } from './base45.js';

export const QR_PREFIX = 'SSA1:';
export const TYP_CREDENTIAL = 1;
export const TYP_PAYMENT = 2;

// Payload keys (SPEC §3), named as keys/tokens.py names them.
export const ISS = 1, SUB = 2, AUD = 3, EXP = 4, NBF = 5, IAT = 6, CTI = 7, CNF = 8;
export const TYP = -1, AMT = -2, CRED = -4, SEQ = -5, CUM = -6;
// COSE_Key (RFC 9052 §7, RFC 8037): kty OKP, crv Ed25519, x.
export const KTY = 1, KTY_OKP = 1, CRV = -1, CRV_ED25519 = 6, X = -2;

const PROTECTED_EDDSA = encode(new Map([[1, -8]])); // {1: -8}, no kid for member keys
const COSE_SIGN1_TAG = 18;

export class TokenError extends Error {}

function sigStructure(protectedBytes, payload) {
  return encode(['Signature1', protectedBytes, new Uint8Array(0), payload]);
}

/** COSE_Sign1 (tag 18) over `payload` bytes, protected header {1: -8}, unprotected {}. */
export async function sign1(payload, signer) {
  const signature = await signer(sigStructure(PROTECTED_EDDSA, payload));
  if (!(signature instanceof Uint8Array) || signature.length !== 64) {
    throw new TokenError('the signer did not return a 64-byte signature');
  }
  return encode(new Tag(COSE_SIGN1_TAG, [PROTECTED_EDDSA, new Map(), payload, signature]));
}

function uint(name, value) {
  if (!Number.isSafeInteger(value) || value < 0) throw new TokenError(`${name} must be a uint`);
  return value;
}

/**
 * The payment payload of SPEC §3 (typ 2): cred, amt, seq, cum, iat and optional aud,
 * signed by the member key. Returns the COSE bytes.
 */
export async function encodePayment({ credentialCose, amountCents, seq, cumulativeCents, iat, aud = null }, signer) {
  const payload = new Map([
    [TYP, TYP_PAYMENT],
    [CRED, credentialCose],
    [AMT, uint('amount', amountCents)],
    [SEQ, uint('seq', seq)],
    [CUM, uint('cum', cumulativeCents)],
    [IAT, uint('iat', iat)],
  ]);
  if (aud !== null) payload.set(AUD, String(aud));
  return sign1(encode(payload), signer);
}

export function toQr(cose) {
  return QR_PREFIX + b45encode(cose);
}

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

/** COSE bytes from QR text; surrounding WHITESPACE is ignored, nothing else. */
export function fromQr(text) {
  const t = stripWhitespace(String(text));
  if (!t.startsWith(QR_PREFIX)) throw new TokenError('not an SSA1 QR');
  return b45decode(t.slice(QR_PREFIX.length));
}

/** The four parts of a COSE_Sign1 (tag 18 optional), shape-checked. */
export function parseSign1(bytes) {
  let item = decode(bytes);
  if (item instanceof Tag) {
    if (item.tag !== COSE_SIGN1_TAG) throw new TokenError(`CBOR tag ${item.tag} is not COSE_Sign1`);
    item = item.value;
  }
  if (!Array.isArray(item) || item.length !== 4) throw new TokenError('not a COSE_Sign1 array');
  const [protectedBytes, unprotected, payload, signature] = item;
  if (!(protectedBytes instanceof Uint8Array) || !(unprotected instanceof Map)) {
    throw new TokenError('bad COSE_Sign1 headers');
  }
  if (!(payload instanceof Uint8Array) || !(signature instanceof Uint8Array) || signature.length !== 64) {
    throw new TokenError('bad COSE_Sign1 payload or signature');
  }
  const header = protectedBytes.length ? decode(protectedBytes) : new Map();
  if (!(header instanceof Map)) throw new TokenError('protected header is not a map');
  return { protectedBytes, header, payload: decode(payload), payloadBytes: payload, signature };
}

function field(map, key, type, name) {
  const v = map.get(key);
  const ok =
    type === 'uint' ? Number.isSafeInteger(v) && v >= 0
    : type === 'bstr' ? v instanceof Uint8Array
    : type === 'tstr' ? typeof v === 'string'
    : v instanceof Map;
  if (!ok) throw new TokenError(`credential field ${name} missing or of the wrong type`);
  return v;
}

/**
 * Read an allowance credential (typ 1) the wallet received, WITHOUT checking the issuer
 * signature (the scanner does that): what the member sees and what payments embed.
 */
export function readCredentialUnverified(cose) {
  const { header, payload } = parseSign1(cose);
  if (header.get(1) !== -8) throw new TokenError('credential is not EdDSA');
  if (!(payload instanceof Map)) throw new TokenError('credential payload is not a map');
  if (payload.get(TYP) !== TYP_CREDENTIAL) throw new TokenError('not an allowance credential');
  const cnf = field(payload, CNF, 'map', 'cnf');
  const coseKey = cnf.get(1);
  if (!(coseKey instanceof Map) || coseKey.get(KTY) !== KTY_OKP || coseKey.get(CRV) !== CRV_ED25519) {
    throw new TokenError('credential cnf is not an Ed25519 key');
  }
  const memberKey = coseKey.get(X);
  if (!(memberKey instanceof Uint8Array) || memberKey.length !== 32) {
    throw new TokenError('credential cnf key is not 32 bytes');
  }
  const sub = field(payload, SUB, 'bstr', 'sub');
  const cti = field(payload, CTI, 'bstr', 'cti');
  if (cti.length < 8 || cti.length > 16) throw new TokenError('credential cti length');
  const nbf = field(payload, NBF, 'uint', 'nbf');
  const exp = field(payload, EXP, 'uint', 'exp');
  if (exp <= nbf) throw new TokenError('credential ends before it starts');
  return {
    iss: field(payload, ISS, 'tstr', 'iss'),
    sub,
    cti,
    nbf,
    exp,
    allowanceCents: field(payload, AMT, 'uint', 'amt'),
    memberPublicKey: memberKey,
  };
}
