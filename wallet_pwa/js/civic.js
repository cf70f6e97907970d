// The member's part in the caisse's decisions, and where to pay: the votes (signed
// GET /api/v1/wallet/proposals, a ballot signed with the member's key in POST
// /api/v1/wallet/ballots, a receipt back) and "Où payer ?" (GET /api/v1/shops). Both
// lists are kept in IndexedDB so they show offline; voting itself needs the network.
import { authorization } from './api.js';
import { signerFor } from './member_key.js';
import { getMeta, setMeta } from './store.js';

const BASE = new URL('../api/v1/', location.href); // the wallet lives at /wallet/
const PROPOSALS = 'civic-proposals';
const SHOPS = 'civic-shops';
const CHOICES = { yes: 'choiceYes', no: 'choiceNo', abstain: 'choiceAbstain' };
const OUTCOMES = {
  adopted: 'outcomeAdopted',
  rejected: 'outcomeRejected',
  blocked: 'outcomeBlocked',
  'no-quorum': 'outcomeNoQuorum',
  chosen: 'outcomeChosen',
  tie: 'outcomeTie',
};
const KINDS = {
  'shop-approval': 'kindShopApproval',
  'shop-withdrawal': 'kindShopWithdrawal',
  'shop-review': 'kindShopReview',
  'rule-change': 'kindRuleChange',
  consultation: 'kindConsultation',
};

const $ = (id) => document.getElementById(id);

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === 'dataset') Object.assign(node.dataset, value);
    else if (key in node) node[key] = value;
    else node.setAttribute(key, value);
  }
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
}

async function request(wallet, method, path, payload) {
  const url = new URL(path, BASE);
  const headers = {};
  let body;
  if (wallet) {
    body = payload === undefined ? new Uint8Array(0) : new TextEncoder().encode(JSON.stringify(payload));
    const signer = signerFor(wallet.identity);
    headers.Authorization = await authorization(method, url.pathname + url.search, body, wallet.identity.publicKey, signer, wallet.now());
    if (payload !== undefined) headers['Content-Type'] = 'application/json';
  }
  const response = await fetch(url, {
    method,
    headers,
    body: payload === undefined ? undefined : body,
    cache: 'no-store',
    credentials: 'omit',
  });
  let json = null;
  try {
    json = await response.json();
  } catch {
    // an error page: judged by its status
  }
  return { ok: response.ok, status: response.status, json };
}

