// `npm run --silent verify -- --trust-list FILE --root-key KEY --merchant ID [--now EPOCH]
// [--journal FILE] QR... | -`: the till's JavaScript core under node, printing exactly what
// `ssa-scanner verify` (scanner/verify_command.py) prints: one JSON line per QR, the same
// codes, amounts and messages; exit 0 once the QRs could be judged, 3 when the trust list
// does not verify against the root key, 2 for unusable arguments.
import { readFileSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { fromB64url } from '../../keys/js/bytes.js';
import { jsonDumps, reprStr } from '../../keys/js/pyformat.js';
import { CredentialCache } from '../../keys/js/tokens.js';
import { TrustListInvalid, openTrustList } from '../../keys/js/trust_list.js';
import { MemoryJournal, ResultCode, acceptedRecord, verifyQr } from '../../keys/js/verify.js';
import { FileJournal, JournalError } from './file_journal.mjs';

export const EXIT_OK = 0, EXIT_USAGE = 2, EXIT_TRUST_LIST_INVALID = 3;
const PROG = 'ssa-scanner verify';
const USAGE = `usage: ${PROG} [-h] --trust-list FILE --root-key KEY --merchant ID [--now EPOCH] [--journal PATH] QR [QR ...]`;
const OPTIONS = { '--trust-list': 'trustList', '--root-key': 'rootKey', '--merchant': 'merchant', '--now': 'now', '--journal': 'journal' };
// Python's str.strip() white space (str.isspace), for the blank-line test and key parsing.
const PY_SPACE = new Set([...'\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2028\u2029\u202f\u205f\u3000'].concat(
  Array.from({ length: 11 }, (_, i) => String.fromCharCode(0x2000 + i))));
const HELP = `${USAGE}

Verify SSA1 QR texts offline. Exit 0 when judged, 3 when the trust list does not verify
against the root key, 2 for unusable arguments.`;

export class UsageError extends Error {}
class ArgumentError extends Error {}

export function pyStrip(text) {
  const chars = [...text];
  let start = 0;
  let end = chars.length;
  while (start < end && PY_SPACE.has(chars[start])) start++;
  while (end > start && PY_SPACE.has(chars[end - 1])) end--;
  return chars.slice(start, end).join('');
}

/** Python's int() of a command-line value (ASCII digits, a sign, underscores between digits). */
function pyInt(text) {
  const t = pyStrip(text);
  if (!/^[+-]?\d+(?:_\d+)*$/.test(t)) return null;
  const n = BigInt(t.replace(/_/g, ''));
  return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
}

const looksLikeOption = (arg) => arg.startsWith('-') && arg !== '-' && !/^-\d+$|^-\d*\.\d+$/.test(arg) && !arg.includes(' ');

function optionNamed(name) {
  if (name in OPTIONS || name === '--help' || name === '-h') return name;
  const matches = [...Object.keys(OPTIONS), '--help'].filter((o) => name.startsWith('--') && o.startsWith(name));
  if (matches.length > 1) throw new ArgumentError(`ambiguous option: ${name} could match ${matches.join(', ')}`);
  return matches[0] ?? null;
}

/** The command line as argparse (scanner/cli.py) reads it, keys/cli_args.py's gluing included. */
export function parseArgs(argv) {
  const args = { trustList: null, rootKey: null, merchant: null, now: null, journal: null, qr: [] };
  let groups = 0;
  let inGroup = false;
  const positional = (value) => {
    if (!inGroup) groups++;
    inGroup = true;
    if (groups > 1) throw new ArgumentError(`unrecognized arguments: ${value}`);
    args.qr.push(value);
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      for (const rest of argv.slice(i + 1)) positional(rest);
      break;
    }
    if (!looksLikeOption(arg)) {
      positional(arg);
      continue;
    }
    inGroup = false;
    const eq = arg.indexOf('=');
    const name = optionNamed(eq > 0 ? arg.slice(0, eq) : arg);
    if (name === null) throw new ArgumentError(`unrecognized arguments: ${arg}`);
    if (name === '--help' || name === '-h') return { help: true };
    let value;
    if (eq > 0) value = arg.slice(eq + 1);
    else {
      value = argv[i + 1];
      // keys/cli_args.py: a base64url root key may begin with "-"
      const glued = arg === '--root-key' && value !== undefined && value.startsWith('-') && !/^--?[a-z][a-z-]*$/.test(value);
      if (value === undefined || (looksLikeOption(value) && !glued)) throw new ArgumentError(`argument ${name}: expected one argument`);
      i++;
    }
    if (name === '--now') {
      const n = pyInt(value);
      if (n === null) throw new ArgumentError(`argument --now: invalid int value: ${reprStr(value)}`);
      value = n;
    }
    args[OPTIONS[name]] = value;
  }
  const missing = Object.entries(OPTIONS).filter(([name, key]) => name !== '--now' && name !== '--journal' && args[key] === null);
  const required = [...missing.map(([name]) => name), ...(args.qr.length ? [] : ['QR'])];
  if (required.length) throw new ArgumentError(`the following arguments are required: ${required.join(', ')}`);
  return args;
}

/** A 32-byte Ed25519 public key given as hex (64 digits) or base64url. */
export function parsePublicKey(text) {
  const t = pyStrip(text);
  let key = new Uint8Array(0);
  try {
    key = [...t].length === 64 ? pyFromHex(t) : fromB64url(t.replace(/=+$/, ''));
  } catch {
    // reported below, as keys of the wrong length are
  }
  if (key.length !== 32) {
    throw new UsageError(`root key must be 32 bytes in hex or base64url, got ${reprStr([...t].slice(0, 80).join(''))}`);
  }
  return key;
}

