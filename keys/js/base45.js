// Base45 (RFC 9285): the QR alphanumeric alphabet, so "SSA1:" + base45 fits QR
// alphanumeric mode (SPEC §1). Decoding is strict and fails where keys/base45.py fails,
// with the same message: a verifier never guesses.
import { pyLen, reprStr } from './pyformat.js';

export class Base45Error extends Error {}

export const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:';
const VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) VALUE[ALPHABET.charCodeAt(i)] = i;

export function b45encode(bytes) {
  let out = '';
  for (let i = 0; i + 1 < bytes.length; i += 2) {
    let n = bytes[i] * 256 + bytes[i + 1];
    const c = n % 45;
    n = (n - c) / 45;
    out += ALPHABET[c] + ALPHABET[n % 45] + ALPHABET[Math.floor(n / 45)];
  }
  if (bytes.length % 2) {
    const n = bytes[bytes.length - 1];
    out += ALPHABET[n % 45] + ALPHABET[Math.floor(n / 45)];
  }
  return out;
}

export function b45decode(text) {
  if (typeof text !== 'string') throw new Base45Error('base45 input must be text');
  const length = pyLen(text);
  if (length % 3 === 1) {
    throw new Base45Error(`base45 length ${length} is 1 more than a multiple of 3`);
  }
  const values = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    const v = code < 128 ? VALUE[code] : -1;
    if (v < 0) {
      const bad = String.fromCodePoint(text.codePointAt(i));
      throw new Base45Error(`character ${reprStr(bad)} is not in the base45 alphabet`);
    }
    values[i] = v;
  }
  const full = values.length - (values.length % 3);
  const out = new Uint8Array((full / 3) * 2 + (full === values.length ? 0 : 1));
  for (let i = 0; i < full; i += 3) {
    const n = values[i] + values[i + 1] * 45 + values[i + 2] * 2025;
    if (n > 0xffff) throw new Base45Error(`base45 group at ${i} overflows two bytes (${n})`);
    out[(i / 3) * 2] = n >> 8;
    out[(i / 3) * 2 + 1] = n & 0xff;
  }
  if (full !== values.length) {
    const n = values[full] + values[full + 1] * 45;
    if (n > 0xff) throw new Base45Error(`final base45 pair overflows one byte (${n})`);
    out[out.length - 1] = n;
  }
  return out;
}
