// The wallet's screens: welcome/activation, balance + pay + history, and the full-screen
// payment QR. All rules live in wallet.js; this module only reads and writes the DOM.
import { parseAmount } from './amount.js';
import { ApiError } from './api.js';
import { LANGUAGES, browserLanguage, translator } from './i18n.js';
import { drawQr } from './qr.js';
import { BalanceError, getMeta, setMeta } from './store.js';
import { CredentialError, Wallet, onOtherTabChange } from './wallet.js';

const $ = (id) => document.getElementById(id);
const wallet = new Wallet();
let t = translator(browserLanguage());
let wakeLock = null;
let shownPayment = null;
let lastFocus = null;
let busy = false; // activating or paying: never reload under the member's feet
let updateReady = false; // a new version of the wallet took over: reload when safe

function say(key, params) {
  $('status').textContent = key ? t(key, params) : '';
}

function alertMessage(key, params) {
  const el = $('alert');
  el.hidden = !key;
  el.textContent = key ? t(key, params) : '';
}

function errorKey(err) {
  if (err instanceof ApiError) {
    return { network: 'errNetwork', code: 'errCodeInvalid', key: 'errKeyRefused' }[err.kind] ?? 'errServer';
  }
  if (err instanceof CredentialError) return wallet.activated ? 'errNoCredential' : 'errBadCredential';
  if (err instanceof BalanceError) return 'errOverBalance';
  return 'errStorage';
}

