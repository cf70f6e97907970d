// The merchant endpoints of SPEC §8 as the till uses them: enrolment with the one-time
// code, the trust list (conditional GET with its ETag), and signed batch uploads. Every
// failure becomes an ApiError whose `kind` the UI translates.
import { fromB64url, toB64url, utf8 } from '../../keys/js/bytes.js';
import { signRequest } from '../../keys/js/signed_request.js';

const BASE = new URL('../api/v1/', location.href); // the till lives at /till/

export class ApiError extends Error {
  constructor(kind, status = 0, code = '') {
    super(`${kind}${status ? ` (HTTP ${status}${code ? ` ${code}` : ''})` : ''}`);
    this.kind = kind; // 'network' | 'code' | 'revoked' | 'suspended' | 'server'
    this.status = status;
    this.code = code;
  }
}

async function send(path, init) {
  try {
    return await fetch(new URL(path, BASE), { cache: 'no-store', credentials: 'omit', ...init });
  } catch {
    throw new ApiError('network');
  }
}

async function failure(response) {
  let code = '';
  try {
    code = String((await response.json()).error ?? '');
  } catch {
    // not JSON: judged by its status
  }
  if (code === 'KEY_REVOKED') return new ApiError('revoked', response.status, code);
  if (code === 'MERCHANT_SUSPENDED') return new ApiError('suspended', response.status, code);
  if (code === 'INVALID_CODE' || (response.status === 400 && /CODE/.test(code)) || response.status === 404) {
    return new ApiError('code', response.status, code);
  }
  return new ApiError('server', response.status, code);
}

/** POST merchant/enroll {code, public_key} -> {merchantId, rootPublicKey, trustList, scope}. */
export async function enroll(code, publicKey) {
  const response = await send('merchant/enroll', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ code, public_key: toB64url(publicKey) }),
  });
  if (!response.ok) throw await failure(response);
  try {
    const body = await response.json();
    return {
      merchantId: String(body.merchant_id),
      rootPublicKey: fromB64url(body.root_public_key),
      trustList: fromB64url(body.trust_list),
      scope: typeof body.scope === 'string' ? body.scope : null, // the shop's approved scope, if any
    };
  } catch {
    throw new ApiError('server', response.status);
  }
}

/** GET trust-list: {bytes, etag}, or {bytes: null} when it has not changed (304). */
export async function fetchTrustList(etag) {
  const response = await send('trust-list', { headers: etag ? { 'If-None-Match': etag } : {} });
  if (response.status === 304) return { bytes: null, etag };
  if (!response.ok) throw await failure(response);
  return { bytes: new Uint8Array(await response.arrayBuffer()), etag: response.headers.get('ETag') };
}

/** POST merchant/batches, signed by the till's key: the server's {batch_id, received, ...}. */
export async function uploadBatch(signer, publicKey, batchId, scans, ts) {
  const path = '/api/v1/merchant/batches';
  const body = utf8.encode(JSON.stringify({ batch_id: batchId, scans }, (k, v) => (typeof v === 'bigint' ? Number(v) : v)));
  const response = await send('merchant/batches', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: await signRequest(signer, publicKey, 'POST', path, body, ts) },
    body,
  });
  if (!response.ok) throw await failure(response);
  let answer;
  try {
    answer = await response.json();
  } catch {
    throw new ApiError('server', response.status);
  }
  if (answer?.batch_id !== batchId) throw new ApiError('server', response.status, 'BATCH_ID');
  return answer;
}
