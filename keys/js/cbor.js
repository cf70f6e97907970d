// The CBOR subset SSA1 needs (SPEC §2-3), the twin of keys/cbor.py: a deterministic encoder
// (RFC 8949 core deterministic: shortest heads, map keys sorted by their encoded bytes) and
// a strict decoder that refuses what keys/cbor.py refuses, in the same order and with the
// same message: duplicate map keys, trailing bytes, indefinite lengths, map keys other than
// integers and text, floats and undefined, nesting deeper than 16. Maps decode to Map,
// integers to numbers (bigint beyond 2^53), byte strings to Uint8Array.
import { repr } from './pyformat.js';

export class CBORError extends Error {}

export class Tag {
  constructor(tag, value) {
    this.tag = tag;
    this.value = value;
  }
}

export const MAX_DEPTH = 16;
const utf8 = new TextEncoder();
const utf8Strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function head(major, n) {
  const big = BigInt(n);
  if (big < 0n) throw new CBORError('negative length');
  if (big < 24n) return [(major << 5) | Number(big)];
  for (const [info, bytes] of [[24, 1], [25, 2], [26, 4], [27, 8]]) {
    if (big < 1n << BigInt(8 * bytes)) {
      const out = [(major << 5) | info];
      for (let i = bytes - 1; i >= 0; i--) out.push(Number((big >> BigInt(8 * i)) & 0xffn));
      return out;
    }
  }
  throw new CBORError(`integer ${n} does not fit in 64 bits`);
}

/** The head of a byte string of `length` bytes (for building a Sig_structure). */
export const bstrHead = (length) => Uint8Array.from(head(2, length));

/** Encode `value` (number|bigint, string, Uint8Array, Array, Map, Tag, boolean, null). */
export function encode(value) {
  const out = [];
  encodeInto(out, value);
  return Uint8Array.from(out);
}

function compareBytes(a, b) {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

function encodeInto(out, value) {
  if (value === false) out.push(0xf4);
  else if (value === true) out.push(0xf5);
  else if (value === null) out.push(0xf6);
  else if (typeof value === 'number' || typeof value === 'bigint') {
    if (typeof value === 'number' && !Number.isSafeInteger(value)) {
      throw new CBORError(`not an integer: ${value}`);
    }
    const big = BigInt(value);
    out.push(...(big >= 0n ? head(0, big) : head(1, -1n - big)));
  } else if (value instanceof Uint8Array) {
    out.push(...head(2, value.length));
    for (const b of value) out.push(b);
  } else if (typeof value === 'string') {
    const b = utf8.encode(value);
    out.push(...head(3, b.length));
    for (const x of b) out.push(x);
  } else if (Array.isArray(value)) {
    out.push(...head(4, value.length));
    for (const item of value) encodeInto(out, item);
  } else if (value instanceof Map) {
    const items = [...value].map(([k, v]) => [encode(k), v]);
    items.sort((x, y) => compareBytes(x[0], y[0]));
    out.push(...head(5, items.length));
    for (const [k, v] of items) {
      for (const b of k) out.push(b);
      encodeInto(out, v);
    }
  } else if (value instanceof Tag) {
    out.push(...head(6, value.tag));
    encodeInto(out, value.value);
  } else {
    throw new CBORError(`cannot encode ${typeof value} in SSA1 CBOR`);
  }
}

const TRUNCATED = 'CBOR item truncated';

function byteAt(data, pos) {
  if (pos >= data.length) throw new CBORError(TRUNCATED);
  return data[pos];
}

/** Decode exactly one CBOR item filling all of `data` (a Uint8Array). */
export function decode(data) {
  if (!(data instanceof Uint8Array)) throw new CBORError('CBOR input must be bytes');
  const [value, end] = decodeAt(data, 0, 0);
  if (end !== data.length) {
    throw new CBORError(`${data.length - end} trailing byte(s) after the CBOR item`);
  }
  return value;
}

function decodeAt(data, pos, depth) {
  if (depth > MAX_DEPTH) throw new CBORError('CBOR nested too deeply');
  const initial = byteAt(data, pos);
  const major = initial >> 5;
  let arg = initial & 0x1f;
  pos += 1;
  if (major === 7) return decodeSimple(pos, arg);
  if (arg >= 24) {
    if (arg === 24) {
      arg = byteAt(data, pos);
      pos += 1;
    } else if (arg <= 27) {
      const size = 1 << (arg - 24);
      if (pos + size > data.length) throw new CBORError(TRUNCATED);
      let n = 0n;
      for (let i = 0; i < size; i++) n = (n << 8n) | BigInt(data[pos + i]);
      arg = n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
      pos += size;
    } else {
      throw new CBORError(`indefinite or reserved length (additional info ${arg}) at ${pos - 1}`);
    }
  }
  switch (major) {
    case 0:
      return [arg, pos];
    case 1:
      return [typeof arg === 'bigint' || arg >= Number.MAX_SAFE_INTEGER ? -1n - BigInt(arg) : -1 - arg, pos];
    case 2: {
      if (typeof arg === 'bigint' || pos + arg > data.length) throw new CBORError('CBOR string truncated');
      return [data.slice(pos, pos + arg), pos + arg];
    }
    case 3: {
      if (typeof arg === 'bigint' || pos + arg > data.length) throw new CBORError('CBOR string truncated');
      let text;
      try {
        text = utf8Strict.decode(data.subarray(pos, pos + arg));
      } catch {
        throw new CBORError('CBOR text string is not valid UTF-8');
      }
      return [text, pos + arg];
    }
    case 4: {
      if (arg > data.length - pos) throw new CBORError('CBOR array longer than the input');
      const items = [];
      for (let i = 0; i < arg; i++) {
        let item;
        [item, pos] = decodeAt(data, pos, depth + 1);
        items.push(item);
      }
      return [items, pos];
    }
    case 5: {
      if (arg > data.length - pos) throw new CBORError('CBOR map longer than the input');
      const map = new Map();
      for (let i = 0; i < arg; i++) {
        let key;
        let h = byteAt(data, pos);
        if (h < 0x18) {
          key = h;
          pos += 1;
        } else if (h >= 0x20 && h < 0x38) {
          key = 0x1f - h;
          pos += 1;
        } else {
          [key, pos] = decodeAt(data, pos, depth + 1);
          if (typeof key !== 'number' && typeof key !== 'bigint' && typeof key !== 'string') {
            throw new CBORError('CBOR map key is not an integer or a text string');
          }
        }
        if (map.has(key)) throw new CBORError(`duplicate CBOR map key ${repr(key)}`);
        let value;
        h = byteAt(data, pos);
        if (h < 0x18) {
          value = h;
          pos += 1;
        } else {
          [value, pos] = decodeAt(data, pos, depth + 1);
        }
        map.set(key, value);
      }
      return [map, pos];
    }
    default: {
      // major 6: a tag
      const [value, end] = decodeAt(data, pos, depth + 1);
      return [new Tag(arg, value), end];
    }
  }
}

// false, true and null; SSA1 has no floats and no undefined, so they are refused.
function decodeSimple(pos, info) {
  if (info === 20) return [false, pos];
  if (info === 21) return [true, pos];
  if (info === 22) return [null, pos];
  throw new CBORError(`unsupported CBOR simple value or float (additional info ${info})`);
}
