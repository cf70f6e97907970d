// Copies the one library the SSA1 core needs (@noble/ed25519: curve arithmetic for
// verification) from node_modules into keys/js/vendor/ (git-ignored), so the core runs
// unchanged in node and in the browser (served at /keys/js/) with no bundler and no CDN.
// Run by `npm ci` / `npm install` (postinstall), before the wallet's and the till's own.
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const core = join(dirname(fileURLToPath(import.meta.url)), '..');
const modules = join(core, '..', '..', 'node_modules');
const vendor = join(core, 'vendor');

// [source in node_modules, name served under /keys/js/vendor/]
const FILES = [
  ['@noble/ed25519/index.js', 'noble-ed25519.js'],
  ['@noble/ed25519/LICENSE', 'LICENSE-noble-ed25519.txt'],
];

rmSync(vendor, { recursive: true, force: true });
mkdirSync(vendor, { recursive: true });
for (const [from, to] of FILES) copyFileSync(join(modules, from), join(vendor, to));
console.log(`keys/js/vendor: ${FILES.length} files copied from node_modules`);
