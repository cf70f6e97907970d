// A verifying oracle for the Python differential tests: one JSON request per line on stdin
// ({trust_list, root_public_key, merchant_id, scans: [{now, qr}]}, hex for bytes), one JSON
// answer per line: the lines `npm run verify` would print for those scans, judged in order
// by one till with an empty journal (the shared core, in-process).
import { createInterface } from 'node:readline';

import { fromHex } from '../../../keys/js/bytes.js';
import { jsonDumps } from '../../../keys/js/pyformat.js';
import { CredentialCache } from '../../../keys/js/tokens.js';
import { TrustListInvalid, openTrustList } from '../../../keys/js/trust_list.js';
import { MemoryJournal, verifyQr } from '../../../keys/js/verify.js';

async function judge({ trust_list: tl, root_public_key: root, merchant_id: merchantId, scans, cache }) {
  let trustList;
  try {
    trustList = await openTrustList(fromHex(tl), fromHex(root));
  } catch (error) {
    if (error instanceof TrustListInvalid) return [jsonDumps({ code: 'TRUST_LIST_INVALID', message: error.message })];
    throw error;
  }
  const journal = new MemoryJournal();
  const credentials = cache ? new CredentialCache() : null;
  const lines = [];
  for (const { now, qr } of scans) {
    const result = await verifyQr(qr, { trustList, merchantId, now: BigInt(now) <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(now) : BigInt(now), journal, credentials });
    journal.record(result);
    lines.push(jsonDumps(result.toJSON()));
  }
  return lines;
}

for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
  let answer;
  try {
    answer = { ok: true, lines: await judge(JSON.parse(line)) };
  } catch (error) {
    answer = { ok: false, error: `${error.constructor.name}: ${error.message}\n${error.stack}` };
  }
  process.stdout.write(`${JSON.stringify(answer)}\n`);
}
