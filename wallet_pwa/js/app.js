// The wallet's screens: welcome/activation, balance + pay + history, "Pay 12,30 €?", the
// full-screen payment QR, and "Did the shop scan it?" after it. All rules live in
// wallet.js; this module only reads and writes the DOM.
import { parseAmount } from './amount.js';
import { ApiError } from './api.js';
import { setupCivic } from './civic.js';
import { LANGUAGES, browserLanguage, translator } from './i18n.js';
import { drawQr, drawTextQr } from './qr.js';
import { BalanceError, CancelError, getMeta, setMeta } from './store.js';
import { CredentialError, Wallet, onOtherTabChange } from './wallet.js';

const $ = (id) => document.getElementById(id);
const wallet = new Wallet();
let t = translator(browserLanguage());
const civic = setupCivic({ wallet, tr: () => t }); // votes and "Où payer ?" (civic.js)
let wakeLock = null;
let shownPayment = null;
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
  const all = await wallet.payments(cred);
  const payments = all.filter((p) => p.status === 'issued' || p.status === 'cancelled' || p.refunded);
  const latest = payments.find((p) => p.status === 'issued');
  $('history').replaceChildren(...payments.slice(0, 50).map((p) => historyItem(p, p === latest)));
  $('no-payments').hidden = payments.length > 0;
  // what a volunteer at the caisse sees on the member's page: the last seq, the total received
  const received = all
    .filter((p) => p.receipt && p.receipt.status !== 'refused')
    .reduce((sum, p) => sum + p.amountCents, 0);
  $('history-summary').hidden = !cred || !cred.seq;
  $('history-summary').textContent = cred?.seq ? t('summary', { seq: cred.seq, amount: t.money(received) }) : '';
  renderContribution();
}

// "Ma cotisation": the household's amount, the caisse's account, the structured
// communication and the EPC QR code a banking app reads (kept from the last sync).
function renderContribution() {
  const c = wallet.contribution;
  $('contribution').hidden = !c;
  if (!c) return;
  const toPay = c.to_pay_cents;
  $('contribution-amount').textContent = toPay ? t.money(toPay) : t('contributionNone');
  $('contribution-beneficiary').textContent = c.beneficiary;
  $('contribution-iban').textContent = c.iban.replace(/(.{4})(?=.)/g, '$1 ');
  $('contribution-reference').textContent = c.reference;
  $('contribution-balance').textContent =
    c.balance_cents < 0 ? t('contributionOwed', { amount: t.money(-c.balance_cents) }) : t('contributionUpToDate');
  $('contribution-rule').textContent = t(c.unpaid_rule === 'suspend' ? 'contributionRuleSuspend' : 'contributionRuleRemind');
  const canvas = $('contribution-qr');
  canvas.hidden = !toPay;
  if (toPay) {
    drawTextQr(canvas, c.epc_qr, 220);
    canvas.setAttribute('aria-label', t('contributionQrAlt', { amount: t.money(toPay) }));
  }
}

/** What became of a payment, in words: received by a shop, not yet, cancelled, refused. */
function paymentState(payment) {
  const r = payment.receipt;
  const shop = r?.shop ? t('stReceived', { shop: r.shop }) : t('stReceivedCaisse');
  if (payment.status === 'void') return { text: t('notCharged'), tone: 'muted' };
  if (payment.status === 'cancelled') {
    if (r && r.status !== 'refused') {
      return { text: t('stCancelledScanned', { shop: r.shop || t('stReceivedCaisse') }), tone: 'warn' };
    }
    return { text: t('stCancelled'), tone: 'muted' };
  }
  if (!r) return { text: t('stNotYet'), tone: 'muted' };
  if (r.status === 'refused') {
    const key = `reason_${r.reason}`;
    const reason = t(key) === key ? t('reasonOther', { code: r.reason ?? '?' }) : t(key);
    return { text: t('stRefused', { reason }), tone: 'warn' };
  }
  return { text: shop, tone: 'ok' };
}

