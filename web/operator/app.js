// app.js — the operator's live page. Once a second it fetches one URL,
// /status/{event} (same origin: nginx's local-only admin listener), and
// updates the page in place. Rates are computed here from the cumulative
// counters of two consecutive answers:
//   reservations/s      Δ sum over nodes of requests.reserved / Δt
//   sold-out answers/s  Δ sum over nodes of requests.sold_out / Δt
//                       + nginx's own answers, estimated as
//                         Δ nginx.requests − Δ worker_requests − 1
//                       (the 1: the stub_status read that each /status
//                       answer makes, which nginx counts and no worker does;
//                       what remains also holds static files, 404s and
//                       rate-limit 429s, hence "estimated")
// Δt is taken from the answers' own "at" (the server's clock).
'use strict';
(function () {
  const ID = /^[A-Za-z0-9_.-]{1,64}$/;
  const PERIOD_MS = 1000;
  const TIMEOUT_MS = 3000;
  const $ = (id) => document.getElementById(id);
  const el = {};
  for (const id of ['pick', 'event', 'state', 'soldout', 'remaining', 'total', 'stock-bar', 'rate-reserved',
    'rate-soldout', 'rate-detail', 'sold', 'paid', 'expired', 'cancelled', 'nodes', 'rec-at', 'rec-lag',
    'url', 'updated']) el[id] = $(id);

  let event = '';      // the event watched
  let generation = 0;  // bumped on each change of event: late answers are dropped
  let timer = 0;
  let prev = null;     // counters of the previous answer, for the rates
  let nodeKey = '';    // node names of the table's rows

  // --- small DOM helpers: touch the page only where a value changed --------
  function setText(node, s) { if (node.textContent !== s) node.textContent = s; }
  function setState(kind, text) {
    setText(el.state, text);
    if (el.state.dataset.kind !== kind) el.state.dataset.kind = kind;
    document.body.classList.toggle('stale', kind === 'error' || kind === 'unknown');
  }
  const int = new Intl.NumberFormat('en');
  const one = new Intl.NumberFormat('en', { maximumFractionDigits: 1, minimumFractionDigits: 1 });
  const fmt = (n) => (n == null || !isFinite(n) ? '–' : int.format(n));
  const rate = (n) => (n == null || !isFinite(n) ? '–' : n < 10 ? one.format(n) : int.format(Math.round(n)));
  const pct = (x) => (x * 100).toFixed(1) + ' %';
  function clock(seconds) {
    const d = new Date(seconds * 1000);
    return [d.getHours(), d.getMinutes(), d.getSeconds()].map((v) => String(v).padStart(2, '0')).join(':');
  }

  // --- rates ---------------------------------------------------------------
  function counters(s) {
    const sum = (field) => s.nodes.reduce((a, n) => a + ((n.requests && n.requests[field]) || 0), 0);
    return {
      at: s.at, reserved: sum('reserved'), soldOut: sum('sold_out'),
      worker: s.worker_requests || 0, nginx: s.nginx ? s.nginx.requests : null,
    };
  }
  function showRates(cur) {
    const p = prev;
    prev = cur;
    if (!p) return;
    const dt = cur.at - p.at;
    if (!(dt > 0.2)) return;  // keep the last rates shown
    const d = (f) => cur[f] - p[f];
    const back = d('reserved') < 0 || d('soldOut') < 0 || d('worker') < 0;  // a counter was reset
    setText(el['rate-reserved'], back ? '–' : rate(d('reserved') / dt));
    let byNginx = null;
    if (cur.nginx != null && p.nginx != null && d('nginx') >= 0) byNginx = Math.max(0, d('nginx') - d('worker') - 1) / dt;
    const byWorkers = d('soldOut') / dt;
    setText(el['rate-soldout'], back ? '–' : rate(byWorkers + (byNginx || 0)));
    setText(el['rate-detail'], back ? 'a counter went back (restart): rates resume at the next poll'
      : byNginx == null ? `workers ${rate(byWorkers)}; nginx's counters unavailable`
        : `workers ${rate(byWorkers)} + nginx ≈ ${rate(byNginx)} (estimated)`);
  }

  // --- one answer ------------------------------------------------------------
  function show(s) {
    const total = s.total || 0;
    setText(el.remaining, fmt(s.remaining));
    setText(el.total, fmt(total));
    el['stock-bar'].style.width = (total > 0 ? (100 * s.remaining) / total : 0).toFixed(2) + '%';
    el.soldout.hidden = !s.sold_out;
    setText(el.sold, fmt(s.sold));
    setText(el.paid, fmt(s.paid));
    setText(el.expired, fmt(s.expired));
    setText(el.cancelled, fmt(s.cancelled));
    showRates(counters(s));
    showNodes(s.nodes);
    const rec = s.reconciler || {};
    setText(el['rec-at'], rec.reconciled_at > 0
      ? `${clock(rec.reconciled_at)} (${Math.max(0, Math.round(s.at - rec.reconciled_at))} s ago)` : 'not yet');
    setText(el['rec-lag'], rec.reconciled_at > 0 || rec.lag_ms > 0 ? `${fmt(rec.lag_ms)} ms` : 'not yet');
    setText(el.updated, clock(s.at));
    setState('ok', s.sold_out ? `Watching ${event}: sold out.` : `Watching ${event}: live.`);
  }

  // Each node's tickets held (held, or taken − returned) as a share of all
  // held, against its weight share. Rows are built once per set of nodes.
  function showNodes(nodes) {
    const held = nodes.map((n) => (n.held != null ? n.held : n.taken != null ? n.taken - (n.returned || 0) : null));
    const all = held.reduce((a, h) => a + (h || 0), 0);
    const key = nodes.map((n) => n.node).join(' ');
    if (key !== nodeKey) {
      nodeKey = key;
      el.nodes.textContent = '';
      for (const n of nodes) {
        const tr = document.createElement('tr');
        tr.innerHTML = '<th scope="row"></th><td class="num"></td>'
          + '<td><div class="share" aria-hidden="true"><div class="fill"></div><div class="mark"></div></div>'
          + '<span class="num"></span></td><td class="num"></td>';
        tr.firstChild.textContent = n.node;
        el.nodes.appendChild(tr);
      }
    }
    nodes.forEach((n, i) => {
      const tr = el.nodes.rows[i];
      const share = all > 0 && held[i] != null ? held[i] / all : 0;
      setText(tr.cells[1], fmt(held[i]));
      tr.querySelector('.fill').style.width = (share * 100).toFixed(2) + '%';
      tr.querySelector('.mark').style.left = (n.weight_share * 100).toFixed(2) + '%';
      setText(tr.querySelector('span.num'), all > 0 && held[i] != null ? pct(share) : '–');
      setText(tr.cells[3], pct(n.weight_share));
    });
  }

  function blank() {
    for (const id of ['remaining', 'total', 'rate-reserved', 'rate-soldout', 'sold', 'paid', 'expired', 'cancelled',
      'rec-at', 'rec-lag']) setText(el[id], '–');
    el['stock-bar'].style.width = '0%';
    el.soldout.hidden = true;
    el.nodes.textContent = '';
    nodeKey = '';
    prev = null;
  }

  // --- polling -------------------------------------------------------------------
  // One request at a time: the next starts a second after the previous one
  // started, or at once if it took longer (a stuck one is aborted at 3 s).
  function poll() {
    const mine = generation;
    const started = performance.now();
    const abort = new AbortController();
    const deadline = setTimeout(() => abort.abort(), TIMEOUT_MS);
    fetch('/status/' + encodeURIComponent(event), { cache: 'no-store', signal: abort.signal })
      .then((res) => res.json().catch(() => null).then((body) => {
        if (mine !== generation) return;
        if (res.ok && body && Array.isArray(body.nodes)) show(body);
        else if (res.status === 404 && body && body.error === 'no_such_event') {
          blank();
          setState('unknown', `Unknown event “${event}”: no such event on this sale.`);
        } else {
          const why = body && (body.message || body.error);
          setState('error', `Cannot read /status/${event}: HTTP ${res.status}${why ? ' (' + why + ')' : ''}. Retrying every second.`);
        }
      }))
      .catch((err) => {
        if (mine !== generation) return;
        setState('error', `Cannot reach /status/${event}: ${err.name === 'AbortError' ? 'no answer within 3 s' : 'network error'}. `
          + 'Retrying every second.');
      })
      .finally(() => {
        clearTimeout(deadline);
        if (mine === generation) timer = setTimeout(poll, Math.max(0, PERIOD_MS - (performance.now() - started)));
      });
  }

  function watch(id) {
    generation++;
    clearTimeout(timer);
    blank();
    event = id;
    el.event.value = id;
    setText(el.url, id ? `/status/${id}` : '/status/…');
    document.title = id ? `${id} — live sale` : 'Live sale — seckill operator';
    if (!id) { setState('idle', 'Enter an event id to watch its sale.'); return; }
    if (!ID.test(id)) {
      setState('unknown', 'An event id is 1–64 characters of letters, digits, “_”, “.” and “-”.');
      return;
    }
    setState('idle', `Loading ${id}…`);
    poll();
  }

  el.pick.addEventListener('submit', (e) => {
    e.preventDefault();
    const id = el.event.value.trim();
    const url = new URL(location.href);
    if (id) url.searchParams.set('event', id); else url.searchParams.delete('event');
    history.replaceState(null, '', url);
    watch(id);
  });

  watch((new URLSearchParams(location.search).get('event') || '').trim());
})();
