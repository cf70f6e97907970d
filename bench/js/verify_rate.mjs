// Node: SSA1 scans verified per second by the shared JavaScript core (keys/js/verify.js,
// from QR text: base45, CBOR, COSE, steps 1-13, an in-memory journal), against raw
// @noble/ed25519 verifyAsync of exactly the signatures those scans carry, in the same run.
// Input (argv[2], JSON): {sets: {name: {trust_list, root, merchant, scans: [[now, qr]]}}}.
import { readFileSync } from 'node:fs';

import * as noble from '../../node_modules/@noble/ed25519/index.js';
import { fromHex } from '../../keys/js/bytes.js';
import { CredentialCache, decodeToken, fromQr } from '../../keys/js/tokens.js';
import { openTrustList } from '../../keys/js/trust_list.js';
import { MemoryJournal, verifyQr } from '../../keys/js/verify.js';

const ROUNDS = 5;
const input = JSON.parse(readFileSync(process.argv[2], 'utf8'));

/** The (signature, message, key) triples a till checks for these scans (issuer then member). */
function signaturesOf(set, trustList) {
  const out = [];
  for (const [, qr] of set.scans) {
    let token;
    try {
      token = decodeToken(fromQr(qr));
    } catch {
      continue; // MALFORMED: no signature is checked
    }
    const issued = token.type === 'payment' ? token.credential : token;
    const issuer = issued.kid ? trustList.issuer(issued.kid) : null;
    if (!issuer || (token.type !== 'payment' && token.type !== 'voucher')) continue;
    out.push([issued.sign1.signature, issued.sign1.toBeSigned(), issuer.key]);
    if (token.type === 'payment') out.push([token.sign1.signature, token.sign1.toBeSigned(), token.credential.memberPublicKey]);
  }
  return out;
}

async function verifierSeconds(set, trustList, cached) {
  const started = performance.now();
  const credentials = cached ? new CredentialCache() : null;
  let journal = new MemoryJournal();
  for (const [now, qr] of set.scans) {
    const result = await verifyQr(qr, { trustList, merchantId: set.merchant, now, journal, credentials });
    journal.record(result);
  }
  journal = null;
  return (performance.now() - started) / 1000;
}

async function rawSeconds(triples) {
  const started = performance.now();
  for (const [sig, msg, key] of triples) await noble.verifyAsync(sig, msg, key);
  return (performance.now() - started) / 1000;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const out = {};
for (const [name, set] of Object.entries(input.sets)) {
  const trustList = await openTrustList(fromHex(set.trust_list), fromHex(set.root));
  const triples = signaturesOf(set, trustList);
  const samples = { raw: [], uncached: [], cached: [] };
  await verifierSeconds(set, trustList, true); // warm the JIT and the point caches
  await rawSeconds(triples);
  for (let i = 0; i < ROUNDS; i++) { // interleaved, so machine noise hits every figure alike
    samples.raw.push(await rawSeconds(triples));
    samples.uncached.push(await verifierSeconds(set, trustList, false));
    samples.cached.push(await verifierSeconds(set, trustList, true));
  }
  const n = set.scans.length;
  out[name] = {
    scans: n,
    signatures: triples.length,
    raw_noble_scans_per_s: Math.round(n / median(samples.raw)),
    verifier_scans_per_s: Math.round(n / median(samples.uncached)),
    verifier_cached_scans_per_s: Math.round(n / median(samples.cached)),
    ratio_uncached: Number((median(samples.raw) / median(samples.uncached)).toFixed(3)),
    ratio_cached: Number((median(samples.raw) / median(samples.cached)).toFixed(3)),
  };
}
process.stdout.write(`${JSON.stringify(out)}\n`);