function historyItem(payment, isLatest) {
  const li = document.createElement('li');
  li.dataset.seq = String(payment.seq);
  const what = document.createElement('span');
  what.textContent = `${t.dateTime(payment.iat)} · ${t('paymentNumber', { seq: payment.seq })}`;
  const amount = document.createElement('span');
  const off = payment.status === 'void' || payment.status === 'cancelled';
  amount.className = off ? 'amount void' : 'amount';
  amount.textContent = t.money(payment.amountCents);
  const state = paymentState(payment);
  const note = document.createElement('span');
  note.className = `state ${state.tone}`;
  note.dataset.testid = 'payment-state';
  note.textContent = state.text;
  li.append(what, amount, note);
  if (isLatest && payment.status === 'issued') {
    const again = document.createElement('button');
    again.type = 'button';
    again.className = 'secondary';
    again.textContent = t('showAgain');
    again.addEventListener('click', () => showQr(payment));
    li.append(again);
  }
  if (wallet.canCancel(payment)) {
    const cancel = document.createElement('button');
    cancel.type = 'button';
    cancel.className = 'secondary';
    cancel.dataset.testid = 'cancel-payment';
    cancel.textContent = t('cancelPayment');
    cancel.addEventListener('click', () => ask(payment, 'history'));
    li.append(cancel);
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
  if (active) civic.render();
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
    civic.refresh(); // the votes and the shops, now that the caisse knows this key
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

// -- dialogs ------------------------------------------------------------------

const DIALOGS = ['confirm-screen', 'qr-screen', 'ask-screen'];
let confirming = null; // {cents}: the amount waiting for "Pay 12,30 €?"
let asking = null; // {payment, context: 'close' | 'remake' | 'history'}
let staleTimer = null;

function setBackgroundInert(inert) {
  for (const el of document.querySelectorAll('body > header, body > main')) el.inert = inert;
}

/** Show one modal dialog (the others hidden), the page behind it inert, focus on `focus`. */
function openDialog(id, focus) {
  for (const d of DIALOGS) $(d).hidden = d !== id;
  setBackgroundInert(true);
  $(focus).focus();
}

/** Hide every dialog; focus goes back where paying starts (the history is re-drawn anyway). */
function closeDialogs() {
  for (const d of DIALOGS) $(d).hidden = true;
  setBackgroundInert(false);
  $('amount-input').focus();
}

/** Tab and Shift+Tab cycle through the open dialog's own buttons. */
function trapFocus(event) {
  if (event.key !== 'Tab') return;
  const buttons = [...event.currentTarget.querySelectorAll('button')].filter((b) => b.offsetParent !== null);
  if (!buttons.length) return;
  event.preventDefault();
  const i = buttons.indexOf(document.activeElement);
  const next = event.shiftKey ? (i <= 0 ? buttons.length - 1 : i - 1) : (i + 1) % buttons.length;
  buttons[next].focus();
}

// -- paying ------------------------------------------------------------------

function fieldError(key, params) {
  const input = $('amount-input');
  $('amount-error').hidden = !key;
  $('amount-error').textContent = key ? t(key, params) : '';
  if (key) input.setAttribute('aria-invalid', 'true');
  else input.removeAttribute('aria-invalid');
}

/** Pay tapped: check the amount, then ask "Pay 12,30 €?" in large type before signing. */
function onPay(event) {
  event.preventDefault();
  performance.mark('ssa-pay-tap');
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
  confirming = { cents };
  renderConfirm();
  openDialog('confirm-screen', 'confirm-pay');
  requestAnimationFrame(() => performance.mark('ssa-confirm-shown'));
}

function renderConfirm() {
  if (!confirming) return;
  $('confirm-title').textContent = t('confirmTitle', { amount: t.money(confirming.cents) });
  $('confirm-after').textContent = t('confirmAfter', { amount: t.money(wallet.balance() - confirming.cents) });
}

function backToAmount() {
  confirming = null;
  closeDialogs();
  $('amount-input').select();
  applyUpdate();
}

/** "Yes, pay": reserve, sign and record the payment, then show its QR. */
async function onConfirm() {
  if (!confirming || busy) return;
  performance.mark('ssa-pay-start');
  const { cents } = confirming;
  busy = true;
  $('confirm-pay').disabled = true;
  try {
    const payment = await wallet.pay(cents);
    confirming = null;
    $('amount-input').value = '';
    showQr(payment);
  } catch (err) {
    confirming = null;
    closeDialogs();
    if (err instanceof BalanceError) fieldError('errOverBalance', { amount: t.money(wallet.balance()) });
    else alertMessage(errorKey(err));
  } finally {
    $('confirm-pay').disabled = false;
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

function releaseScreen() {
  wakeLock?.release().catch(() => {});
  wakeLock = null;
}

/** The largest QR side (CSS px) that fits beside the dialog's other lines without scrolling. */
function qrSide() {
  const screen = $('qr-screen');
  const style = getComputedStyle(screen);
  const gap = parseFloat(style.rowGap) || 0;
  let used = parseFloat(style.paddingTop) + parseFloat(style.paddingBottom);
  for (const el of screen.children) {
    if (el.hidden || el.id === 'payment-qr') continue;
    used += el.getBoundingClientRect().height + gap;
  }
  const width = screen.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
  return Math.max(Math.min(width, window.innerHeight - used, 720), 160);
}

function showQr(payment) {
  clearTimeout(staleTimer);
  shownPayment = payment;
  const amount = t.money(payment.amountCents);
  $('qr-amount').textContent = amount;
  $('qr-seq').textContent = t('paymentNumber', { seq: payment.seq });
  const canvas = $('payment-qr');
  canvas.setAttribute('aria-label', t('qrAlt', { amount }));
  const stale = wallet.isStale(payment);
  $('qr-title').textContent = t(stale ? 'qrStaleTitle' : 'qrTitle');
  canvas.hidden = stale;
  $('qr-stale').hidden = !stale;
  $('qr-stale-text').textContent = stale ? t('qrStale', { minutes: Math.round(wallet.tokenAgeS / 60) }) : '';
  openDialog('qr-screen', stale ? 'remake-qr' : 'close-qr');
  if (!stale) {
    drawQr(canvas, payment.qr, qrSide());
    // the queue was long: when the till would refuse it, say so and offer a new code
    staleTimer = setTimeout(() => shownPayment === payment && showQr(payment), wallet.staleIn(payment) * 1000 + 50);
    keepScreenOn();
  } else {
    releaseScreen();
  }
  requestAnimationFrame(() => performance.mark('ssa-qr-shown'));
}

/** Done: the QR goes; unless the member already answered, ask whether the shop scanned it. */
async function closeQr() {
  const payment = shownPayment;
  clearTimeout(staleTimer);
  shownPayment = null;
  releaseScreen();
  if (payment && !payment.scannedAnswerAt && wallet.canCancel(payment)) {
    ask(payment, 'close');
    return;
  }
  await finish();
}

/** Back to the balance screen, moving to a newer wallet version first if one is waiting. */
async function finish() {
  asking = null;
  closeDialogs();
  if (applyUpdate()) return; // a newer version may hold the database: go to it first
  await renderHome();
}

function ask(payment, context) {
  asking = { payment, context };
  renderAsk();
  openDialog('ask-screen', 'ask-yes');
}

function renderAsk() {
  if (!asking) return;
  const { payment, context } = asking;
  const params = { seq: payment.seq, amount: t.money(payment.amountCents) };
  const stale = wallet.isStale(payment);
  $('ask-what').textContent = t(context === 'remake' ? 'askWhatStale' : 'askWhat', params);
  $('ask-no').textContent = t(context === 'remake' ? 'askNoRemake' : 'askNoCancel');
  $('ask-show').hidden = stale;
}

/** "Yes, it was scanned": the payment stays as it is. */
async function onScannedYes() {
  if (!asking || busy) return;
  const { payment } = asking;
  busy = true;
  try {
    await wallet.keep(payment);
  } catch {
    // only the "do not ask again" mark is lost: nothing about the money changes
  } finally {
    busy = false;
  }
  await finish();
}

/** "No": cancel it (the amount back on the balance), or cancel it and make a new code. */
async function onScannedNo() {
  if (!asking || busy) return;
  const { payment, context } = asking;
  busy = true;
  try {
    if (context === 'remake') {
      const fresh = await wallet.remake(payment);
      asking = null;
      showQr(fresh);
      return;
    }
    await wallet.cancel(payment);
    say('cancelled', { amount: t.money(payment.amountCents) });
    await finish();
  } catch (err) {
    await finish();
    alertMessage(err instanceof CancelError ? 'errCannotCancel' : errorKey(err));
  } finally {
    busy = false;
    applyUpdate();
  }
}

function onScannedShow() {
  if (!asking) return;
  const { payment } = asking;
  asking = null;
  showQr(payment);
}

/** Escape on the question: nothing is decided; the payment can still be cancelled from the history. */
async function dismissAsk() {
  if (busy) return;
  await finish();
}

// -- sync --------------------------------------------------------------------

let syncing = null;

function refresh({ quiet = true } = {}) {
  if (!wallet.identity || syncing) return syncing;
  syncing = wallet
    .refresh()
    .then(() => civic.refresh())
    .then(() => !quiet && say('synced'))
    .catch((err) => {
      // a refused key is shown by its own lasting notice (renderKeyNotice), quiet or not
      if (!quiet && !(err instanceof ApiError && err.kind === 'key')) alertMessage(errorKey(err));
    })
    .finally(() => {
      syncing = null;
      if (!shownPayment && !asking) render();
      applyUpdate();
    });
  return syncing;
}

let shownCti = null;

function tick() {
  const cred = wallet.current();
  if ((cred?.ctiHex ?? null) !== shownCti) {
    shownCti = cred?.ctiHex ?? null;
    if (!shownPayment && !asking) render();
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
  if (!updateReady || shownPayment || confirming || asking || busy || syncing) return false;
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
  await civic.load();
  await render();

  $('lang-select').addEventListener('change', async (e) => {
    t = translator(e.target.value);
    applyLanguage();
    await setMeta('lang', t.lang).catch(() => {});
    await render();
    renderConfirm();
    renderAsk();
    if (shownPayment) showQr(shownPayment);
  });
  $('activate-form').addEventListener('submit', (e) => {
    e.preventDefault();
    runActivation($('code-input').value.trim());
  });
  $('code-input').addEventListener('keydown', (e) => {
    if (e.key === 'Enter') {
      e.preventDefault(); // a textarea, so that a whole code shows on a small screen; Enter sends it
      $('activate-form').requestSubmit();
    }
  });
  $('pay-form').addEventListener('submit', onPay);
  $('amount-input').addEventListener('input', () => fieldError(null));
  $('confirm-pay').addEventListener('click', onConfirm);
  $('confirm-back').addEventListener('click', backToAmount);
  $('close-qr').addEventListener('click', closeQr);
  $('remake-qr').addEventListener('click', () => {
    const payment = shownPayment;
    shownPayment = null;
    clearTimeout(staleTimer);
    ask(payment, 'remake');
  });
  $('ask-yes').addEventListener('click', onScannedYes);
  $('ask-no').addEventListener('click', onScannedNo);
  $('ask-show').addEventListener('click', onScannedShow);
  $('refresh-button').addEventListener('click', () => refresh({ quiet: false }));
  const onEscape = (fn) => (e) => e.key === 'Escape' && fn();
  for (const id of DIALOGS) $(id).addEventListener('keydown', trapFocus);
  $('confirm-screen').addEventListener('keydown', onEscape(backToAmount));
  $('qr-screen').addEventListener('keydown', onEscape(closeQr));
  $('ask-screen').addEventListener('keydown', onEscape(dismissAsk));
  $('amount-input').addEventListener('change', () => applyUpdate());
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') {
      if (shownPayment && wallet.isStale(shownPayment) && !$('payment-qr').hidden) showQr(shownPayment);
      else if (shownPayment && !wakeLock) keepScreenOn();
      tick();
    } else {
      applyUpdate({ evenIfTyped: true }); // the member left the wallet: a good moment
    }
  });
  onOtherTabChange(async () => {
    await wallet.reload().catch(() => {}); // another tab paid or synced: show its balance
    if (!shownPayment && !asking) await render();
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
