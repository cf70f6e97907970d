// A decoding oracle for the Python fuzz tests: one JSON request per line on stdin,
// one JSON answer per line on stdout. Lets hypothesis drive the wallet's own decoders
// and compare them with the Python ones (two readers must never read a token two ways).
import { createInterface } from 'node:readline';
import { CBORError, decode, encode } from '../../../wallet_pwa/js/cbor.js';
import { Base45Error, b45decode } from '../../../wallet_pwa/js/base45.js';
import { TokenError, readCredentialUnverified } from '../../../wallet_pwa/js/ssa1.js';

const OWN_ERRORS = [CBORError, Base45Error, TokenError];
const hex = (bytes) => Buffer.from(bytes).toString('hex');

function answer(run) {
  try {
    return { ok: true, ...run() };
  } catch (error) {
    const own = OWN_ERRORS.some((cls) => error instanceof cls);
    return { ok: false, own, error: `${error.constructor.name}: ${error.message}` };
  }
}

const handlers = {
  cbor: ({ hex: h }) => answer(() => ({ canonical: hex(encode(decode(Uint8Array.from(Buffer.from(h, 'hex'))))) })),
  base45: ({ text }) => answer(() => ({ hex: hex(b45decode(text)) })),
  credential: ({ hex: h }) => answer(() => {
    const c = readCredentialUnverified(Uint8Array.from(Buffer.from(h, 'hex')));
    return { cti: hex(c.cti), allowance: c.allowanceCents };
  }),
};

for await (const line of createInterface({ input: process.stdin })) {
  const request = JSON.parse(line);
  process.stdout.write(JSON.stringify(handlers[request.kind](request)) + '\n');
}
