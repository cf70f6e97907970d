// A decoding oracle for the Python fuzz tests: one JSON request per line on stdin,
// one JSON answer per line on stdout. Lets hypothesis drive the wallet's own decoders
// (the shared SSA1 core, keys/js/) and compare them with the Python ones (two readers must never read a token two ways).
import { createInterface } from 'node:readline';
import { CBORError, decode, encode, Tag } from '../../../keys/js/cbor.js';
import { MalformedCOSE, parseSign1 as parseCose } from '../../../keys/js/cose.js';
import { Base45Error, b45decode } from '../../../keys/js/base45.js';
import * as ssa1 from '../../../keys/js/tokens.js';

const { TokenError, fromQr, readCredentialUnverified } = ssa1;
const OWN_ERRORS = [CBORError, Base45Error, TokenError, MalformedCOSE];
// A COSE_Sign1 with its payload decoded, as keys/cose.py + keys/cbor.py read it.
const parseSign1 = (bytes) => {
  const sign1 = parseCose(bytes);
  return { header: sign1.header, payload: decode(sign1.payload) };
};
const hex = (bytes) => Buffer.from(bytes).toString('hex');
const own = (error) => OWN_ERRORS.some((cls) => error instanceof cls);

// The payload keys by the names keys/js/tokens.js gives them (the same as keys/tokens.py's).
const KEY_NAMES = ['iss', 'sub', 'aud', 'exp', 'nbf', 'iat', 'cti', 'cnf', 'typ', 'amt', 'cred', 'seq', 'cum'];
const NAME_OF = new Map(KEY_NAMES.map((name) => [ssa1[name.toUpperCase()], name]));

function answer(run) {
  try {
    return { ok: true, ...run() };
  } catch (error) {
    return { ok: false, own: own(error), error: `${error.constructor.name}: ${error.message}` };
  }
}

/** A decoded CBOR item as JSON both sides can write: bytes, big integers, maps, tags marked. */
function plain(value) {
  if (typeof value === 'bigint') {
    return Number.isSafeInteger(Number(value)) && BigInt(Number(value)) === value ? Number(value) : { int: String(value) };
  }
  if (value instanceof Uint8Array) return { hex: hex(value) };
  if (Array.isArray(value)) return value.map(plain);
  if (value instanceof Map) return { map: [...value].map(([k, v]) => [plain(k), plain(v)]) };
  if (value instanceof Tag) return { tag: plain(value.tag), value: plain(value.value) };
  return value; // number, string, boolean, null
}

/** A payload map's fields by name, the keys tokens.js does not name apart. */
function fields(payload) {
  const named = {};
  const other = [];
  for (const [key, value] of payload) {
    const name = typeof key === 'number' ? NAME_OF.get(key) : undefined;
    if (name === undefined) other.push([plain(key), plain(value)]);
    else named[name] = plain(value);
  }
  return { named, other };
}

/** COSE bytes as the wallet reads them: envelope, header, payload (and an embedded cred). */
function readSign1(bytes, embedded) {
  let sign1;
  try {
    sign1 = parseSign1(bytes);
  } catch (error) {
    if (!own(error)) throw error;
    return { decoded: false, stage: 'cose' };
  }
  const read = { decoded: true, header: plain(sign1.header) };
  if (!(sign1.payload instanceof Map)) return { ...read, payload: plain(sign1.payload) };
  Object.assign(read, fields(sign1.payload));
  const cred = sign1.payload.get(ssa1.CRED);
  if (embedded && cred instanceof Uint8Array) read.credential = readSign1(cred, false);
  return read;
}

function readQr(text) {
  let cose;
  try {
    cose = fromQr(text);
  } catch (error) {
    if (!own(error)) throw error;
    return { decoded: false, stage: 'qr' };
  }
  return { cose: hex(cose), ...readSign1(cose, true) };
}

const handlers = {
  cbor: ({ hex: h }) => answer(() => ({ canonical: hex(encode(decode(Uint8Array.from(Buffer.from(h, 'hex'))))) })),
  base45: ({ text }) => answer(() => ({ hex: hex(b45decode(text)) })),
  credential: ({ hex: h }) => answer(() => {
    const c = readCredentialUnverified(Uint8Array.from(Buffer.from(h, 'hex')));
    return { cti: hex(c.cti), allowance: c.allowanceCents };
  }),
  names: () => answer(() => ({ keys: Object.fromEntries([...NAME_OF].map(([key, name]) => [name, key])) })),
  whitespace: () => answer(() => ({ chars: ssa1.WHITESPACE })),
  qr: ({ text }) => answer(() => ({ read: readQr(text) })),
};

for await (const line of createInterface({ input: process.stdin })) {
  const request = JSON.parse(line);
  process.stdout.write(JSON.stringify(handlers[request.kind](request)) + '\n');
}
