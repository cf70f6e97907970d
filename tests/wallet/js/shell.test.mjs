// The app shell the service worker precaches is complete and versioned, the page obeys a
// strict CSP (no inline script or style), and the pure helpers behave.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

import { WALLET, precachedAssets, shellVersion, stampedVersion } from '../../../wallet_pwa/tools/stamp.mjs';
import { parseAmount } from '../../../wallet_pwa/js/amount.js';
import { browserLanguage, messageKeys, translator } from '../../../wallet_pwa/js/i18n.js';

// The modules of the shared SSA1 core (keys/js/) the wallet loads: encoding, not verifying.
const CORE_MODULES = ['base45.js', 'bytes.js', 'cbor.js', 'cose.js', 'ed25519.js', 'pyformat.js', 'tokens.js'];

const filesUnder = (dir, ext) =>
  readdirSync(join(WALLET, dir)).filter((f) => f.endsWith(ext)).map((f) => `${dir}/${f}`);

test('every file of the shell is precached and exists', () => {
  const assets = precachedAssets();
  const expected = [
    'index.html',
    'manifest.webmanifest',
    ...filesUnder('css', '.css'),
    ...filesUnder('js', '.js'),
    ...filesUnder('vendor', '.js'),
    ...filesUnder('icons', '.png'),
    ...CORE_MODULES.map((name) => `../keys/js/${name}`),
    '../keys/js/vendor/noble-ed25519.js',
  ];
  assert.deepEqual([...assets].sort(), [...expected].sort());
  for (const path of assets) assert.ok(existsSync(join(WALLET, path)), path);
});

test('the service worker VERSION is the hash of the current shell (run npm run stamp)', () => {
  assert.equal(stampedVersion(), shellVersion());
});

test('every module import resolves to a precached file', () => {
  const assets = new Set(precachedAssets());
  const base = new URL('file:///repo/wallet_pwa/');
  for (const path of [...filesUnder('js', '.js'), ...CORE_MODULES.map((name) => `../keys/js/${name}`)]) {
    const source = readFileSync(join(WALLET, path), 'utf8');
    for (const m of source.matchAll(/(?:from|import\()\s*'([^']+)'/g)) {
      const target = new URL(m[1], new URL(path, base)).pathname;
      const relative = target.startsWith(base.pathname) ? target.slice(base.pathname.length) : `..${target.slice('/repo'.length)}`;
      assert.ok(assets.has(relative), `${path} imports ${m[1]}`);
    }
  }
});

test('index.html has no inline script, style or handler, and names its test hooks', () => {
  const html = readFileSync(join(WALLET, 'index.html'), 'utf8');
  assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/);
  assert.doesNotMatch(html, /<style|\sstyle=|\son[a-z]+=/i);
  for (const id of ['balance', 'amount-input', 'pay-button', 'payment-qr', 'close-qr']) {
    assert.match(html, new RegExp(`data-testid="${id}"`));
  }
  const manifest = JSON.parse(readFileSync(join(WALLET, 'manifest.webmanifest'), 'utf8'));
  assert.equal(manifest.display, 'standalone');
  const sizes = manifest.icons.map((i) => `${i.sizes}/${i.purpose}`);
  for (const s of ['192x192/any', '512x512/any', '192x192/maskable', '512x512/maskable']) assert.ok(sizes.includes(s));
});

test('amounts parse from 12,34 / 12.34 / 12 and nothing vaguer', () => {
  assert.equal(parseAmount('12,34'), 1234);
  assert.equal(parseAmount('12.34'), 1234);
  assert.equal(parseAmount('12'), 1200);
  assert.equal(parseAmount(' 12,3 '), 1230);
  assert.equal(parseAmount('0,05'), 5);
  assert.equal(parseAmount('7 €'), 700);
  for (const bad of ['', '0', '0,00', '-1', '12,345', '1.234,56', '12,', ',5', 'abc', '1e3', '12 34', null, '99999999']) {
    assert.equal(parseAmount(bad), null, String(bad));
  }
});

test('every language has every message, and amounts use Intl', () => {
  const keys = messageKeys();
  assert.deepEqual(keys.fr, keys.en);
  assert.deepEqual(keys.nl, keys.en);
  assert.equal(translator('fr').money(1234).replace(/\s/g, ' '), '12,34 €');
  assert.match(translator('nl').money(1234), /12,34/);
  assert.match(translator('en').money(1234), /12\.34/);
  assert.equal(browserLanguage(['nl-BE', 'fr']), 'nl');
  assert.equal(browserLanguage(['de-DE', 'en-US']), 'en');
  assert.equal(browserLanguage(['ar']), 'fr');
});
