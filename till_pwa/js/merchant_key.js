// The till's Ed25519 key, made by WebCrypto: generated non-extractable and kept as a
// CryptoKey in IndexedDB, so no script (not even the till's own) can ever read it. It signs
// the uploads of SPEC §8; the caisse revokes it if the phone is lost.
import { getMeta, setMeta } from './store.js';

const ED25519 = { name: 'Ed25519' };
const KEY = 'merchantKey';

export class NoEd25519 extends Error {}

/** The stored key, or a new one (made once, before the enrolment code is spent). */
export async function ensureKey() {
  const existing = await getMeta(KEY);
  if (existing) return existing;
  let pair;
  try {
    pair = await crypto.subtle.generateKey(ED25519, false, ['sign', 'verify']);
  } catch {
    throw new NoEd25519('WebCrypto has no Ed25519 here');
  }
  const publicKey = new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey));
  const key = { privateKey: pair.privateKey, publicKey, createdAt: Math.floor(Date.now() / 1000) };
  await setMeta(KEY, key);
  return key;
}

export const loadKey = () => getMeta(KEY);

/** An async signer (message bytes -> 64-byte signature) for the stored key. */
export function signerFor(key) {
  return async (message) => new Uint8Array(await crypto.subtle.sign(ED25519, key.privateKey, message));
}
