// Copies the till's browser libraries from node_modules into till_pwa/vendor/ (git-ignored),
// so the server serves the till as plain static files with no bundler and no CDN: zxing-wasm
// (ZXing-C++ compiled to WebAssembly: the reader's ES module, its shared chunk and its .wasm,
// which js/camera.js tells it to fetch from /till/vendor/, never from a CDN). Run by
// `npm ci` / `npm install` (postinstall).
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const till = join(dirname(fileURLToPath(import.meta.url)), '..');
const modules = join(till, '..', 'node_modules');
const vendor = join(till, 'vendor');

// [source in node_modules, name served under /till/vendor/] (the reader imports ../share.js)
const FILES = [
  ['zxing-wasm/dist/es/reader/index.js', 'zxing-wasm/reader/index.js'],
  ['zxing-wasm/dist/es/share.js', 'zxing-wasm/share.js'],
  ['zxing-wasm/dist/reader/zxing_reader.wasm', 'zxing-wasm/reader/zxing_reader.wasm'],
  ['zxing-wasm/LICENSE', 'LICENSE-zxing-wasm.txt'],
];

rmSync(vendor, { recursive: true, force: true });
for (const [from, to] of FILES) {
  mkdirSync(dirname(join(vendor, to)), { recursive: true });
  copyFileSync(join(modules, from), join(vendor, to));
}
console.log(`till_pwa/vendor: ${FILES.length} files copied from node_modules`);
