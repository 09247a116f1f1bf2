// app.js — the buyer's page. It uses only the public API (docs/api.md):
//   POST /demo/sign-in                            name → a token (the local stack's demo sign-in,
//                                                 the stand-in for a site's real sign-in)
//   GET  /api/events/{event}                      what remains, and when it opens and closes, every 2 s
//   POST /api/events/{event}/reservations         signed in → 201 / 409 / 429 / 425 / 410 / 401 / 404 / 503
//   GET  /api/orders/{id}                         signed in: the order (to load it, or to confirm an expiry)
//   POST /api/orders/{id}/payment | /cancellation signed in
// The token is kept in memory only (never in storage): a reload signs in
// again. Every signed-in call sends it as "Authorization: Bearer <token>".
// Every outcome is said in the polite live region #message. Before the
// event opens, the page counts down to opens_at and its Reserve button is
// disabled until then; after closes_at it stays disabled.
'use strict';
(function () {
  const ID = /^[A-Za-z0-9_.-]{1,64}$/;
  const STOCK_MS = 2000;
  const TIMEOUT_MS = 8000;
  const $ = (id) => document.getElementById(id);
  const el = {};
  for (const id of ['buy', 'user', 'new-user', 'sign-in', 'who', 'event', 'left', 'left-bar', 'reserve', 'message', 'held', 'held-id',
    'load', 'order', 'order-title', 'order-id', 'order-event', 'order-status', 'countdown-row', 'countdown', 'pay',
    'cancel', 'opening']) el[id] = $(id);

  let order = null;    // {order_id, event, user_id, status, deadline (local ms)} once there is one
  let auth = null;     // {token, user, expires (local ms)} once signed in: memory only
  let heldId = '';     // the order named by a 429
  let busy = false;    // one request from a button at a time
  let ticker = 0, stockTimer = 0, stockGen = 0, confirmTries = 0;
  let opensAt = 0, closesAt = 0, openTimer = 0;  // the event's opening and closing (local ms); 0: none

  // --- helpers --------------------------------------------------------------------
  const enc = encodeURIComponent;
  function setText(node, s) { if (node.textContent !== s) node.textContent = s; }
  // say KIND TEXT: the message in the live region (kind: ok, warn, error, info).
  // The same text twice is cleared first so that it is announced again.
  function say(kind, text) {
    el.message.dataset.kind = kind;
    if (el.message.textContent === text) {
      el.message.textContent = '';
      setTimeout(() => { el.message.textContent = text; }, 100);
    } else {
      el.message.textContent = text;
    }
  }
  function mmss(ms) {
    const s = Math.max(0, Math.ceil(ms / 1000));
    return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
  }
  // A longer countdown: "2 d 3:04:05", "3:04:05", "4:05".
  function countdown(ms) {
    const s = Math.max(0, Math.ceil(ms / 1000));
    const d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600);
    const rest = mmss((s % 3600) * 1000);
    if (d > 0) return `${d} d ${h}:${rest.padStart(5, '0')}`;
    return h > 0 ? `${h}:${rest.padStart(5, '0')}` : rest;
  }
  function store(key, value) { try { localStorage.setItem(key, value); } catch (e) { /* private mode */ } }
  function stored(key) { try { return localStorage.getItem(key) || ''; } catch (e) { return ''; } }
  function newUserId() {
    const b = new Uint8Array(5);
    crypto.getRandomValues(b);
    return 'u-' + Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  }

  // api METHOD PATH [PARAMS]: {status, body, date}; status 0 when the
  // network failed or nothing answered within 8 s. POST params go as a form.
  // Signed in, the call carries the token; a 401 forgets it.
  async function api(method, path, params) {
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), TIMEOUT_MS);
    const init = { method, cache: 'no-store', signal: abort.signal };
    if (auth && !path.startsWith('/demo/')) init.headers = { Authorization: `Bearer ${auth.token}` };
    let url = path;
    if (params && method === 'POST') init.body = new URLSearchParams(params);
    else if (params) url += '?' + new URLSearchParams(params);
    try {
      const res = await fetch(url, init);
      let body = null;
      try { body = await res.json(); } catch (e) { /* not JSON */ }
      if (res.status === 401 && init.headers) signedOut();
      return { status: res.status, body, date: res.headers.get('Date') };
    } catch (e) {
      return { status: 0, body: null, date: null };
    } finally {
      clearTimeout(timer);
    }
  }
  const isBusy = (r) => r.status === 0 || r.status >= 500;
  const BUSY = 'The service is busy or unreachable: try again.';

  // The local time at which a server time (Unix seconds) falls: the Date
  // header (whole seconds) corrects a client clock that is off by over 2 s.
  function localTime(serverSeconds, date) {
    let skew = 0;
    const server = date ? Date.parse(date) + 500 : NaN;
    if (isFinite(server) && Math.abs(Date.now() - server) > 2000) skew = Date.now() - server;
    return serverSeconds * 1000 + skew;
  }

  function inputs() {
    const user = el.user.value.trim(), event = el.event.value.trim();
    if (!ID.test(user)) { say('error', 'Enter a user id: 1–64 letters, digits, “_”, “.” or “-”.'); el.user.focus(); return null; }
    if (!ID.test(event)) { say('error', 'Enter an event id: 1–64 letters, digits, “_”, “.” or “-”.'); el.event.focus(); return null; }
    store('seckill.user', user);
    return { user, event };
  }

  // --- signing in (the demo sign-in) ------------------------------------------------
  function signedOut() {
    auth = null;
    setText(el.who, 'Not signed in.');
  }
  // signIn USER: a token for USER from the demo sign-in; true when signed in.
  async function signIn(user) {
    const r = await api('POST', '/demo/sign-in', { name: user });
    if (r.status === 200 && r.body && r.body.token) {
      auth = { token: r.body.token, user: r.body.user_id, expires: localTime(r.body.expires_at, r.date) };
      setText(el.who, `Signed in as ${auth.user}.`);
      return true;
    }
    signedOut();
    if (r.status === 404) say('error', 'No sign-in on this site: the demo sign-in is off.');
    else if (r.status === 400) say('error', `Sign-in refused: ${(r.body && r.body.message) || 'check the user id'}.`);
    else if (isBusy(r)) say('error', BUSY);
    else say('error', `Sign-in failed (HTTP ${r.status}): try again.`);
    return false;
  }
  // signedInAs USER: signs in as USER unless already signed in as USER with a
  // token valid for another minute.
  async function signedInAs(user) {
    if (auth && auth.user === user && auth.expires > Date.now() + 60000) return true;
    return signIn(user);
  }
  // The 401 of a signed-in call: the sign-in is gone (expired, or the key rotated).
  const SIGN_IN_AGAIN = 'Your sign-in is no longer valid: sign in again.';

  // run FN: one button request at a time; the button says it is busy.
  async function run(button, fn) {
    if (busy) return;
    busy = true;
    button.setAttribute('aria-busy', 'true');
    try { await fn(); } finally { busy = false; button.removeAttribute('aria-busy'); }
  }

  // --- the opening and closing times ----------------------------------------------
  // setWindow BODY DATE: the event's opens_at and closes_at (an event view or
  // a 425 / 410 answer); then openTick keeps the countdown and the button.
  function setWindow(b, date) {
    if ('opens_at' in b) opensAt = b.opens_at ? localTime(b.opens_at, date) : 0;
    if ('closes_at' in b) closesAt = b.closes_at ? localTime(b.closes_at, date) : 0;
    openTick();
  }
  function openTick() {
    clearTimeout(openTimer);
    const now = Date.now();
    const before = opensAt > now, closed = closesAt > 0 && now >= closesAt;
    el.reserve.disabled = before || closed;
    el.opening.hidden = !before && !closed;
    if (before) {
      setText(el.opening, `Opens in ${countdown(opensAt - now)}`);
      // At the next second of the countdown, or at the opening instant itself.
      openTimer = setTimeout(openTick, Math.min(opensAt - now, ((opensAt - now) % 1000) || 1000));
    } else if (closed) {
      setText(el.opening, 'Sales are closed.');
    } else if (closesAt > now) {
      openTimer = setTimeout(openTick, Math.min(closesAt - now, 60000));
    }
  }

  // --- what remains (every 2 s) -------------------------------------------------
  async function refreshStock() {
    clearTimeout(stockTimer);
    const mine = ++stockGen;
    const event = el.event.value.trim();
    if (!ID.test(event)) {
      setText(el.left, 'Enter an event id to see what remains.');
      el['left-bar'].style.width = '0%';
    } else {
      const r = await api('GET', `/api/events/${enc(event)}`);
      if (mine !== stockGen) return;
      const b = r.body || {};
      if (r.status === 200) {
        setWindow(b, r.date);
        setText(el.left, b.sold_out ? `Sold out: 0 of ${b.total} tickets left for ${event}.`
          : `${b.remaining} of ${b.total} tickets left for ${event}.`);
        el['left-bar'].style.width = (b.total > 0 ? (100 * b.remaining) / b.total : 0).toFixed(1) + '%';
      } else if (r.status === 404) {
        setWindow({ opens_at: null, closes_at: null }, null);
        setText(el.left, `Unknown event “${event}”.`);
        el['left-bar'].style.width = '0%';
      } else {
        setText(el.left, 'Cannot see the stock right now: retrying.');
      }
    }
    if (mine === stockGen) stockTimer = setTimeout(refreshStock, STOCK_MS);
  }

  // --- the order ----------------------------------------------------------------------
  function showOrder() {
    el.order.hidden = !order;
    if (!order) return;
    const open = order.status === 'reserved';
    setText(el['order-id'], order.order_id);
    setText(el['order-event'], order.event);
    setText(el['order-status'], order.status);
    el['order-status'].dataset.status = order.status;
    el['countdown-row'].hidden = !open;
    // Keep the keyboard focus on the page when the buttons go away.
    const hadFocus = el.order.contains(document.activeElement);
    el.pay.hidden = el.cancel.hidden = !open;
    if (hadFocus && !open) el['order-title'].focus();
    clearInterval(ticker);
    if (open) { tick(); ticker = setInterval(tick, 250); }
  }
  function setOrder(o, date) {
    order = { order_id: o.order_id, event: o.event, user_id: o.user_id, status: o.status || 'reserved',
      deadline: localTime(o.expires_at, date) };
    confirmTries = 0;
    showOrder();
  }
  function tick() {
    const left = order.deadline - Date.now();
    setText(el.countdown, mmss(left));
    el.countdown.classList.toggle('urgent', left < 30000);
    if (left <= 0) { clearInterval(ticker); confirmExpiry(); }
  }
  // The countdown reached zero: ask the server what became of the order.
  async function confirmExpiry() {
    if (!auth) return;
    const o = order;
    const r = await api('GET', `/api/orders/${enc(o.order_id)}`);
    if (order !== o) return;
    if (r.status === 200 && r.body.status === 'reserved' && ++confirmTries <= 5) {
      setTimeout(confirmExpiry, 1000);  // the server's clock is behind ours
    } else if (r.status === 200) {
      order.status = r.body.status;
      showOrder();
      sayStatus();
    } else {
      say('error', `The time to pay is over; the order's status could not be read (${r.status || 'network error'}): try again.`);
      if (isBusy(r) && ++confirmTries <= 5) setTimeout(confirmExpiry, 2000);
    }
  }
  function sayStatus() {
    const id = order.order_id;
    switch (order.status) {
      case 'reserved': say('ok', `Reserved! Pay within ${mmss(order.deadline - Date.now())} to keep your ticket.`); break;
      case 'paid': say('ok', 'Paid: the ticket is yours.'); break;
      case 'expired': say('warn', 'Expired: the time to pay ran out and the ticket went back on sale.'); break;
      case 'cancelled': say('ok', 'Cancelled: the ticket is back on sale.'); break;
      default: say('info', `Order ${id}: ${order.status}.`);
    }
  }
  async function loadOrder(id, user) {
    if (!(await signedInAs(user))) return;
    const r = await api('GET', `/api/orders/${enc(id)}`);
    if (r.status === 200) {
      setOrder(r.body, r.date);
      el.held.hidden = true;
      sayStatus();
    } else if (r.status === 404) say('error', `No order ${id} for user ${user}.`);
    else if (r.status === 401) say('error', SIGN_IN_AGAIN);
    else if (isBusy(r)) say('error', BUSY);
    else say('error', `Could not load order ${id} (HTTP ${r.status}).`);
  }

  // --- the buttons -------------------------------------------------------------------
  async function reserve() {
    const v = inputs();
    if (!v) return;
    if (!(await signedInAs(v.user))) return;
    say('info', 'Reserving…');
    const r = await api('POST', `/api/events/${enc(v.event)}/reservations`);
    const b = r.body || {};
    el.held.hidden = true;
    if (r.status === 201) {
      setOrder({ ...b, status: 'reserved' }, r.date);
      sayStatus();
    } else if (r.status === 409) {
      say('warn', `Sold out: no ticket left for ${v.event}.`);
    } else if (r.status === 425) {
      setWindow(b, r.date);
      say('warn', `Not open yet: the sale of ${v.event} opens in ${countdown(opensAt - Date.now())}.`);
    } else if (r.status === 410) {
      setWindow(b, r.date);
      say('warn', `Closed: the sale of ${v.event} is over.`);
    } else if (r.status === 429 && b.error === 'limit_reached') {
      heldId = b.order_id || '';
      setText(el['held-id'], heldId);
      el.held.hidden = !heldId;
      say('warn', `Limit reached: you already hold a ticket for ${v.event}.`);
    } else if (r.status === 429) {
      say('error', 'Too many requests from this address: wait a moment, then try again.');
    } else if (r.status === 401) {
      say('error', SIGN_IN_AGAIN);
    } else if (r.status === 404) {
      say('error', `Unknown event “${v.event}”: check the event id.`);
    } else if (r.status === 400) {
      say('error', `Refused: ${b.message || 'check the user id and the event id'}.`);
    } else if (isBusy(r)) {
      say('error', BUSY);
    } else {
      say('error', `Unexpected answer (HTTP ${r.status}): try again.`);
    }
    refreshStock();
  }

  async function closeOrder(action) {
    const o = order;
    if (!o) return;
    const r = await api('POST', `/api/orders/${enc(o.order_id)}/${action}`);
    if (order !== o) return;
    if (r.status === 200) {
      order.status = r.body.status;
      showOrder();
      sayStatus();
    } else if (r.status === 409 || r.status === 410) {
      // Already paid (409), or closed (410: expired or cancelled): ask which.
      const g = await api('GET', `/api/orders/${enc(o.order_id)}`);
      if (order !== o) return;
      order.status = g.status === 200 ? g.body.status : r.status === 409 ? 'paid' : 'expired';
      showOrder();
      if (r.status === 409) say('warn', 'Already paid: a paid order cannot be cancelled.');
      else if (action === 'payment' && order.status === 'expired') say('warn', 'Expired: too late to pay; the ticket went back on sale.');
      else sayStatus();
    } else if (r.status === 404) {
      say('error', `No order ${o.order_id} for user ${o.user_id}.`);
    } else if (r.status === 401) {
      say('error', SIGN_IN_AGAIN);
    } else if (isBusy(r)) {
      say('error', BUSY);
    } else {
      say('error', `Unexpected answer (HTTP ${r.status}): try again.`);
    }
    if (action === 'cancellation') refreshStock();
  }

  el.buy.addEventListener('submit', (e) => { e.preventDefault(); run(el.reserve, reserve); });
  el.pay.addEventListener('click', () => run(el.pay, () => closeOrder('payment')));
  el.cancel.addEventListener('click', () => run(el.cancel, () => closeOrder('cancellation')));
  el.load.addEventListener('click', () => run(el.load, () => loadOrder(heldId, el.user.value.trim())));
  el['sign-in'].addEventListener('click', () => run(el['sign-in'], async () => {
    const user = el.user.value.trim();
    if (!ID.test(user)) { say('error', 'Enter a user id: 1–64 letters, digits, “_”, “.” or “-”.'); el.user.focus(); return; }
    store('seckill.user', user);
    if (await signIn(user)) say('ok', `Signed in as ${user}.`);
  }));
  el['new-user'].addEventListener('click', () => {
    el.user.value = newUserId();
    store('seckill.user', el.user.value);
    signedOut();
    say('info', `Your user id is now ${el.user.value}: sign in to use it.`);
  });
  el.user.addEventListener('change', () => { if (ID.test(el.user.value.trim())) store('seckill.user', el.user.value.trim()); });
  el.event.addEventListener('change', () => {
    const event = el.event.value.trim();
    const url = new URL(location.href);
    if (event) url.searchParams.set('event', event); else url.searchParams.delete('event');
    history.replaceState(null, '', url);
    refreshStock();
  });

  el.user.value = stored('seckill.user') || newUserId();
  store('seckill.user', el.user.value);
  el.event.value = (new URLSearchParams(location.search).get('event') || '').trim();
  refreshStock();
})();
