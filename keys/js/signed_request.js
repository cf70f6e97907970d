// Signed HTTP requests (SPEC §8), the twin of keys/signed_request.py: the
// `Authorization: SSA1-Sig key=..., ts=..., sig=...` header. Ed25519 over
// METHOD \n PATH \n ts \n hex(SHA-256(body)), PATH with its query string. Pure: the
// caller passes `ts`; `signer` is any async (message bytes) => 64-byte signature.
import { sha256, toB64url, toHex, utf8 } from './bytes.js';

export const SCHEME = 'SSA1-Sig';

/** The exact bytes signed: METHOD, PATH (with query), ts, hex SHA-256 of the body. */
export async function signingMessage(method, path, ts, body) {
  return utf8.encode(`${method.toUpperCase()}\n${path}\n${ts}\n${toHex(await sha256(body))}`);
}

/** The `Authorization` header value for one request. */
export async function signRequest(signer, publicKey, method, path, body, ts) {
  const signature = await signer(await signingMessage(method, path, ts, body));
  return `${SCHEME} key=${toB64url(publicKey)}, ts=${ts}, sig=${toB64url(signature)}`;
}
