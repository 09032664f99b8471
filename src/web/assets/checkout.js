/*
 * The hosted checkout page's behaviour (served by us as /assets/checkout.js; no framework, no CDN).
 * The server prices and pays; this script only collects the payer's choice, shows the quote,
 * confirms a sandbox card (with its 3D Secure challenge in a dialog) and follows the attempt live:
 * the realtime stream (EventSource) first, polling the attempt's status when the stream fails.
 */
(function () {
  'use strict';

  var data = JSON.parse(document.getElementById('checkout-data').textContent);
  var token = data.token;
  var base = '/hosted/' + encodeURIComponent(token);
  var storeKey = 'dollr-attempt:' + token;
  var FINAL = { COMPLETED: true, FAILED: true };
  var POLL_MS = [1000, 2000, 3000, 5000];
  var QUOTE_DEBOUNCE_MS = 250;
  var REDIRECT_DELAY_MS = 1200;

  function $(id) { return document.getElementById(id); }
  var form = $('pay-form');
  var statusBox = $('status');
  var errorBox = $('error');
  var quoteBox = $('quote');
  var payButton = $('pay-button');
  var phone = $('phone');
  var network = $('network');
  var currency = $('currency');
  var card = $('card');
  var dialog = $('challenge');
  var frame = $('challenge-frame');

  var attempt = null; // { ref, kind, client_secret?, phone? }
  var stream = null;
  var pollTimer = null;
  var pollIndex = 0;
  var networkPicked = false;
  var quoteSeq = 0;
  var quoteTimer = null;
  var finished = false;

  // ---------------------------------------------------------------- helpers

  function uuid4() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = new Uint8Array(16);
    crypto.getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join('');
    return h.slice(0, 8) + '-' + h.slice(8, 12) + '-' + h.slice(12, 16) + '-' + h.slice(16, 20) + '-' + h.slice(20);
  }

  function setStatus(text, tone) {
    statusBox.textContent = text;
    statusBox.className = 'status' + (tone ? ' ' + tone : '');
  }

  function setError(text) {
    errorBox.textContent = text || '';
  }

  function busy(on) {
    if (!payButton) return;
    payButton.disabled = on;
    payButton.setAttribute('aria-busy', on ? 'true' : 'false');
  }

  function detailText(body) {
    if (body && Array.isArray(body.detail)) return body.detail.map(function (d) { return d.msg; }).join(' ');
    if (body && typeof body.detail === 'string') return body.detail;
    return 'Something went wrong. Please try again.';
  }

  function request(method, url, body) {
    var init = { method: method, headers: { accept: 'application/json' }, credentials: 'same-origin' };
    if (body !== undefined) {
      init.headers['content-type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    return fetch(url, init).then(function (res) {
      return res.text().then(function (text) {
        var parsed = null;
        try { parsed = text ? JSON.parse(text) : null; } catch (e) { parsed = null; }
        return { status: res.status, body: parsed };
      });
    });
  }

  function kind() {
    var checked = form && form.querySelector('input[name="kind"]:checked');
    return checked ? checked.value : 'momo';
  }

  function digits(text) { return String(text || '').replace(/\D/g, ''); }

  /** The operator of a number from the numbering plans the server rendered (longest prefix wins). */
  function detect(number) {
    var plans = data.options.momo;
    for (var i = 0; i < plans.length; i++) {
      var p = plans[i];
      if (number.indexOf(p.calling_code) !== 0) continue;
      var nsn = number.slice(p.calling_code.length);
      var ranges = p.ranges.slice().sort(function (a, b) { return b.prefix.length - a.prefix.length; });
      for (var j = 0; j < ranges.length; j++) {
        if (nsn.indexOf(ranges[j].prefix) === 0) return { plan: p, method: ranges[j].method, carrier: ranges[j].carrier, complete: nsn.length === p.nsn_length };
      }
      return { plan: p, method: null, complete: false };
    }
    return null;
  }

  function planOfMethod(method) {
    var plans = data.options.momo;
    for (var i = 0; i < plans.length; i++) {
      for (var j = 0; j < plans[i].ranges.length; j++) if (plans[i].ranges[j].method === method) return plans[i];
    }
    return null;
  }

  function currentMethod() {
    if (kind() === 'card') return 'CREDIT_CARD';
    return network.value || null;
  }

  function currenciesFor(method) {
    if (method === 'CREDIT_CARD') return data.options.card_currencies;
    var plan = method ? planOfMethod(method) : null;
    return plan ? plan.currencies : [];
  }

  function fillCurrencies() {
    var list = currenciesFor(currentMethod());
    var previous = currency.value;
    currency.textContent = '';
    list.forEach(function (c) {
      var o = document.createElement('option');
      o.value = c;
      o.textContent = c === data.currency ? c + ' (invoice currency)' : c;
      currency.appendChild(o);
    });
    if (list.indexOf(previous) >= 0) currency.value = previous;
    else if (list.indexOf(data.currency) >= 0) currency.value = data.currency;
    currency.disabled = list.length === 0;
  }

  // ---------------------------------------------------------------- quote

  function showQuote(q) {
    quoteBox.textContent = '';
    var line = document.createElement('div');
    line.appendChild(document.createTextNode('You pay '));
    var strong = document.createElement('strong');
    strong.id = 'quote-amount';
    strong.textContent = q.payer_amount + ' ' + q.payer_currency;
    line.appendChild(strong);
    quoteBox.appendChild(line);
    var details = document.createElement('div');
    details.className = 'muted';
    var parts = [];
    if (q.fee_bearer === 'PAYER' && q.fees !== '0' && !/^0\.0+$/.test(q.fees)) parts.push('includes fees of ' + q.fees + ' ' + q.payee_currency);
    if (q.fx_rate) parts.push('1 ' + q.payee_currency + ' = ' + q.fx_rate + ' ' + q.payer_currency);
    details.id = 'quote-details';
    details.textContent = parts.join(' · ');
    quoteBox.appendChild(details);
    payButton.textContent = 'Pay ' + q.payer_amount + ' ' + q.payer_currency;
  }

  function refreshQuote() {
    clearTimeout(quoteTimer);
    quoteTimer = setTimeout(loadQuote, QUOTE_DEBOUNCE_MS);
  }

  function loadQuote() {
    var method = currentMethod();
    var cur = currency.value;
    var seq = ++quoteSeq;
    if (!method || !cur) {
      quoteBox.textContent = kind() === 'card' ? 'Cards pay in USD.' : 'Enter your number to see the amount.';
      payButton.textContent = 'Pay';
      return;
    }
    quoteBox.textContent = 'Calculating…';
    request('GET', base + '/quote?currency=' + encodeURIComponent(cur) + '&method=' + encodeURIComponent(method)).then(function (r) {
      if (seq !== quoteSeq) return; // a newer choice was made meanwhile
      if (r.status === 200) showQuote(r.body);
      else quoteBox.textContent = detailText(r.body);
    }, function () {
      if (seq === quoteSeq) quoteBox.textContent = 'Could not load the amount; check your connection.';
    });
  }

  // ---------------------------------------------------------------- following an attempt

  function remember() {
    try { sessionStorage.setItem(storeKey, JSON.stringify(attempt)); } catch (e) { /* private mode */ }
  }

  function forget() {
    try { sessionStorage.removeItem(storeKey); } catch (e) { /* private mode */ }
  }

  function stopWatching() {
    if (stream) { stream.close(); stream = null; }
    clearTimeout(pollTimer);
    pollTimer = null;
  }

  function watch() {
    stopWatching();
    var ref = attempt.ref;
    request('POST', base + '/attempts/' + ref + '/realtime-key').then(function (r) {
      if (!attempt || attempt.ref !== ref || finished) return;
      if (r.status !== 200 || !window.EventSource) return poll();
      stream = new EventSource(r.body.stream_url);
      stream.addEventListener('status', function (e) {
        try { handle(JSON.parse(e.data), 'stream'); } catch (err) { /* ignore a malformed event */ }
      });
      stream.onerror = function () {
        // The server closes the stream after a final state; otherwise fall back to polling.
        if (stream) { stream.close(); stream = null; }
        if (!finished) poll();
      };
    }, poll);
  }

  function poll() {
    clearTimeout(pollTimer);
    var delay = POLL_MS[Math.min(pollIndex, POLL_MS.length - 1)];
    pollIndex++;
    pollTimer = setTimeout(checkNow, delay);
  }

  function checkNow() {
    if (!attempt || finished) return;
    var ref = attempt.ref;
    request('GET', base + '/attempts/' + ref).then(function (r) {
      if (!attempt || attempt.ref !== ref) return;
      if (r.status === 200) handle(r.body, 'poll');
      if (!finished && !stream) poll();
    }, function () { if (!finished && !stream) poll(); });
  }

  function handle(v, from) {
    if (!attempt || finished) return;
    if (v.status === 'COMPLETED') return succeeded(v);
    if (v.status === 'FAILED') return failed(v);
    if (attempt.kind === 'card') {
      if (v.client_secret) attempt.client_secret = v.client_secret;
      if (!attempt.confirmed && attempt.client_secret) {
        if (card.value.trim()) return confirmCard();
        setStatus('Enter your card to finish the payment.', 'wait');
        busy(false);
        return;
      }
      if (!dialog.open) setStatus('Confirming your card payment…', 'wait');
    } else {
      setStatus('Approve the payment of ' + v.payer_amount + ' ' + v.payer_currency + ' on your phone (' + (attempt.phone || '') + '). Waiting for your network…', 'wait');
    }
    if (from === 'pay' || from === 'resume') watch();
  }

  function succeeded(v) {
    finished = true;
    stopWatching();
    forget();
    closeChallenge();
    if (form) form.hidden = true;
    setError('');
    var amount = v.payer_amount !== undefined ? v.payer_amount + ' ' + v.payer_currency : '';
    var link = $('receipt-link');
    link.href = v.receipt_url || '/receipt/' + encodeURIComponent(token);
    $('receipt').hidden = false;
    var cancel = $('cancel-link');
    if (cancel) cancel.hidden = true;
    if (data.success_url) {
      setStatus('Payment received' + (amount ? ': ' + amount : '') + '. Returning you to ' + data.merchant_name + '…', 'ok');
      setTimeout(function () { window.location.assign(data.success_url); }, REDIRECT_DELAY_MS);
    } else {
      setStatus('Payment received' + (amount ? ': ' + amount : '') + '. Thank you!', 'ok');
    }
  }

  function failed(v) {
    stopWatching();
    forget();
    closeChallenge();
    attempt = null;
    pollIndex = 0;
    if (form) form.hidden = false; // the source is payable again after a failed attempt
    setStatus('');
    var why = v.gateway_message || v.wallet_message || 'The payment did not go through.';
    setError('The payment did not go through: ' + why.replace(/^[a-z_]+: /, '') + ' You can try again.');
    busy(false);
    errorBox.focus && errorBox.setAttribute('tabindex', '-1');
    errorBox.focus && errorBox.focus();
  }

  // ---------------------------------------------------------------- card and 3D Secure

  function confirmCard() {
    var ref = attempt.ref;
    attempt.confirmed = true;
    setStatus('Confirming your card…', 'wait');
    request('POST', '/sandbox/cards/confirm', { client_secret: attempt.client_secret, payment_method: card.value.trim() }).then(function (r) {
      if (!attempt || attempt.ref !== ref) return;
      if (r.status === 422) {
        // Not a card the sandbox knows: the attempt still waits for a card; let the payer fix it.
        attempt.confirmed = false;
        remember();
        setStatus('');
        setError(detailText(r.body));
        busy(false);
        card.focus();
        return;
      }
      if (r.status !== 200) return checkNow();
      var intent = r.body;
      if (intent.status === 'requires_action' && intent.next_action && intent.next_action.redirect_to_url) {
        openChallenge(intent.next_action.redirect_to_url.url);
        setStatus('Confirm the payment with your bank in the window that opened.', 'wait');
      }
      watch();
    }, function () { attempt.confirmed = false; busy(false); setError('Could not reach the card service; check your connection and try again.'); });
  }

  function openChallenge(url) {
    var target = new URL(url, window.location.href);
    target.searchParams.set('return_url', window.location.origin + base + '/3ds-return');
    frame.src = target.pathname + target.search;
    if (dialog.showModal) dialog.showModal();
    else dialog.setAttribute('open', '');
  }

  function closeChallenge() {
    if (dialog.open) dialog.close();
    frame.removeAttribute('src');
  }

  frame.addEventListener('load', function () {
    try {
      if (frame.contentWindow.location.pathname === base + '/3ds-return') {
        closeChallenge();
        setStatus('Checking the result…', 'wait');
        checkNow();
      }
    } catch (e) { /* another origin: the stream tells us the result */ }
  });
  $('challenge-close').addEventListener('click', function () {
    closeChallenge();
    checkNow();
  });

  // ---------------------------------------------------------------- paying

  function pay(ev) {
    ev.preventDefault();
    setError('');
    if (attempt && attempt.kind === 'card' && attempt.client_secret && !attempt.confirmed) {
      busy(true);
      return confirmCard();
    }
    var k = kind();
    var body = { reference_id: uuid4(), currency: currency.value };
    if (k === 'momo') {
      var number = digits(phone.value);
      if (!number) { setError('Enter your mobile money number.'); phone.focus(); return; }
      if (!network.value) { setError('We could not tell the network of this number; pick it from the list.'); network.focus(); return; }
      body.phone = number;
      body.method = network.value;
    } else {
      if (!card.value.trim()) { setError('Enter a card number.'); card.focus(); return; }
      body.method = 'CREDIT_CARD';
    }
    if (!body.currency) { setError('Pick a currency.'); currency.focus(); return; }
    attempt = { ref: body.reference_id, kind: k, phone: body.phone };
    remember();
    busy(true);
    setStatus('Starting the payment…', 'wait');
    send(body, 0);
  }

  /** Send the attempt; a network error is retried with the SAME reference_id (the same attempt). */
  function send(body, tries) {
    request('POST', base + '/pay', body).then(function (r) {
      if (r.status === 200) return handle(r.body, 'pay');
      attempt = null;
      forget();
      setStatus('');
      setError(detailText(r.body));
      busy(false);
      if (r.status === 422 && r.body && Array.isArray(r.body.detail) && r.body.detail.some(function (d) { return d.loc && d.loc[0] === 'path'; })) {
        // The invoice itself can no longer be paid (expired, canceled, paid): reload its state.
        setTimeout(function () { window.location.reload(); }, 2500);
      }
    }, function () {
      if (tries < 2) return setTimeout(function () { send(body, tries + 1); }, 1000 * (tries + 1));
      setStatus('');
      setError('Could not reach the server. Check your connection, then press Pay again.');
      busy(false);
    });
  }

  // ---------------------------------------------------------------- wiring

  if (form) {
    form.hidden = data.state !== 'payable';
    Array.prototype.forEach.call(form.querySelectorAll('input[name="kind"]'), function (r) {
      r.addEventListener('change', function () {
        var isCard = kind() === 'card';
        $('momo-fields').hidden = isCard;
        $('card-fields').hidden = !isCard;
        fillCurrencies();
        refreshQuote();
      });
    });
    phone.addEventListener('input', function () {
      var found = detect(digits(phone.value));
      if (!networkPicked) network.value = found && found.method ? found.method : '';
      fillCurrencies();
      refreshQuote();
    });
    network.addEventListener('change', function () {
      networkPicked = network.value !== '';
      fillCurrencies();
      refreshQuote();
    });
    currency.addEventListener('change', refreshQuote);
    form.addEventListener('submit', pay);
    fillCurrencies();
  }

  // Back on the page (reload, or after the bank's redirect): follow the attempt this browser started.
  var saved = null;
  try { saved = JSON.parse(sessionStorage.getItem(storeKey) || 'null'); } catch (e) { saved = null; }
  if (saved && saved.ref && (data.state === 'payable' || data.state === 'processing' || data.state === 'paid')) {
    attempt = saved;
    busy(true);
    request('GET', base + '/attempts/' + saved.ref).then(function (r) {
      if (r.status === 200) handle(r.body, 'resume');
      else { attempt = null; forget(); busy(false); }
    });
  } else if (data.state === 'processing') {
    // Someone else's payment is in flight: check back until it settles or fails.
    setTimeout(function recheck() {
      request('GET', base).then(function (r) {
        if (r.status === 200 && r.body.state !== 'processing') window.location.reload();
        else setTimeout(recheck, 5000);
      });
    }, 5000);
  }
})();
