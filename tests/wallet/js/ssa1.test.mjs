// The SSA1 core (keys/js/) as the wallet uses it: its encoder reproduces tests/vectors/encoding.json byte for byte, and its
// decoders refuse garbage with a clear error instead of crashing.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { webcrypto } from 'node:crypto';

import { decode, encode, CBORError, Tag } from '../../../keys/js/cbor.js';
import { b45decode, b45encode, Base45Error } from '../../../keys/js/base45.js';
import { fromHex, toHex, toB64url, fromB64url } from '../../../keys/js/bytes.js';
import {
  encodePayment,
  fromQr,
  readCredentialUnverified,
  toQr,
  TokenError,
  WHITESPACE,
} from '../../../keys/js/tokens.js';
import * as noble from '../../../wallet_pwa/vendor/noble-ed25519.js';

const vector = JSON.parse(
  readFileSync(new URL('../../vectors/encoding.json', import.meta.url), 'utf8'),
);
const PKCS8_ED25519_PREFIX = fromHex('302e020100300506032b657004220420');

async function webcryptoSigner(seedHex) {
  const pkcs8 = new Uint8Array([...PKCS8_ED25519_PREFIX, ...fromHex(seedHex)]);
  const key = await webcrypto.subtle.importKey('pkcs8', pkcs8, { name: 'Ed25519' }, false, ['sign']);
  return async (msg) => new Uint8Array(await webcrypto.subtle.sign({ name: 'Ed25519' }, key, msg));
}

const paymentCases = vector.cases.filter((c) => c.object === 'payment');

test('payment vectors are reproduced byte for byte with WebCrypto Ed25519', async () => {
  assert.ok(paymentCases.length >= 2);
  const signer = await webcryptoSigner(vector.member_seed);
  for (const c of paymentCases) {
    const f = c.fields;
    const cose = await encodePayment(
      {
        credentialCose: fromQr(c.credential_qr),
        amountCents: f.amount_cents,
        seq: f.seq,
        cumulativeCents: f.cumulative_cents,
        iat: f.iat,
        aud: f.aud ?? null,
      },
      signer,
    );
    assert.equal(toHex(cose), c.cose_hex);
    assert.equal(toQr(cose), c.qr);
  }
});

test('payment vectors are reproduced byte for byte with the noble fallback', async () => {
  const seed = fromHex(vector.member_seed);
  const signer = (msg) => noble.signAsync(msg, seed);
  const c = paymentCases[0];
  const cose = await encodePayment(
    {
      credentialCose: fromQr(c.credential_qr),
      amountCents: c.fields.amount_cents,
      seq: c.fields.seq,
      cumulativeCents: c.fields.cumulative_cents,
      iat: c.fields.iat,
    },
    signer,
  );
  assert.equal(toQr(cose), c.qr);
});

test('the credential vector reads back its fields', () => {
  const c = vector.cases.find((x) => x.object === 'credential');
  const cred = readCredentialUnverified(fromHex(c.cose_hex));
  assert.equal(cred.iss, c.fields.iss);
  assert.equal(toHex(cred.sub), c.fields.sub);
  assert.equal(toHex(cred.cti), c.fields.cti);
  assert.equal(cred.nbf, c.fields.nbf);
  assert.equal(cred.exp, c.fields.exp);
  assert.equal(cred.allowanceCents, c.fields.allowance_cents);
  assert.equal(toHex(cred.memberPublicKey), c.fields.member_public_key);
  assert.equal(toQr(fromHex(c.cose_hex)), c.qr);
});

test('a voucher or a payment is not taken for a credential', () => {
  for (const c of vector.cases.filter((x) => x.object !== 'credential')) {
    assert.throws(() => readCredentialUnverified(fromHex(c.cose_hex)), TokenError);
  }
});

