// The till's screen: enrolment, then scan → verdict, today's takings, and the status bar.
// Every rule lives in till.js and the shared core; this file only shows and listens.
import { ResultCode } from '../../keys/js/verify.js';
import { TrustListInvalid } from '../../keys/js/trust_list.js';
import { Camera, warmUp } from './camera.js';
import { LANGUAGES, browserLanguage, translator } from './i18n.js';
import { play, unlock } from './sound.js';
import { getMeta, setMeta, takings } from './store.js';
import { ApiError, Till, TrustListRollback, enrolmentCode } from './till.js';
import { NoEd25519 } from './merchant_key.js';

const $ = (id) => document.getElementById(id);
const nowS = () => Math.floor(Date.now() / 1000);
const SAME_CODE_MS = 3000; // a code held in view is judged again after this (REPLAY)
const SYNC_EVERY_MS = 60_000;

const till = new Till();
let t = translator('fr');
let camera = null;
let mode = 'none'; // 'enrol' | 'till'
let lastText = '';
let lastAt = 0;
let syncTimer = null;

function show(el, visible) {
  el.hidden = !visible;
}

function alertText(text) {
  $('alert').textContent = text ?? '';
  show($('alert'), Boolean(text));
}

function applyLanguage() {
  document.documentElement.lang = t.lang;
  document.title = t('title');
  for (const el of document.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  $('recent').setAttribute('aria-label', t('recent'));
  const select = $('lang-select');
  select.value = t.lang;
}

async function setupLanguage() {
  const saved = await getMeta('lang').catch(() => null);
  t = translator(saved ?? browserLanguage());
  const select = $('lang-select');
  select.replaceChildren(...Object.entries(LANGUAGES).map(([code, name]) => new Option(name, code)));
  select.addEventListener('change', async () => {
    t = translator(select.value);
    await setMeta('lang', t.lang);
    applyLanguage();
    if (mode === 'till') await refresh();
  });
  applyLanguage();
}

// -- camera ------------------------------------------------------------------------

const CAMERA_TEXT = { starting: 'cameraStarting', on: 'cameraOn', denied: 'cameraDenied', none: 'cameraNone',
  busy: 'cameraBusy', lost: 'cameraLost', unsupported: 'cameraUnsupported' };

function onCameraState(state) {
  $('camera-state').textContent = t(CAMERA_TEXT[state]);
  $('camera-state').dataset.state = state;
  show($('camera-retry'), state === 'denied' || state === 'none' || state === 'busy');
}

function startCamera() {
  show($('camera-box'), true);
  camera ??= new Camera($('camera-view'), { onText: (text, at) => onCameraText(text, at), onState: onCameraState });
  if (!camera.running) camera.start();
}

async function onCameraText(text, frameAt) {
  const now = performance.now();
  if (text === lastText && now - lastAt < SAME_CODE_MS) return; // still in view: already judged
  lastText = text;
  lastAt = now;
  if (mode === 'enrol') await enrolWith(text);
  else if (mode === 'till') await handleScan(text, frameAt);
}

// -- enrolment -----------------------------------------------------------------------

async function enrolWith(text) {
  const { code, server, otherServer } = enrolmentCode(text);
  if (otherServer) {
    alertText(t('errOtherServer', { server }));
    return;
  }
  $('enrol-code').value = code;
  $('enrol-button').disabled = true;
  $('enrol-button').textContent = t('enrolling');
  alertText('');
  try {
    const identity = await till.enrol(code);
    history.replaceState(null, '', location.pathname); // the spent code leaves the address bar
    alertText('');
    await showTill();
    flash(t('enrolled', { merchant: identity.merchantId }));
  } catch (error) {
    alertText(enrolError(error));
  } finally {
    $('enrol-button').disabled = false;
    $('enrol-button').textContent = t('enrol');
  }
}

function enrolError(error) {
  if (error instanceof NoEd25519) return t('errNoCrypto');
  if (error instanceof ApiError) return t({ code: 'errCode', network: 'errNetwork' }[error.kind] ?? 'errServer');
  if (error instanceof TrustListInvalid) return t('listInvalid');
  return t('errStorage');
}

function showEnrol() {
  mode = 'enrol';
  show($('screen-enrol'), true);
  for (const id of ['screen-till', 'till-tools', 'footer']) show($(id), false);
  $('enrol-form').addEventListener('submit', (event) => {
    event.preventDefault();
    unlock();
    enrolWith($('enrol-code').value);
  });
  $('enrol-scan').addEventListener('click', () => {
    unlock();
    startCamera();
  });
  const { code } = enrolmentCode(location.href);
  if (code) enrolWith(location.href); // the letter's QR opened the till: enrol at once
}

// -- scanning --------------------------------------------------------------------------

function flash(text) {
  $('network').textContent = text;
}

function showVerdict(result) {
  const box = $('verdict');
  const token = result.token;
  const kind = result.code === ResultCode.OK ? 'ok' : result.code === ResultCode.REPLAY ? 'replay' : 'refused';
  box.dataset.verdict = kind;
  box.dataset.code = result.code;
  $('verdict-title').textContent = t({ ok: 'verdictOk', replay: 'verdictReplay', refused: 'verdictRefused' }[kind]);
  $('verdict-amount').textContent = kind !== 'refused' && token ? t.money(token.amountCents) : '';
  $('verdict-kind').textContent = token ? t(token.type === 'voucher' ? 'kindVoucher' : 'kindPayment') : '';
  $('verdict-reason').textContent = kind === 'replay' ? t('verdictReplayText') : kind === 'refused' ? t(`reason_${result.code}`) : '';
  const scope = till.identity?.scope;
  $('verdict-scope').textContent = kind === 'ok' && scope ? t('scope', { scope }) : '';
  play(kind);
}

function clearVerdict() {
  const box = $('verdict');
  box.dataset.verdict = 'none';
  delete box.dataset.code;
  for (const id of ['verdict-title', 'verdict-amount', 'verdict-kind', 'verdict-reason', 'verdict-scope']) $(id).textContent = '';
  lastText = '';
  $('wedge-input').focus();
}

async function handleScan(text, startedAt = performance.now()) {
  const status = await till.status(nowS());
  if (status.blocked) {
    await refresh();
    return;
  }
  const result = await till.judge(text, nowS()); // an OK is in the journal before it shows
  showVerdict(result);
  performance.measure('ssa-frame-to-verdict', { start: startedAt, end: performance.now() });
  document.body.dataset.scans = String(Number(document.body.dataset.scans ?? 0) + 1);
  await refresh();
  if (result.ok) scheduleSync(2000);
}

// -- status, takings, sync ---------------------------------------------------------------

function age(lastSync, now) {
  if (lastSync === null) return t('never');
  const s = now - lastSync;
  return t('lastSync', { age: s < 3600 ? t('agoMinutes', { minutes: Math.floor(s / 60) }) : t('agoHours', { hours: Math.floor(s / 3600) }) });
}

async function refresh() {
  const now = nowS();
  const status = await till.status(now);
  const hours = Math.floor(Math.max(status.trustList.remaining, 0) / 3600);
  const list = { ok: 'listOk', warn: 'listSoon', error: 'listExpired' }[status.trustList.band];
  const line = $('status-line');
  line.textContent = [t('unsent', { count: status.unsent }), age(status.lastSync, now), t(list, { hours })].join(' · ');
  line.dataset.band = status.trustList.band;
  line.dataset.unsent = String(status.unsent);
  $('blocked').textContent = status.blocked ? t(status.blocked.kind) : '';
  show($('blocked'), Boolean(status.blocked));
  document.body.dataset.blocked = status.blocked ? status.blocked.kind : '';
  $('wedge-input').disabled = Boolean(status.blocked);
  const today = await takings(now);
  $('takings').textContent = today.count ? t('takingsLine', { amount: t.money(today.cents), count: today.count }) : t('noneYet');
  $('takings').dataset.cents = String(today.cents);
  $('recent').replaceChildren(...today.scans.slice(0, 8).map((s) => {
    const li = document.createElement('li');
    li.textContent = `${t.time(s.scannedAt)} — ${t.money(s.amountCents)} — ${t(s.kind === 'voucher' ? 'kindVoucher' : 'kindPayment')}`;
    return li;
  }));
  if (!navigator.onLine) flash(t('offline'));
}

function scheduleSync(delayMs) {
  clearTimeout(syncTimer);
  syncTimer = setTimeout(() => sync(false), delayMs);
}

async function sync(asked) {
  clearTimeout(syncTimer);
  if (!navigator.onLine && !asked) {
    scheduleSync(SYNC_EVERY_MS);
    return;
  }
  const button = $('sync-button');
  button.disabled = true;
  button.textContent = t('syncing');
  try {
    const report = await till.sync();
    flash(t('synced', report));
    document.body.dataset.synced = String(Number(document.body.dataset.synced ?? 0) + 1);
  } catch (error) {
    if (error instanceof TrustListRollback) flash(t('listRollback'));
    else if (error instanceof TrustListInvalid) flash(t('listInvalid'));
    else if (error instanceof ApiError && error.kind === 'network') flash(t('syncOffline'));
    else if (!(error instanceof ApiError && (error.kind === 'revoked' || error.kind === 'suspended'))) flash(t('syncFailed'));
  } finally {
    button.disabled = false;
    button.textContent = t('sync');
    await refresh();
    scheduleSync(SYNC_EVERY_MS);
  }
}

async function showTill() {
  mode = 'till';
  show($('screen-enrol'), false);
  for (const id of ['screen-till', 'till-tools', 'footer']) show($(id), true);
  $('wedge-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    unlock();
    const input = $('wedge-input');
    const text = input.value;
    input.value = '';
    if (text.trim()) await handleScan(text);
    input.focus();
  });
  $('next-button').addEventListener('click', () => {
    unlock();
    clearVerdict();
  });
  $('sync-button').addEventListener('click', () => {
    unlock();
    sync(true);
  });
  $('camera-retry').addEventListener('click', () => camera?.start());
  window.addEventListener('online', () => sync(false));
  window.addEventListener('offline', () => flash(t('offline')));
  setInterval(() => refresh(), 30_000);
  await refresh();
  warmUp().catch(() => {}); // compile the decoder while the shopkeeper looks
  startCamera();
  $('wedge-input').focus();
  scheduleSync(1000);
}

async function main() {
  await setupLanguage();
  $('camera-retry').addEventListener('click', () => camera?.start());
  try {
    await till.load();
  } catch {
    alertText(t('errStorage'));
    return;
  }
  if (till.enrolled) await showTill();
  else showEnrol();
  if ('serviceWorker' in navigator) navigator.serviceWorker.register('sw.js').catch(() => {});
  document.documentElement.dataset.ready = 'true';
}

main();