/** Python's bytes.fromhex: pairs of hex digits, ASCII white space allowed before each pair. */
function pyFromHex(text) {
  const out = [];
  let i = 0;
  while (i < text.length) {
    if (' \t\n\r\x0b\x0c'.includes(text[i])) {
      i++;
      continue;
    }
    const pair = text.slice(i, i + 2);
    if (!/^[0-9a-fA-F]{2}$/.test(pair)) throw new Error('not hex');
    out.push(parseInt(pair, 16));
    i += 2;
  }
  return Uint8Array.from(out);
}

/** The trust list's COSE bytes from a binary file or a file holding their hex. */
export function readTrustListFile(path) {
  let data;
  try {
    data = new Uint8Array(readFileSync(path));
  } catch (error) {
    const reason = { ENOENT: 'No such file or directory', EACCES: 'Permission denied', EISDIR: 'Is a directory' }[error.code] ?? error.message;
    throw new UsageError(`cannot read trust list ${path}: ${reason}`);
  }
  const isSpace = (b) => b === 0x20 || (b >= 0x09 && b <= 0x0d);
  let start = 0;
  let end = data.length;
  while (start < end && isSpace(data[start])) start++;
  while (end > start && isSpace(data[end - 1])) end--;
  if (start === end) return data;
  const text = data.subarray(start, end);
  if (text.some((b) => b > 0x7f)) return data;
  try {
    return pyFromHex(String.fromCharCode(...text));
  } catch {
    return data;
  }
}

/** Split stdin bytes on "\n" as Python's text stdin does, decoding UTF-8 with surrogateescape. */
export async function* stdinLines(stream) {
  let pending = new Uint8Array(0);
  for await (const chunk of stream) {
    const joined = new Uint8Array(pending.length + chunk.length);
    joined.set(pending);
    joined.set(chunk, pending.length);
    let from = 0;
    for (let i = 0; i < joined.length; i++) {
      if (joined[i] === 0x0a) {
        yield decodeSurrogateEscape(joined.subarray(from, i + 1));
        from = i + 1;
      }
    }
    pending = joined.slice(from);
  }
  if (pending.length) yield decodeSurrogateEscape(pending);
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export function decodeSurrogateEscape(bytes) {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    // byte by byte below
  }
  let out = '';
  for (let i = 0; i < bytes.length;) {
    const n = bytes[i] < 0x80 ? 1 : bytes[i] >= 0xc2 && bytes[i] < 0xe0 ? 2 : bytes[i] >= 0xe0 && bytes[i] < 0xf0 ? 3 : bytes[i] >= 0xf0 && bytes[i] < 0xf5 ? 4 : 0;
    if (n > 0 && i + n <= bytes.length) {
      try {
        out += strictUtf8.decode(bytes.subarray(i, i + n));
        i += n;
        continue;
      } catch {
        // not a valid sequence: escape its first byte
      }
    }
    out += String.fromCharCode(0xdc00 + bytes[i]);
    i += 1;
  }
  return out;
}

async function* qrTexts(qrs, stdin) {
  if (qrs.length === 1 && qrs[0] === '-') {
    for await (const line of stdinLines(stdin)) if (pyStrip(line)) yield line;
  } else {
    yield* qrs;
  }
}

function write(out, text) {
  return new Promise((resolve) => {
    if (out.write(text)) resolve();
    else out.once('drain', resolve);
  });
}

export async function runVerify({ trustListPath, rootKey, merchantId, now, journalPath, qrs, stdin, out }) {
  const trustListBytes = readTrustListFile(trustListPath);
  const root = parsePublicKey(rootKey);
  let trustList;
  try {
    trustList = await openTrustList(trustListBytes, root);
  } catch (error) {
    if (!(error instanceof TrustListInvalid)) throw error;
    await write(out, `${jsonDumps({ code: ResultCode.TRUST_LIST_INVALID, message: error.message })}\n`);
    return EXIT_TRUST_LIST_INVALID;
  }
  let journal;
  try {
    journal = journalPath ? await FileJournal.open(journalPath) : new MemoryJournal();
  } catch (error) {
    if (error instanceof JournalError) throw new UsageError(error.message);
    throw error;
  }
  const credentials = new CredentialCache();
  try {
    for await (const qr of qrTexts(qrs, stdin)) {
      const at = now ?? Math.floor(Date.now() / 1000);
      let result;
      if (journal instanceof FileJournal) result = await journal.judge(qr, { trustList, merchantId, now: at, credentials });
      else {
        result = await verifyQr(qr, { trustList, merchantId, now: at, journal, credentials });
        if (result.ok) journal.add(acceptedRecord(result));
      }
      await write(out, `${jsonDumps(result.toJSON())}\n`);
    }
  } finally {
    journal.close?.();
  }
  return EXIT_OK;
}

export async function main(argv, { stdin = process.stdin, out = process.stdout, err = process.stderr } = {}) {
  let args;
  try {
    args = parseArgs(argv);
  } catch (error) {
    if (!(error instanceof ArgumentError)) throw error;
    err.write(`${USAGE}\n${PROG}: error: ${error.message}\n`);
    return EXIT_USAGE;
  }
  if (args.help) {
    out.write(`${HELP}\n`);
    return EXIT_OK;
  }
  try {
    return await runVerify({
      trustListPath: args.trustList, rootKey: args.rootKey, merchantId: args.merchant, now: args.now,
      journalPath: args.journal, qrs: args.qr, stdin, out,
    });
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    err.write(`${PROG}: ${error.message}\n`);
    return EXIT_USAGE;
  }
}

if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}