test('fromQr strips the surrounding white space of SPEC §1 and nothing else', () => {
  const qr = vector.cases[0].qr;
  const cose = fromHex(vector.cases[0].cose_hex);
  assert.equal(WHITESPACE, ' \t\r\n\x0b\x0c'); // keys/tokens.py _WHITESPACE
  for (const ws of [' ', '\t', '\r', '\n', '\x0b', '\x0c', '\r\n', ' \t\r\n\x0b\x0c']) {
    assert.deepEqual(fromQr(ws + qr), cose, JSON.stringify(ws));
    assert.deepEqual(fromQr(qr + ws), cose, JSON.stringify(ws));
    assert.deepEqual(fromQr(ws + qr + ws), cose, JSON.stringify(ws));
  }
  // Unicode white space that String.prototype.trim() would strip, and C0/C1 controls that
  // Python's bare str.strip() would: not stripped, so the QR is malformed.
  const trimmed = ['\u00a0', '\ufeff', '\u2028', '\u2029', '\u1680', '\u2000', '\u200a', '\u202f', '\u205f', '\u3000'];
  const controls = ['\x1c', '\x1d', '\x1e', '\x1f', '\x85', '\x00'];
  for (const ch of [...trimmed, ...controls]) {
    if (trimmed.includes(ch)) assert.equal((ch + qr + ch).trim(), qr);
    for (const text of [ch + qr, qr + ch, ch + qr + ch, '\r\n' + ch + qr, qr + ch + '\r\n']) {
      assert.throws(() => fromQr(text), (e) => e instanceof TokenError || e instanceof Base45Error, JSON.stringify(text.slice(0, 3)));
    }
  }
  assert.throws(() => fromQr('\u00a0' + qr), TokenError); // the prefix is not found
  assert.throws(() => fromQr(qr + '\ufeff'), TokenError); // U+FEFF is not base45
  // white space inside the text is kept (space is a base45 character; CR is not)
  assert.throws(() => fromQr(qr.slice(0, 9) + '\r\n' + qr.slice(9)), TokenError);
  // the vector of the keyboard-wedge reader's CR/LF
  const wedge = JSON.parse(readFileSync(new URL('../../vectors/004-ok-whitespace.json', import.meta.url), 'utf8'));
  const scanned = wedge.scans[0].qr;
  assert.notEqual(scanned, scanned.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, ''));
  assert.deepEqual(fromQr(scanned), fromQr(scanned.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, '')));
});

test('base45 round-trips and refuses bad text', () => {
  for (const len of [0, 1, 2, 3, 17, 64]) {
    const bytes = Uint8Array.from({ length: len }, (_, i) => (i * 37 + len) & 0xff);
    assert.deepEqual(b45decode(b45encode(bytes)), bytes);
  }
  assert.equal(b45encode(new TextEncoder().encode('AB')), 'BB8'); // RFC 9285 example
  for (const bad of ['A', 'GGW', 'abc', 'ZZZZ', ':::']) assert.throws(() => b45decode(bad), Base45Error);
});

test('CBOR is deterministic and the decoder is strict', () => {
  assert.equal(toHex(encode(new Map([[-1, 1], [6, 2], ['a', 3]]))), 'a306022001616103');
  assert.equal(toHex(encode(2 ** 32)), '1b0000000100000000');
  assert.deepEqual(decode(encode([1, -300, 'é', new Uint8Array([1, 2]), null, true])), [
    1, -300, 'é', new Uint8Array([1, 2]), null, true,
  ]);
  assert.ok(decode(fromHex('d2820102')) instanceof Tag);
  const bad = ['', 'a2010101', '0000', '5f', '9f', 'f97c00', 'fb3ff0000000000000', '62c328', '5a0000ffff', 'a1f600'];
  for (const hex of bad) assert.throws(() => decode(fromHex(hex)), CBORError, hex);
  assert.throws(() => decode(fromHex('81'.repeat(40) + '00')), CBORError);
});

test('random garbage never crashes the credential reader', () => {
  let seed = 12345;
  const rand = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  const credential = fromHex(vector.cases[0].cose_hex);
  for (let i = 0; i < 2000; i++) {
    const bytes = i % 2
      ? Uint8Array.from({ length: Math.floor(rand() * 64) }, () => Math.floor(rand() * 256))
      : credential.map((b) => (rand() < 0.02 ? Math.floor(rand() * 256) : b));
    try {
      readCredentialUnverified(bytes);
    } catch (e) {
      assert.ok(e instanceof TokenError, `${e} on ${toHex(bytes)}`);
    }
  }
});

test('base64url round-trips without padding', () => {
  const bytes = Uint8Array.from([251, 255, 0, 1, 2]);
  assert.equal(toB64url(bytes), '-_8AAQI');
  assert.deepEqual(fromB64url('-_8AAQI'), bytes);
  assert.throws(() => fromB64url('a+b='));
});
