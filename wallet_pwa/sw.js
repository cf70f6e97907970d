// The wallet's service worker: precaches the versioned app shell so the wallet opens and
// pays with no network, deletes older shells, and never caches the API. VERSION is the
// hash of the shell's files (tools/stamp.mjs writes it; a test checks it is current), so
// any change to the shell makes browsers install a new one. Serve this file no-cache.
// A new version takes over as soon as its whole shell is cached (skipWaiting); open pages
// then reload into it at a safe moment (app.js, applyUpdate), never during a payment.
const VERSION = 'd7208e99948f50e50234';
const CACHE = `ssa-wallet-${VERSION}`;
const ASSETS = [
  'index.html',
  'manifest.webmanifest',
  'css/wallet.css',
  'js/amount.js',
  'js/api.js',
  'js/app.js',
  'js/base45.js',
  'js/bytes.js',
  'js/cbor.js',
  'js/i18n.js',
  'js/member_key.js',
  'js/qr.js',
  'js/ssa1.js',
  'js/store.js',
  'js/wallet.js',
  'vendor/lean-qr.js',
  'vendor/noble-ed25519.js',
  'icons/icon-192.png',
  'icons/icon-512.png',
  'icons/icon-maskable-192.png',
  'icons/icon-maskable-512.png',
];
const SCOPE = new URL('./', self.registration.scope);
const INDEX = new URL('index.html', SCOPE).href;

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
  if (request.method !== 'GET' || url.origin !== SCOPE.origin || !url.pathname.startsWith(SCOPE.pathname)) {
    return; // the API and anything else: straight to the network, never cached
  }
  const cached = request.mode === 'navigate'
    ? caches.match(INDEX, { cacheName: CACHE })
    : caches.match(request, { cacheName: CACHE, ignoreSearch: true });
  event.respondWith(cached.then((hit) => hit ?? fetch(request)));
});
