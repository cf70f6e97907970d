// The till's app shell: complete and versioned for the service worker, a strict CSP
// (no inline script or style), every language with every message, and the enrolment QR.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

import { TILL, precachedAssets, shellVersion, stampedVersion } from '../../../till_pwa/tools/stamp.mjs';
import { messageKeys } from '../../../till_pwa/js/i18n.js';

const filesUnder = (dir, ext) => readdirSync(join(TILL, dir)).filter((f) => f.endsWith(ext)).map((f) => `${dir}/${f}`);

test('every file of the shell is precached and exists', () => {
  const assets = precachedAssets();
  for (const path of ['index.html', 'manifest.webmanifest', ...filesUnder('css', '.css'), ...filesUnder('js', '.js'),
    ...filesUnder('icons', '.png'), 'vendor/zxing-wasm/reader/zxing_reader.wasm']) {
    assert.ok(assets.includes(path), path);
  }
  for (const path of assets) assert.ok(existsSync(join(TILL, path)), path);
});

test('the service worker VERSION is the hash of the current shell (run npm run stamp)', () => {
  assert.equal(stampedVersion(), shellVersion());
});

test('every module import resolves to a precached file', () => {
  const assets = new Set(precachedAssets());
  const base = new URL('file:///repo/till_pwa/');
  const modules = [...assets].filter((p) => p.endsWith('.js') && !p.includes('vendor/'));
  for (const path of modules) {
    const source = readFileSync(join(TILL, path), 'utf8');
    for (const m of source.matchAll(/(?:from|import\()\s*'([^']+)'/g)) {
      const target = new URL(m[1], new URL(path, base)).pathname;
      const relative = target.startsWith(base.pathname) ? target.slice(base.pathname.length) : `..${target.slice('/repo'.length)}`;
      assert.ok(assets.has(relative), `${path} imports ${m[1]}`);
    }
  }
});

test('index.html has no inline script, style or handler, and nothing from elsewhere', () => {
  const html = readFileSync(join(TILL, 'index.html'), 'utf8');
  assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/);
  assert.doesNotMatch(html, /<style|\sstyle=|\son[a-z]+=/i);
  assert.doesNotMatch(html, /https?:\/\//);
  for (const file of precachedAssets().filter((p) => p.startsWith('js/'))) {
    assert.doesNotMatch(readFileSync(join(TILL, file), 'utf8'), /https?:\/\/(?!localhost)/, file);
  }
});

test('French, Dutch and English have every message', () => {
  const keys = messageKeys();
  assert.deepEqual(Object.keys(keys).sort(), ['en', 'fr', 'nl']);
  assert.deepEqual([...keys.nl].sort(), [...keys.fr].sort());
  assert.deepEqual([...keys.en].sort(), [...keys.fr].sort());
  for (const code of ['MALFORMED', 'BAD_SIGNATURE', 'REVOKED', 'DOUBLE_SPEND', 'TRUST_LIST_EXPIRED', 'WRONG_MERCHANT', 'STALE']) {
    assert.ok(keys.fr.includes(`reason_${code}`), code);
  }
});
