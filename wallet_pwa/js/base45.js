// Base45 (RFC 9285): the QR alphanumeric alphabet, so "SSA1:" + base45 fits QR
// alphanumeric mode (SPEC §1).

export class Base45Error extends Error {}

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:';

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
  if (typeof text !== 'string' || text.length % 3 === 1) throw new Base45Error('bad base45 length');
  const values = [...text].map((ch) => {
    const v = ALPHABET.indexOf(ch);
    if (v < 0) throw new Base45Error(`character ${JSON.stringify(ch)} is not base45`);
    return v;
  });
  const out = [];
  for (let i = 0; i < values.length; i += 3) {
    if (i + 2 < values.length) {
      const n = values[i] + values[i + 1] * 45 + values[i + 2] * 2025;
      if (n > 0xffff) throw new Base45Error('base45 triple out of range');
      out.push(n >> 8, n & 0xff);
    } else {
      const n = values[i] + values[i + 1] * 45;
      if (n > 0xff) throw new Base45Error('base45 pair out of range');
      out.push(n);
    }
  }
  return Uint8Array.from(out);
}
