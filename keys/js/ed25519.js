// Ed25519 as SSA1 uses it (the twin of keys/ed25519.py): key ids and detached verification
// that accepts exactly what libsodium's crypto_sign_verify_detached (PyNaCl, the server)
// accepts: S < L, a canonical public key of large order, an R of large order, and the
// cofactorless equation [S]B - [k]A == R checked on R's encoding. A till that accepted a
// signature the server refuses would give goods for a payment nobody pays.
import { Point } from './vendor/noble-ed25519.js';
import { concatBytes, equalBytes, sha256 } from './bytes.js';

export const PUBLIC_KEY_BYTES = 32;
export const SIGNATURE_BYTES = 64;
const L = 2n ** 252n + 27742317777372353535851937790883648493n;

function littleEndian(bytes) {
  let n = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i]);
  return n;
}

/** SSA1 `kid`: the first 8 bytes of SHA-256 of the raw public key. */
export async function keyId(publicKey) {
  return (await sha256(publicKey)).slice(0, 8);
}

// Decoded public keys: a till meets the same few issuer and member keys again and again.
const POINTS = new Map();

function publicPoint(publicKey) {
  const id = String.fromCharCode(...publicKey);
  let point = POINTS.get(id);
  if (point === undefined) {
    try {
      point = Point.fromBytes(publicKey, false); // canonical y < p; x = 0 with the sign bit refused
      if (point.isSmallOrder()) point = null;
    } catch {
      point = null;
    }
    if (POINTS.size > 4096) POINTS.clear();
    POINTS.set(id, point);
  }
  return point;
}

/** True when `signature` is a valid Ed25519 signature of `message` by `publicKey`. Never throws. */
export async function verify(publicKey, message, signature) {
  if (!(publicKey instanceof Uint8Array) || !(signature instanceof Uint8Array)) return false;
  if (publicKey.length !== PUBLIC_KEY_BYTES || signature.length !== SIGNATURE_BYTES) return false;
  const A = publicPoint(publicKey);
  if (A === null) return false;
  const r = signature.subarray(0, 32);
  const s = littleEndian(signature.subarray(32));
  if (s >= L) return false;
  try {
    if (Point.fromBytes(r, true).isSmallOrder()) return false;
  } catch {
    return false; // R is not a point: no [S]B - [k]A can encode to it
  }
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-512', concatBytes(r, publicKey, message)));
  const k = littleEndian(digest) % L;
  const check = Point.BASE.multiply(s, false).subtract(A.multiply(k, false));
  return equalBytes(check.toBytes(), r);
}
