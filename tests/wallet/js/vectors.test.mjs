// The scan vectors (tests/vectors/NNN-*.json) read with the wallet's own decoding
// (base45 -> COSE_Sign1 -> payload, keys named as keys/tokens.py names them). The wallet
// verifies nothing, so this checks what its decoders can: every QR a till accepts or judges
// past MALFORMED decodes, and the fields of the cancelling vectors (SPEC 1.1 §3) tell the
// story they pin. tests/wallet/test_wallet_decoders_fuzz.py holds the same QRs to the same
// fields as the Python decoders.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';

import { CBORError, decode } from '../../../keys/js/cbor.js';
import { MalformedCOSE, parseSign1 as parseCose } from '../../../keys/js/cose.js';
import { Base45Error } from '../../../keys/js/base45.js';
import { toHex } from '../../../keys/js/bytes.js';
import {
  AMT, AUD, CRED, CUM, IAT, SEQ, TYP, TYP_PAYMENT,
  TokenError, fromQr, readCredentialUnverified,
} from '../../../keys/js/tokens.js';

/** A COSE_Sign1 with its payload decoded (the core's parseSign1 leaves it as bytes). */
const parseSign1 = (bytes) => {
  const sign1 = parseCose(bytes);
  return { ...sign1, header: sign1.header, payload: decode(sign1.payload) };
};

const DIR = new URL('../../vectors/', import.meta.url);
const FILES = readdirSync(DIR).filter((name) => /^\d{3}-.*\.json$/.test(name)).sort();
const load = (name) => JSON.parse(readFileSync(new URL(name, DIR), 'utf8'));
function vectorNamed(name) {
  const file = FILES.find((f) => f.slice(4, -5) === name);
  assert.ok(file, `no vector named ${name}`);
  return load(file);
}

/** A payment QR's fields, and the credential it embeds (read, not verified). */
function readPayment(qr) {
  const { payload } = parseSign1(fromQr(qr));
  assert.ok(payload instanceof Map);
  assert.equal(payload.get(TYP), TYP_PAYMENT);
  const cred = payload.get(CRED);
  return {
    amt: payload.get(AMT),
    seq: payload.get(SEQ),
    cum: payload.get(CUM),
    iat: payload.get(IAT),
    aud: payload.get(AUD) ?? null,
    credHex: toHex(cred),
    credential: readCredentialUnverified(cred),
  };
}

/** SPEC §5 step 13, for seq a < seq b of one credential: cum_b - amt_b >= cum_a. */
const consistent = (a, b) => (a.seq < b.seq ? b.cum - b.amt >= a.cum : a.cum - a.amt >= b.cum);

test('there are scan vectors, the cancelling ones among them', () => {
  assert.ok(FILES.length >= 35, FILES.length);
  assert.ok(FILES.includes('033-ok-cancelled-gap.json'));
  assert.ok(FILES.includes('034-cancelled-then-spent.json'));
});

test('every QR a till judges past MALFORMED decodes to a typed payload map', () => {
  let decoded = 0;
  for (const name of FILES) {
    const vector = load(name);
    for (const [i, scan] of vector.scans.entries()) {
      if (scan.expect.code === 'MALFORMED') continue;
      const { payload } = parseSign1(fromQr(scan.qr));
      assert.ok(payload instanceof Map, `${name} scan ${i}`);
      assert.ok([1, 2, 3].includes(payload.get(TYP)), `${name} scan ${i}`);
      decoded += 1;
    }
  }
  assert.ok(decoded >= 50, decoded);
});

test('QRs malformed in their transport or COSE envelope are refused with own errors', () => {
  for (const name of ['malformed-prefix', 'malformed-base45', 'malformed-cbor', 'malformed-signature-length']) {
    for (const [i, scan] of vectorNamed(name).scans.entries()) {
      assert.throws(
        () => parseSign1(fromQr(scan.qr)),
        (e) => e instanceof TokenError || e instanceof Base45Error || e instanceof CBORError || e instanceof MalformedCOSE,
        `${name} scan ${i}`,
      );
    }
  }
});

test('ok-cancelled-gap: seq 3 skips the cancelled seq 2 in its cumulative total', () => {
  const vector = vectorNamed('ok-cancelled-gap');
  assert.deepEqual(vector.scans.map((s) => s.expect.code), ['OK', 'OK']);
  const [first, third] = vector.scans.map((s) => readPayment(s.qr));
  // one credential, a seq gap: seq 2 was cancelled and never shown to this till
  assert.equal(first.credHex, third.credHex);
  assert.equal(first.seq, 1);
  assert.equal(third.seq, 3);
  assert.equal(first.cum, first.amt);
  // seq 3's cum is seq 1's cum plus its own amount: the cancelled amount is left out
  assert.equal(third.cum - third.amt, first.cum);
  assert.ok(consistent(first, third));
  assert.ok(third.cum <= first.credential.allowanceCents);
  assert.deepEqual(vector.scans.map((s) => s.expect.amount_cents), [first.amt, third.amt]);
});

test('cancelled-then-spent: the cancelled seq 2 contradicts seq 3 (cum_b - amt_b < cum_a)', () => {
  const vector = vectorNamed('cancelled-then-spent');
  assert.deepEqual(vector.scans.map((s) => s.expect.code), ['OK', 'OK', 'DOUBLE_SPEND']);
  const gap = vectorNamed('ok-cancelled-gap');
  // the first two scans are ok-cancelled-gap's very QRs
  assert.deepEqual(vector.scans.slice(0, 2).map((s) => s.qr), gap.scans.map((s) => s.qr));
  const [first, third, cancelled] = vector.scans.map((s) => readPayment(s.qr));
  assert.equal(cancelled.credHex, first.credHex);
  assert.equal(cancelled.seq, 2);
  assert.ok(cancelled.amt >= 1);
  // a genuine payment after seq 1 (not a forged total): it agrees with seq 1 ...
  assert.equal(cancelled.cum - cancelled.amt, first.cum);
  assert.ok(consistent(first, cancelled));
  // ... and seq 3's cum skips exactly its amount, so the two contradict each other
  assert.equal(third.cum + cancelled.amt, cancelled.cum + third.amt);
  assert.ok(third.cum - third.amt < cancelled.cum);
  assert.ok(!consistent(cancelled, third));
});

test("step 13's cumulative rule gives each sequence vector's verdicts", () => {
  // A journal of accepted payments, as a till keeps it: same (cti, seq), or a
  // contradicting cumulative total against an accepted one, is DOUBLE_SPEND.
  for (const name of ['ok-sequence', 'ok-out-of-order', 'double-spend-seq', 'double-spend-cumulative', 'ok-cancelled-gap', 'cancelled-then-spent']) {
    const journal = [];
    const verdicts = vectorNamed(name).scans.map((scan) => {
      const p = readPayment(scan.qr);
      const mine = journal.filter((q) => toHex(q.credential.cti) === toHex(p.credential.cti));
      if (mine.some((q) => q.seq === p.seq || !consistent(q, p))) return 'DOUBLE_SPEND';
      journal.push(p);
      return 'OK';
    });
    assert.deepEqual(verdicts, vectorNamed(name).scans.map((s) => s.expect.code), name);
  }
});
