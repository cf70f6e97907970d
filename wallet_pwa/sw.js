// The wallet's service worker: precaches the versioned app shell so the wallet opens and
// pays with no network, deletes older shells, and never caches the API. VERSION is the
// hash of the shell's files (tools/stamp.mjs writes it; a test checks it is current), so
// any change to the shell makes browsers install a new one. Serve this file no-cache.
// A new version takes over as soon as its whole shell is cached (skipWaiting); open pages
// then reload into it at a safe moment (app.js, applyUpdate), never during a payment.
const VERSION = 'd2062c9329a052f9d115';
const CACHE = `ssa-wallet-${VERSION}`;
const ASSETS = [
  'index.html',
  'manifest.webmanifest',
  'css/wallet.css',
  'js/amount.js',
  'js/api.js',
  'js/app.js',
  'js/civic.js',
  'js/i18n.js',
  'js/i18n_civic.js',
  'js/member_key.js',
  'js/qr.js',
  'js/store.js',
  'js/wallet.js',
  'vendor/lean-qr.js',
  'vendor/noble-ed25519.js',
  '../keys/js/base45.js',
  '../keys/js/bytes.js',
  '../keys/js/cbor.js',
  '../keys/js/cose.js',
  '../keys/js/ed25519.js',
  '../keys/js/pyformat.js',
  '../keys/js/tokens.js',
  '../keys/js/vendor/noble-ed25519.js',
  'icons/icon-192.png',
  'icons/icon-512.png',
  'icons/icon-maskable-192.png',
  'icons/icon-maskable-512.png',
];
const SCOPE = new URL('./', self.registration.scope);
const INDEX = new URL('index.html', SCOPE).href;
// The shared SSA1 core lives beside the wallet, at /keys/js/: precached with the shell.
const PRECACHED = new Set(ASSETS.map((path) => new URL(path, SCOPE).pathname));

self.addEventListener('install', (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.addAll(ASSETS.map((path) => new Request(new URL(path, SCOPE), { cache: 'reload' }))))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) => Promise.all(names.filter((n) => n.startsWith('ssa-wallet-') && n !== CACHE).map((n) => caches.delete(n))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  const ours = url.pathname.startsWith(SCOPE.pathname) || PRECACHED.has(url.pathname);
  if (request.method !== 'GET' || url.origin !== SCOPE.origin || !ours) {
    return; // the API and anything else: straight to the network, never cached
  }
  const cached = request.mode === 'navigate'
    ? caches.match(INDEX, { cacheName: CACHE })
    : caches.match(request, { cacheName: CACHE, ignoreSearch: true });
  event.respondWith(cached.then((hit) => hit ?? fetch(request)));
});
