// The wallet endpoints: activation with the one-time code and the signed credential
// refresh (SPEC §8), and the signed receipts of the payments the caisse received
// (docs/api.md). Every failure becomes an ApiError whose `kind` the UI translates.
import { fromB64url, toB64url, toHex } from '../../keys/js/bytes.js';

const BASE = new URL('../api/v1/', location.href); // the wallet lives at /wallet/

export class ApiError extends Error {
  constructor(kind, status = 0, code = '', offset = null) {
    super(`${kind}${status ? ` (HTTP ${status}${code ? ` ${code}` : ''})` : ''}`);
    this.kind = kind; // 'network' | 'code' | 'key' | 'server'
    this.status = status;
    this.code = code;
    this.offset = offset; // the server's clock, when its answer carried a Date header
  }
}

/** Seconds to add to this phone's clock to get the server's, from the Date header. */
function clockOffset(response, sentAt) {
  const date = Date.parse(response.headers.get('Date') ?? '');
  if (Number.isNaN(date)) return null;
  const local = (sentAt + Date.now()) / 2;
  return Math.round((date + 500 - local) / 1000);
}

async function call(path, init, classify) {
  const sentAt = Date.now();
  let response;
  try {
    response = await fetch(new URL(path, BASE), { ...init, cache: 'no-store', credentials: 'omit' });
  } catch {
    throw new ApiError('network');
  }
  let body = null;
  try {
    body = await response.json();
  } catch {
    // an error page or an empty body: judged by status below
  }
  if (!response.ok) {
    const code = typeof body?.error === 'string' ? body.error : '';
    throw new ApiError(classify(response.status), response.status, code, clockOffset(response, sentAt));
  }
  if (body === null || typeof body !== 'object') throw new ApiError('server', response.status);
  return { body, offset: clockOffset(response, sentAt) };
}

/** POST /api/v1/wallet/activate {code, public_key} -> {credential} */
export async function activate(code, publicKey) {
  const { body, offset } = await call(
    'wallet/activate',
    {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ code, public_key: toB64url(publicKey) }),
    },
    (status) => (status >= 400 && status < 500 && status !== 429 ? 'code' : 'server'),
  );
  // `credentials` (this month and the next, once issued) where the server sends it
  const credentials = Array.isArray(body.credentials) ? body.credentials : [body.credential];
  if (!credentials.length || !credentials.every((c) => typeof c === 'string')) throw new ApiError('server');
  return { credentials, offset };
}

/** The SSA1-Sig Authorization header: Ed25519 over METHOD \n PATH \n ts \n hex(sha256(body)). */
export async function authorization(method, pathWithQuery, body, publicKey, signer, ts) {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', body));
  const message = new TextEncoder().encode(`${method}\n${pathWithQuery}\n${ts}\n${toHex(digest)}`);
  const sig = await signer(message);
  return `SSA1-Sig key=${toB64url(publicKey)}, ts=${ts}, sig=${toB64url(sig)}`;
}

async function signedGet(path, publicKey, signer, nowSeconds) {
  const url = new URL(path, BASE);
  const auth = await authorization('GET', url.pathname + url.search, new Uint8Array(0), publicKey, signer, nowSeconds);
  return call(
    url,
    { method: 'GET', headers: { Authorization: auth } },
    (status) => (status === 401 || status === 403 ? 'key' : 'server'),
  );
}

/** GET /api/v1/wallet/credential (signed) -> {credentials: [...]} */
export async function fetchCredentials(publicKey, signer, nowSeconds) {
  const { body, offset } = await signedGet('wallet/credential', publicKey, signer, nowSeconds);
  if (!Array.isArray(body.credentials) || !body.credentials.every((c) => typeof c === 'string')) {
    throw new ApiError('server');
  }
  return { credentials: body.credentials, offset };
}

const RECEIPT_STATUSES = new Set(['received', 'paid', 'refused']);

/**
 * GET /api/v1/wallet/receipts (signed) -> this member's payments the caisse received:
 * {receipts: [{ctiHex, seq, amountCents, shop, scannedAt, status, reason}], maxTokenAgeS}.
 * Malformed entries are dropped.
 */
export async function fetchReceipts(publicKey, signer, nowSeconds) {
  const { body } = await signedGet('wallet/receipts', publicKey, signer, nowSeconds);
  if (!Array.isArray(body.receipts)) throw new ApiError('server');
  const out = [];
  for (const r of body.receipts) {
    if (typeof r?.cti !== 'string' || !Number.isSafeInteger(r.seq) || !RECEIPT_STATUSES.has(r.status)) continue;
    let ctiHex;
    try {
      ctiHex = toHex(fromB64url(r.cti));
    } catch {
      continue;
    }
    out.push({
      ctiHex,
      seq: r.seq,
      amountCents: Number.isSafeInteger(r.amount_cents) ? r.amount_cents : null,
      shop: typeof r.merchant_name === 'string' ? r.merchant_name : '',
      scannedAt: Number.isSafeInteger(r.scanned_at) ? r.scanned_at : null,
      status: r.status,
      reason: typeof r.reason === 'string' ? r.reason : null,
    });
  }
  const maxTokenAgeS = Number.isSafeInteger(body.max_token_age_s) ? body.max_token_age_s : null;
  return { receipts: out, maxTokenAgeS };
}

/** GET /api/v1/wallet/contribution (signed) -> the household's contribution and transfer */
export async function fetchContribution(publicKey, signer, nowSeconds) {
  const url = new URL('wallet/contribution', BASE);
  const auth = await authorization('GET', url.pathname + url.search, new Uint8Array(0), publicKey, signer, nowSeconds);
  const { body } = await call(
    url,
    { method: 'GET', headers: { Authorization: auth } },
    (status) => (status === 401 || status === 403 ? 'key' : 'server'),
  );
  if (typeof body.iban !== 'string' || typeof body.reference !== 'string' || typeof body.epc_qr !== 'string') {
    throw new ApiError('server');
  }
  return body;
}
