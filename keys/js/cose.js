// COSE_Sign1 (RFC 9052) with EdDSA, the envelope of every SSA1 object; the twin of
// keys/cose.py. `parseSign1` checks only the shape and returns data whose signature is not
// checked yet; `verifySign1` checks it over the bytes as received (never re-encoded).
import { CBORError, Tag, bstrHead, decode, encode } from './cbor.js';
import { concatBytes } from './bytes.js';
import { SIGNATURE_BYTES, verify } from './ed25519.js';
import { pyTypeName } from './pyformat.js';

export const COSE_SIGN1_TAG = 18;
export const ALG = 1;
export const KID = 4;
export const ALG_EDDSA = -8;

export class MalformedCOSE extends Error {}

const SIG1_PREFIX = Uint8Array.from([0x84, 0x6a, ...new TextEncoder().encode('Signature1')]);

/** CBOR of ["Signature1", protected, h'', payload], built without re-encoding. */
export function sigStructure(protectedBytes, payload) {
  return concatBytes(
    SIG1_PREFIX, bstrHead(protectedBytes.length), protectedBytes,
    Uint8Array.of(0x40), bstrHead(payload.length), payload,
  );
}

/** An unverified COSE_Sign1: raw protected header and payload, the decoded header. */
export class Sign1 {
  constructor(protectedBytes, header, payload, signature) {
    this.protected = protectedBytes;
    this.header = header;
    this.payload = payload;
    this.signature = signature;
  }

  get alg() {
    return this.header.get(ALG);
  }

  /** The kid, or null when absent (or CBOR null, as keys/cose.py's header.get reads it). */
  get kid() {
    return this.header.get(KID) ?? null;
  }

  toBeSigned() {
    return sigStructure(this.protected, this.payload);
  }

  verify(publicKey) {
    return verify(publicKey, this.toBeSigned(), this.signature);
  }
}

const HEADERS = new Map(); // a few distinct protected headers repeat: one per signing key

function parseHeader(protectedBytes) {
  let header;
  if (protectedBytes.length === 0) header = new Map();
  else {
    try {
      header = decode(protectedBytes);
    } catch (error) {
      if (error instanceof CBORError) throw new MalformedCOSE(`protected header is not CBOR: ${error.message}`);
      throw error;
    }
  }
  if (!(header instanceof Map)) throw new MalformedCOSE('protected header must be a map');
  if (!header.has(ALG)) throw new MalformedCOSE('protected header has no alg');
  const kid = header.get(KID) ?? null;
  if (kid !== null && !(kid instanceof Uint8Array)) throw new MalformedCOSE('kid must be a byte string');
  return header;
}

/** Check the COSE_Sign1 shape (tag 18 optional) and return it unverified. */
export function parseSign1(data) {
  let item;
  try {
    item = decode(data);
  } catch (error) {
    if (error instanceof CBORError) throw new MalformedCOSE(`not CBOR: ${error.message}`);
    throw error;
  }
  if (item instanceof Tag) {
    if (item.tag !== COSE_SIGN1_TAG) throw new MalformedCOSE(`CBOR tag ${item.tag} is not COSE_Sign1 (18)`);
    item = item.value;
  }
  if (!Array.isArray(item) || item.length !== 4) throw new MalformedCOSE('COSE_Sign1 must be an array of 4 items');
  const [protectedBytes, unprotected, payload, signature] = item;
  if (!(protectedBytes instanceof Uint8Array)) throw new MalformedCOSE('protected header must be a byte string');
  if (!(unprotected instanceof Map)) throw new MalformedCOSE('unprotected header must be a map');
  if (!(payload instanceof Uint8Array)) throw new MalformedCOSE('payload must be a byte string');
  if (!(signature instanceof Uint8Array) || signature.length !== SIGNATURE_BYTES) {
    const got = signature instanceof Uint8Array ? signature.length : pyTypeName(signature);
    throw new MalformedCOSE(`signature must be ${SIGNATURE_BYTES} bytes, got ${got}`);
  }
  const id = protectedBytes.length <= 64 ? String.fromCharCode(...protectedBytes) : null;
  let header = id === null ? undefined : HEADERS.get(id);
  if (header === undefined) {
    header = parseHeader(protectedBytes);
    if (id !== null && HEADERS.size < 256) HEADERS.set(id, header);
  }
  return new Sign1(protectedBytes, new Map(header), payload, signature);
}

/**
 * COSE_Sign1 (tag 18) over `payload`: protected header {1: -8} (plus {4: kid} when given),
 * unprotected {}. A `signer` is any async (message: Uint8Array) => 64-byte signature.
 */
export async function sign1(payload, signer, { kid = null } = {}) {
  const header = new Map([[ALG, ALG_EDDSA]]);
  if (kid !== null) header.set(KID, kid);
  const protectedBytes = encode(header);
  const signature = await signer(sigStructure(protectedBytes, payload));
  if (!(signature instanceof Uint8Array) || signature.length !== SIGNATURE_BYTES) {
    throw new MalformedCOSE('the signer did not return a 64-byte signature');
  }
  return encode(new Tag(COSE_SIGN1_TAG, [protectedBytes, new Map(), payload, signature]));
}