/** The votes and the directory on the home screen; `tr()` is the current translator. */
export function setupCivic({ wallet, tr }) {
  const state = { proposals: null, proposalsAt: null, shops: null, shopsAt: null, reached: false, failed: false };
  const picks = new Map(); // what the member ticked, kept across re-renders
  let message = null;
  let focusAfter = null;

  async function load() {
    try {
      const cachedVotes = await getMeta(PROPOSALS);
      const cachedShops = await getMeta(SHOPS);
      if (cachedVotes) Object.assign(state, { proposals: cachedVotes.proposals, proposalsAt: cachedVotes.at });
      if (cachedShops) Object.assign(state, { shops: cachedShops.shops, shopsAt: cachedShops.at });
    } catch {
      // nothing cached yet, or storage refused: shown as not loaded
    }
  }

  async function refresh() {
    if (!navigator.onLine) return;
    const at = wallet.now();
    try {
      const shops = await request(null, 'GET', 'shops');
      if (shops.ok && Array.isArray(shops.json?.shops)) {
        Object.assign(state, { shops: shops.json.shops, shopsAt: at });
        await setMeta(SHOPS, { shops: state.shops, at }).catch(() => {});
      }
      if (wallet.identity) {
        const votes = await request(wallet, 'GET', 'wallet/proposals');
        if (votes.ok && Array.isArray(votes.json?.proposals)) {
          Object.assign(state, { proposals: votes.json.proposals, proposalsAt: at, reached: true, failed: false });
          await setMeta(PROPOSALS, { proposals: state.proposals, at }).catch(() => {});
        } else {
          state.failed = true;
        }
      }
    } catch {
      state.failed = true; // no network after all: the cached lists stay on screen
    }
    render();
  }

  async function cast(proposalId, onBehalfOf) {
    const t = tr();
    const key = `${proposalId}|${onBehalfOf ?? ''}`;
    const choice = picks.get(key);
    focusAfter = `vote-button-${key}`;
    if (!choice) {
      message = t('voteErrPick');
      render();
      return;
    }
    const payload = { proposal_id: proposalId, choice };
    if (onBehalfOf) payload.on_behalf_of = onBehalfOf;
    try {
      const answer = await request(wallet, 'POST', 'wallet/ballots', payload);
      if (answer.ok) {
        message = t('voteSaved');
        picks.delete(key);
        await refresh();
        return;
      }
      message = answer.json?.error === 'VOTING_CLOSED' ? t('voteErrClosed') : t('voteErrOther');
    } catch {
      message = t('voteErrOther');
    }
    render();
  }

  function choiceLabel(choice) {
    return CHOICES[choice] ? tr()(CHOICES[choice]) : choice;
  }

  function ballotForm(p, onBehalfOf, legend, current) {
    const t = tr();
    const key = `${p.proposal_id}|${onBehalfOf ?? ''}`;
    const name = `ballot-${p.proposal_id}-${onBehalfOf ?? 'self'}`;
    const online = navigator.onLine;
    const fieldset = el('fieldset', { className: 'ballot' }, el('legend', { textContent: legend }));
    for (const choice of p.options) {
      const input = el('input', { type: 'radio', name, value: choice, disabled: !online });
      input.checked = (picks.get(key) ?? current) === choice;
      input.addEventListener('change', () => picks.set(key, choice));
      fieldset.append(el('label', { className: 'choice' }, input, ` ${choiceLabel(choice)}`));
    }
    const button = el('button', {
      type: 'button',
      className: 'primary',
      id: `vote-button-${key}`,
      textContent: current ? t('changeVote') : t('castVote'),
      disabled: !online,
    });
    button.addEventListener('click', () => cast(p.proposal_id, onBehalfOf));
    fieldset.append(button);
    return fieldset;
  }

  function stateLine(p) {
    const t = tr();
    if (p.status === 'open') return t('voteUntil', { date: t.date(p.closes_at - 1) });
    if (p.status === 'upcoming') return t('voteFrom', { date: t.date(p.opens_at) });
    return t({ counting: 'voteCounting', screening: 'voteScreening', 'set-aside': 'voteSetAside' }[p.status] ?? 'voteClosed');
  }

  function detailLines(p) {
    const t = tr();
    const d = p.details ?? {};
    const lines = [];
    if (d.shop_name) lines.push([d.shop_name, d.address].filter(Boolean).join(' — '));
    if (p.kind === 'shop-approval') lines.push(t('shopsScope', { scope: d.scope || t('shopsWhole') }));
    if (p.kind === 'rule-change' && d.topic) lines.push(`${d.topic} (${d.period}) : ${typeof d.value === 'object' ? JSON.stringify(d.value) : d.value}`);
    return lines.map((text) => el('p', { className: 'muted', textContent: text }));
  }

  function card(p) {
    const t = tr();
    const li = el('li', { dataset: { testid: `proposal-${p.proposal_id}` } });
    li.append(
      el('p', { className: 'kind muted', textContent: t(KINDS[p.kind] ?? 'kindConsultation') }),
      el('h3', { textContent: p.title }),
      p.text ? el('p', { textContent: p.text }) : null,
      ...detailLines(p),
      el('p', { className: 'when', textContent: stateLine(p) }),
    );
    if (p.my_choice) {
      li.append(
        el('p', { className: 'my-vote', dataset: { testid: 'my-vote' }, textContent: t('myVote', { choice: choiceLabel(p.my_choice) }) }),
        el('p', { className: 'muted receipt' }, t('receipt', { receipt: '' }), el('code', { textContent: p.my_receipt ?? '' })),
      );
    }
    if (p.status === 'open' && p.can_vote) li.append(ballotForm(p, null, t('yourChoice'), p.my_choice));
    else if (p.status === 'open') li.append(el('p', { className: 'muted', textContent: t('voteNotYours') }));
    for (const proxy of p.proxies ?? []) {
      if (p.status !== 'open') continue;
      const legend = t('proxyFor', { name: proxy.name || proxy.member_id });
      if (proxy.voted_themselves) li.append(el('p', { className: 'muted', textContent: `${legend} — ${t('proxyVoted')}` }));
      else li.append(ballotForm(p, proxy.member_id, legend, proxy.choice));
    }
    if (p.result) {
      const outcome = t(OUTCOMES[p.result.outcome] ?? 'outcomeTie', { winner: p.result.winner ?? '' });
      const tally = Object.entries(p.result.tally ?? {}).map(([choice, n]) => `${choiceLabel(choice)} ${n}`).join(', ');
      li.append(
        el('p', { className: 'result', dataset: { testid: 'result' }, textContent: t('resultLine', { outcome, ballots: p.result.ballots, eligible: p.result.eligible }) }),
        el('p', { className: 'muted', textContent: tally }),
        p.result.my_receipt_counted ? el('p', { textContent: t('counted') }) : null,
      );
    }
    return li;
  }

  function shopItem(s) {
    const t = tr();
    const day = (iso) => t.date(Date.parse(`${iso}T12:00:00Z`) / 1000);
    const li = el('li', { dataset: { testid: 'shop-item' } });
    li.append(
      el('strong', { textContent: s.name }),
      ...[s.address, s.hours].filter(Boolean).map((text) => el('span', { textContent: text })),
      el('span', { className: 'scope', textContent: t('shopsScope', { scope: s.scope || t('shopsWhole') }) }),
      el('span', { className: 'muted', textContent: t('shopsSince', { date: day(s.approved_since) }) }),
      s.until ? el('span', { className: 'muted', textContent: t('shopsUntil', { date: day(s.until) }) }) : null,
    );
    return li;
  }

  function render() {
    const t = tr();
    const votes = $('votes-list');
    const shops = $('shops-list');
    if (!votes || !shops) return;
    const offline = !navigator.onLine;
    const listed = state.proposals ?? [];
    votes.replaceChildren(...listed.map(card));
    let note = '';
    if (state.proposals === null) note = t(offline || state.failed ? 'votesUnavailable' : 'votesNone');
    else if (offline || (state.failed && !state.reached)) note = t('votesOffline');
    else if (!listed.length) note = t('votesNone');
    $('votes-note').textContent = note;
    $('votes-status').textContent = message ?? '';
    shops.replaceChildren(...(state.shops ?? []).map(shopItem));
    const pick = $('propose-merchant');
    if (pick) {
      const chosen = pick.value;
      pick.replaceChildren(...(state.shops ?? []).map((s) => new Option(s.name, s.merchant_id, false, s.merchant_id === chosen)));
    }
    $('propose-button').disabled = offline;
    if (state.shops === null) $('shops-note').textContent = t('shopsUnavailable');
    else if (!state.shops.length) $('shops-note').textContent = t('shopsNone');
    else $('shops-note').textContent = t('shopsUpdated', { date: t.dateTime(state.shopsAt) });
    if (focusAfter) {
      document.getElementById(focusAfter)?.focus();
      focusAfter = null;
    }
  }

  function proposeKind() {
    const kind = $('propose-kind')?.value;
    if (!kind) return;
    $('propose-shop').hidden = kind !== 'shop-approval';
    $('propose-withdraw').hidden = kind !== 'shop-withdrawal';
    $('propose-options').hidden = kind !== 'consultation';
  }

  function proposeError(key) {
    const out = $('propose-error');
    out.hidden = !key;
    out.textContent = key ? tr()(key) : '';
  }

  async function propose(event) {
    event.preventDefault();
    const form = event.target;
    const kind = form.elements.namedItem('kind').value;
    const title = form.elements.namedItem('title').value.trim();
    if (!title) {
      proposeError('proposeErrTitle');
      form.elements.namedItem('title').focus();
      return;
    }
    const body = { kind, title, text: form.elements.namedItem('text').value.trim() };
    if (kind === 'shop-approval') {
      body.details = { shop_name: form.elements.namedItem('shop_name').value.trim() || title, address: form.elements.namedItem('address').value.trim(), scope: form.elements.namedItem('scope').value.trim() };
    } else if (kind === 'shop-withdrawal') {
      body.details = { merchant_id: form.elements.namedItem('merchant_id').value };
    } else {
      body.options = form.elements.namedItem('options').value.split('\n').map((o) => o.trim()).filter(Boolean);
    }
    $('propose-button').disabled = true;
    try {
      const answer = await request(wallet, 'POST', 'wallet/proposals', body);
      if (!answer.ok) {
        proposeError('proposeErrRefused');
        return;
      }
      proposeError(null);
      form.reset();
      proposeKind();
      $('propose').open = false;
      message = tr()('proposeSent');
      await refresh();
    } catch {
      proposeError('proposeErrOffline');
    } finally {
      $('propose-button').disabled = false;
    }
  }

  $('propose-kind')?.addEventListener('change', proposeKind);
  $('propose-form')?.addEventListener('submit', propose);
  addEventListener('offline', () => render());
  addEventListener('online', () => render());
  return { load, refresh, render };
}
