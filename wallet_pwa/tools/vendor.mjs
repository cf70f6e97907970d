// Copies the wallet's two browser libraries from node_modules into wallet_pwa/vendor/
// (git-ignored), so the server can serve the wallet as plain static files with no
// bundler and no CDN. Run by `npm ci` / `npm install` (postinstall).
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const wallet = join(dirname(fileURLToPath(import.meta.url)), '..');
const modules = join(wallet, '..', 'node_modules');
const vendor = join(wallet, 'vendor');

// [source in node_modules, name served under /wallet/vendor/]
const FILES = [
  ['lean-qr/index.mjs', 'lean-qr.js'],
  ['lean-qr/LICENSE', 'LICENSE-lean-qr.txt'],
  ['@noble/ed25519/index.js', 'noble-ed25519.js'],
  ['@noble/ed25519/LICENSE', 'LICENSE-noble-ed25519.txt'],
];

rmSync(vendor, { recursive: true, force: true });
mkdirSync(vendor, { recursive: true });
for (const [from, to] of FILES) copyFileSync(join(modules, from), join(vendor, to));
console.log(`wallet_pwa/vendor: ${FILES.length} files copied from node_modules`);
