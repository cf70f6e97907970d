// What Python writes, written the same way in JavaScript: `repr()` of the values the SSA1
// decoders produce (the verifier's messages quote them, as keys/ does with !r) and
// `json.dumps()` with its default separators and ensure_ascii. With these, the JavaScript
// verifier's output lines are byte for byte those of `ssa-scanner verify`.
import { Tag } from './cbor.js';

// Python's str.isprintable() is false for these general categories (the space excepted).
const NOT_PRINTABLE = /^[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]$/u;

function escapeChar(code) {
  if (code <= 0xff) return `\\x${code.toString(16).padStart(2, '0')}`;
  if (code <= 0xffff) return `\\u${code.toString(16).padStart(4, '0')}`;
  return `\\U${code.toString(16).padStart(8, '0')}`;
}

function quoteFor(hasSingle, hasDouble) {
  return hasSingle && !hasDouble ? '"' : "'";
}

/** repr() of a Python str. Lone surrogates (from undecodable input) are escaped, as Python does. */
export function reprStr(text) {
  const quote = quoteFor(text.includes("'"), text.includes('"'));
  let out = quote;
  for (let i = 0; i < text.length; i++) {
    let code = text.charCodeAt(i);
    if (code >= 0xd800 && code < 0xdc00 && i + 1 < text.length) {
      const low = text.charCodeAt(i + 1);
      if (low >= 0xdc00 && low < 0xe000) {
        code = 0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00);
        i++;
      }
    }
    const ch = String.fromCodePoint(code);
    if (ch === quote || ch === '\\') out += `\\${ch}`;
    else if (ch === '\t') out += '\\t';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (code < 0x20 || code === 0x7f) out += escapeChar(code);
    else if (code < 0x7f) out += ch;
    else if (code >= 0xd800 && code < 0xe000) out += escapeChar(code); // a lone surrogate
    else out += NOT_PRINTABLE.test(ch) ? escapeChar(code) : ch;
  }
  return out + quote;
}

/** repr() of Python bytes. */
export function reprBytes(bytes) {
  const quote = quoteFor(bytes.includes(0x27), bytes.includes(0x22));
  let out = `b${quote}`;
  for (const b of bytes) {
    const ch = String.fromCharCode(b);
    if (ch === quote || ch === '\\') out += `\\${ch}`;
    else if (b === 0x09) out += '\\t';
    else if (b === 0x0a) out += '\\n';
    else if (b === 0x0d) out += '\\r';
    else if (b < 0x20 || b >= 0x7f) out += `\\x${b.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return out + quote;
}

/** repr() of a value as keys/cbor.py decodes it (int, str, bytes, list, dict, Tag, bool, None). */
export function repr(value) {
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  if (typeof value === 'string') return reprStr(value);
  if (value instanceof Uint8Array) return reprBytes(value);
  if (Array.isArray(value)) return `[${value.map(repr).join(', ')}]`;
  if (value instanceof Map) return `{${[...value].map(([k, v]) => `${repr(k)}: ${repr(v)}`).join(', ')}}`;
  if (value instanceof Tag) return `Tag(tag=${repr(value.tag)}, value=${repr(value.value)})`;
  return String(value);
}

/** The first `n` code points of `text` (Python's `{x:.40}`). */
export function firstCodePoints(text, n) {
  let out = '';
  let count = 0;
  for (const ch of text) {
    if (count++ === n) break;
    out += ch;
  }
  return out;
}

/** The name Python's type() gives a decoded value. */
export function pyTypeName(value) {
  if (value === null || value === undefined) return 'NoneType';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'number' || typeof value === 'bigint') return 'int';
  if (typeof value === 'string') return 'str';
  if (value instanceof Uint8Array) return 'bytes';
  if (Array.isArray(value)) return 'list';
  if (value instanceof Map) return 'dict';
  if (value instanceof Tag) return 'Tag';
  return typeof value;
}

/** The number of code points in `text` (Python's len() of a str). */
export function pyLen(text) {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c < 0xdc00 && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d < 0xe000) i++;
    }
    n++;
  }
  return n;
}

function jsonString(text) {
  let out = '"';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) out += '\\"';
    else if (c === 0x5c) out += '\\\\';
    else if (c === 0x0a) out += '\\n';
    else if (c === 0x0d) out += '\\r';
    else if (c === 0x09) out += '\\t';
    else if (c === 0x08) out += '\\b';
    else if (c === 0x0c) out += '\\f';
    else if (c < 0x20 || c > 0x7e) out += `\\u${c.toString(16).padStart(4, '0')}`;
    else out += text[i];
  }
  return out + '"';
}

/** json.dumps(value) as Python writes it: ", " and ": ", non-ASCII escaped, big ints exact. */
export function jsonDumps(value) {
  if (value === null || value === undefined) return 'null';
  if (value === true) return 'true';
  if (value === false) return 'false';
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  if (typeof value === 'string') return jsonString(value);
  if (Array.isArray(value)) return `[${value.map(jsonDumps).join(', ')}]`;
  return `{${Object.entries(value).map(([k, v]) => `${jsonString(k)}: ${jsonDumps(v)}`).join(', ')}}`;
}