function applyLanguage() {
  document.documentElement.lang = t.lang;
  document.title = t('title');
  for (const el of document.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  const select = $('lang-select');
  select.replaceChildren(
    ...Object.entries(LANGUAGES).map(([code, name]) => {
      const option = new Option(name, code, false, code === t.lang);
      option.lang = code;
      return option;
    }),
  );
}

async function renderHome() {
  const cred = wallet.current();
  $('balance').textContent = t.money(wallet.balance(cred));
  $('period').textContent = cred ? t('periodUntil', { date: t.date(cred.exp - 1) }) : t('errNoCredential');
  $('allowance').textContent = cred ? t('monthlyAllowance', { amount: t.money(cred.allowanceCents) }) : '';
  $('pay-button').disabled = !cred;
  const { lastSynced } = wallet.sync;
  $('last-synced').textContent = lastSynced ? t('lastSynced', { date: t.dateTime(lastSynced) }) : t('neverSynced');
  $('network').textContent = navigator.onLine ? t('online') : t('offline');
  const payments = (await wallet.payments(cred)).filter((p) => p.status === 'issued' || p.refunded);
  const latest = payments.find((p) => p.status === 'issued');
  $('history').replaceChildren(...payments.slice(0, 50).map((p) => historyItem(p, p === latest)));
  $('no-payments').hidden = payments.length > 0;
}

function historyItem(payment, canShowAgain) {
  const li = document.createElement('li');
  const what = document.createElement('span');
  what.textContent = `${t.dateTime(payment.iat)} · ${t('paymentNumber', { seq: payment.seq })}`;
  const amount = document.createElement('span');
  amount.className = payment.status === 'void' ? 'amount void' : 'amount';
  amount.textContent = t.money(payment.amountCents);
  li.append(what, amount);
  if (payment.status === 'void') {
    const note = document.createElement('span');
    note.className = 'muted';
    note.textContent = t('notCharged');
    li.append(note);
  }
  if (canShowAgain) {
    const again = document.createElement('button');
    again.type = 'button';
    again.className = 'secondary';
    again.textContent = t('showAgain');
    again.addEventListener('click', () => showQr(payment));
    li.append(again);
  }
  return li;
}

/** Persistent (even offline) until the caisse accepts this wallet's key again. */
function renderKeyNotice() {
  const el = $('key-refused');
  const text = wallet.keyRefused ? t('errKeyRefused') : '';
  el.hidden = !text;
  if (el.textContent !== text) el.textContent = text; // unchanged: not announced again
}

async function render() {
  const active = wallet.activated;
  renderKeyNotice();
  $('screen-welcome').hidden = active;
  $('screen-home').hidden = !active;
  if (active) await renderHome();
}

// -- activation --------------------------------------------------------------

async function runActivation(code) {
  if (!code) return;
  if (wallet.activated) {
    alertMessage('errAlreadyActive');
    return;
  }
  alertMessage(null);
  say('activating');
  $('activate-button').disabled = true;
  busy = true;
  try {
    await wallet.activate(code);
    history.replaceState(null, '', location.pathname + location.search); // forget the code
    say('activated');
    await render();
    $('amount-input').focus();
  } catch (err) {
    say(null);
    $('code-input').value = code;
    alertMessage(errorKey(err));
    if (!(err instanceof ApiError && err.kind === 'network')) {
      history.replaceState(null, '', location.pathname + location.search);
    }
  } finally {
    $('activate-button').disabled = false;
    busy = false;
    applyUpdate();
  }
}

function activationCodeFromLink() {
  const params = new URLSearchParams(location.hash.slice(1));
  return (params.get('activate') ?? '').trim();
}

// -- paying ------------------------------------------------------------------

function fieldError(key, params) {
  const input = $('amount-input');
  $('amount-error').hidden = !key;
  $('amount-error').textContent = key ? t(key, params) : '';
  if (key) input.setAttribute('aria-invalid', 'true');
  else input.removeAttribute('aria-invalid');
}

async function onPay(event) {
  event.preventDefault();
  performance.mark('ssa-pay-start');
  alertMessage(null);
  const cents = parseAmount($('amount-input').value);
  if (cents === null) {
    fieldError('errAmount');
    $('amount-input').focus();
    return;
  }
  const balance = wallet.balance();
  if (cents > balance) {
    fieldError('errOverBalance', { amount: t.money(balance) });
    $('amount-input').focus();
    return;
  }
  fieldError(null);
  $('pay-button').disabled = true;
  busy = true;
  try {
    const payment = await wallet.pay(cents);
    $('amount-input').value = '';
    showQr(payment);
  } catch (err) {
    if (err instanceof BalanceError) fieldError('errOverBalance', { amount: t.money(wallet.balance()) });
    else alertMessage(errorKey(err));
  } finally {
    $('pay-button').disabled = !wallet.current();
    busy = false;
    applyUpdate();
  }
}

async function keepScreenOn() {
  try {
    wakeLock = (await navigator.wakeLock?.request('screen')) ?? null;
  } catch {
    wakeLock = null; // refused (battery saver, no user gesture): the QR still shows
  }
}

function setBackgroundInert(inert) {
  for (const el of document.querySelectorAll('body > header, body > main')) el.inert = inert;
}

function showQr(payment) {
  if (!shownPayment) lastFocus = document.activeElement;
  shownPayment = payment;
  const amount = t.money(payment.amountCents);
  $('qr-amount').textContent = amount;
  $('qr-seq').textContent = t('paymentNumber', { seq: payment.seq });
  const canvas = $('payment-qr');
  canvas.setAttribute('aria-label', t('qrAlt', { amount }));
  setBackgroundInert(true);
  $('qr-screen').hidden = false;
  const side = Math.min(window.innerWidth - 24, window.innerHeight - 220, 720);
  drawQr(canvas, payment.qr, Math.max(side, 200));
  $('close-qr').focus();
  keepScreenOn();
  requestAnimationFrame(() => performance.mark('ssa-qr-shown'));
}

async function closeQr() {
  shownPayment = null;
  $('qr-screen').hidden = true;
  setBackgroundInert(false);
  wakeLock?.release().catch(() => {});
  wakeLock = null;
  const back = lastFocus?.isConnected && lastFocus !== document.body ? lastFocus : $('amount-input');
  back.focus();
  if (applyUpdate()) return; // a newer version may hold the database: go to it first
  await renderHome();
}

// -- sync --------------------------------------------------------------------

let syncing = null;

function refresh({ quiet = true } = {}) {
  if (!wallet.identity || syncing) return syncing;
  syncing = wallet
    .refresh()
    .then(() => !quiet && say('synced'))
    .catch((err) => {
      // a refused key is shown by its own lasting notice (renderKeyNotice), quiet or not
      if (!quiet && !(err instanceof ApiError && err.kind === 'key')) alertMessage(errorKey(err));
    })
    .finally(() => {
      syncing = null;
      if (!shownPayment) render();
      applyUpdate();
    });
  return syncing;
}

let shownCti = null;

function tick() {
  const cred = wallet.current();
  if ((cred?.ctiHex ?? null) !== shownCti) {
    shownCti = cred?.ctiHex ?? null;
    if (!shownPayment) render();
  }
  // a new month, or nothing in force: fetch it as soon as the network allows
  if (navigator.onLine && wallet.activated && (!cred || cred.exp - wallet.now() < 3 * 86400)) {
    const stale = !wallet.sync.lastSynced || wallet.now() - wallet.sync.lastSynced > 3600;
    if (stale || !cred) refresh();
  }
}

// -- updates -----------------------------------------------------------------

/**
 * A new service worker activates as soon as it has the whole new shell (sw.js calls
 * skipWaiting), and this page, still running the old shell, reloads into the new one at
 * the first safe moment: no QR on screen, no payment or activation under way, nothing
 * typed. The member's data is in IndexedDB and is untouched by an update.
 */
function applyUpdate({ evenIfTyped = false } = {}) {
  if (!updateReady || shownPayment || busy || syncing) return false;
  if (!evenIfTyped && ($('amount-input').value.trim() || $('code-input').value.trim())) return false;
  updateReady = false;
  location.reload();
  return true;
}

function watchUpdates() {
  if (!('serviceWorker' in navigator)) return;
  let controlled = Boolean(navigator.serviceWorker.controller);
  navigator.serviceWorker.addEventListener('controllerchange', () => {
    // the first install only takes control of this page; a change after that is a new version
    if (controlled) {
      updateReady = true;
      applyUpdate();
    }
    controlled = true;
  });
  navigator.serviceWorker.register('sw.js', { scope: './' }).catch(() => {});
}

// -- start -------------------------------------------------------------------

// Over plain http on an address other than this phone's own, the browser gives the page
// no secure context: no service worker, no WebCrypto. That is the address's fault, not
// the phone's: say so, with the https address to open instead.
function insecure() {
  if (window.isSecureContext) return false;
  applyLanguage();
  $('screen-welcome').hidden = false;
  alertMessage('errInsecure', { url: location.href.replace(/^http:/, 'https:') });
  return true;
}

async function start() {
  if (insecure()) return;
  watchUpdates();
  try {
    t = translator((await getMeta('lang')) ?? browserLanguage());
    applyLanguage();
    await wallet.load();
  } catch {
    applyLanguage();
    $('screen-welcome').hidden = false;
    alertMessage('errStorage');
    return;
  }
  shownCti = wallet.current()?.ctiHex ?? null;
  await render();

  $('lang-select').addEventListener('change', async (e) => {
    t = translator(e.target.value);
    applyLanguage();
    await setMeta('lang', t.lang).catch(() => {});
    await render();
    if (shownPayment) showQr(shownPayment);
  });
  $('activate-form').addEventListener('submit', (e) => {
    e.preventDefault();
    runActivation($('code-input').value.trim());
  });
  $('pay-form').addEventListener('submit', onPay);
  $('amount-input').addEventListener('input', () => fieldError(null));
  $('close-qr').addEventListener('click', closeQr);
  $('refresh-button').addEventListener('click', () => refresh({ quiet: false }));
  $('qr-screen').addEventListener('keydown', (e) => {
    if (e.key === 'Escape') closeQr();
    if (e.key === 'Tab') {
      e.preventDefault(); // the close button is the dialog's only control
      $('close-qr').focus();
    }
  });
  $('amount-input').addEventListener('change', () => applyUpdate());
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') {
      if (shownPayment && !wakeLock) keepScreenOn();
      tick();
    } else {
      applyUpdate({ evenIfTyped: true }); // the member left the wallet: a good moment
    }
  });
  onOtherTabChange(async () => {
    await wallet.reload().catch(() => {}); // another tab paid or synced: show its balance
    if (!shownPayment) await render();
  });
  addEventListener('ssa-storage-upgraded', () => {
    updateReady = true; // a newer wallet took the database: move to it when safe
    applyUpdate();
  });
  window.addEventListener('online', () => {
    renderHome();
    refresh();
  });
  window.addEventListener('offline', () => renderHome());
  window.addEventListener('hashchange', () => runActivation(activationCodeFromLink()));
  setInterval(tick, 60_000);

  const code = activationCodeFromLink();
  if (code) await runActivation(code);
  else if (navigator.onLine && wallet.identity) refresh();
  document.documentElement.dataset.ready = 'true'; // for tests and the benchmark
}

start();
