// The till's service worker: precaches the versioned app shell (the decoder's .wasm and the
// shared SSA1 core at /keys/js/ included) so the till opens and judges with no network,
// deletes older shells, and never caches the API. VERSION is the hash of the shell's files
// (tools/stamp.mjs writes it; a test checks it is current). Serve this file no-cache.
const VERSION = 'c5ef026196a490d638a7';
const CACHE = `ssa-till-${VERSION}`;
const ASSETS = [
  'index.html',
  'manifest.webmanifest',
  'css/till.css',
  'js/api.js',
  'js/app.js',
  'js/camera.js',
  'js/i18n.js',
  'js/merchant_key.js',
  'js/sound.js',
  'js/store.js',
  'js/till.js',
  'vendor/zxing-wasm/reader/index.js',
  'vendor/zxing-wasm/reader/zxing_reader.wasm',
  'vendor/zxing-wasm/share.js',
  '../keys/js/base45.js',
  '../keys/js/bytes.js',
  '../keys/js/cbor.js',
  '../keys/js/cose.js',
  '../keys/js/ed25519.js',
  '../keys/js/pyformat.js',
  '../keys/js/signed_request.js',
  '../keys/js/tokens.js',
  '../keys/js/trust_list.js',
  '../keys/js/verify.js',
  '../keys/js/vendor/noble-ed25519.js',
  'icons/icon-192.png',
  'icons/icon-512.png',
  'icons/icon-maskable-192.png',
  'icons/icon-maskable-512.png',
];
const SCOPE = new URL('./', self.registration.scope);
const INDEX = new URL('index.html', SCOPE).href;
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
      .then((names) => Promise.all(names.filter((n) => n.startsWith('ssa-till-') && n !== CACHE).map((n) => caches.delete(n))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  const ours = url.pathname.startsWith(SCOPE.pathname) || PRECACHED.has(url.pathname);
  if (request.method !== 'GET' || url.origin !== SCOPE.origin || !ours) return; // the API: network only
  const cached = request.mode === 'navigate'
    ? caches.match(INDEX, { cacheName: CACHE })
    : caches.match(request, { cacheName: CACHE, ignoreSearch: true });
  event.respondWith(cached.then((hit) => hit ?? fetch(request)));
});
