// The member's Ed25519 key. WebCrypto where the browser has Ed25519: the private key is
// generated non-extractable and kept as a CryptoKey in IndexedDB, so no script can ever
// read it. Only where WebCrypto lacks Ed25519, @noble/ed25519 signs with a seed kept in
// IndexedDB (see docs/wallet.md, "Security").
import { getMeta, setMeta } from './store.js';

const ED25519 = { name: 'Ed25519' };
const IDENTITY = 'identity';

async function webCryptoKeyPair() {
  const pair = await crypto.subtle.generateKey(ED25519, false, ['sign', 'verify']);
  const publicKey = new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey));
  return { kind: 'webcrypto', privateKey: pair.privateKey, publicKey };
}

async function nobleKeyPair() {
  const ed = await import('../vendor/noble-ed25519.js');
  const seed = crypto.getRandomValues(new Uint8Array(32));
  return { kind: 'noble', seed, publicKey: await ed.getPublicKeyAsync(seed) };
}

/** The stored identity, or a new one (generated once, at activation). */
export async function ensureIdentity() {
  const existing = await getMeta(IDENTITY);
  if (existing) return existing;
  let identity;
  try {
    identity = await webCryptoKeyPair();
  } catch {
    identity = await nobleKeyPair();
  }
  await setMeta(IDENTITY, { ...identity, createdAt: Math.floor(Date.now() / 1000) });
  return identity;
}

export const loadIdentity = () => getMeta(IDENTITY);

/** An async signer (message bytes -> 64-byte signature) for `identity`. */
export function signerFor(identity) {
  if (identity.kind === 'webcrypto') {
    return async (message) => new Uint8Array(await crypto.subtle.sign(ED25519, identity.privateKey, message));
  }
  return async (message) => {
    const ed = await import('../vendor/noble-ed25519.js');
    return ed.signAsync(message, identity.seed);
  };
}
