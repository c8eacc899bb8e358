// Proposals page: confirm or dismiss a warning through the REST API with
// the session's CSRF token. The list follows the server: every 10 s (and
// on kaskadeProposals.refresh()) the page is fetched again and its list
// swapped in, keeping any form the duty officer has started to fill in.
'use strict';
(function () {
  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || '';
  var body = document.body;
  function send(url, payload) {
    return fetch(url, {
      method: 'POST', credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'Accept': 'application/json', 'X-CSRF-Token': csrf },
      body: JSON.stringify(payload)
    }).then(function (r) {
      return r.json().then(function (j) {
        if (!r.ok) { throw new Error((j.error && j.error.message) || r.statusText); }
        return j;
      });
    });
  }

  // One listener for every form, present or swapped in later.
  document.addEventListener('submit', function (ev) {
    var form = ev.target;
    if (!form.matches || !form.matches('form.proposal-form')) { return; }
    ev.preventDefault();
    var err = form.querySelector('.form-error');
    function fail(msg) { err.textContent = msg; err.hidden = false; }
    err.hidden = true;
    var id = form.dataset.id;
    var what = ev.submitter ? ev.submitter.value : 'confirm';
    var reason = form.elements.reason.value.trim();
    if (!reason) { return fail(body.dataset.errReason); }
    var base = '/api/v1/proposals/' + encodeURIComponent(id);
    if (what === 'dismiss') {
      send(base + '/dismiss', { reason: reason }).then(refresh, function (e) { fail(e.message); });
      return;
    }
    var mode = form.querySelector('input[name="mode"]:checked');
    if (!mode) { return fail(body.dataset.errMode); }
    var orgs = form.elements.organisations.value.split(/[,\s]+/).filter(Boolean);
    var req = { exercise: mode.value === 'exercise', reason: reason };
    if (form.elements.scenario.value) { req.scenario = form.elements.scenario.value; }
    if (orgs.length) { req.organisations = orgs; }
    send(base + '/confirm', req).then(function (j) {
      location.href = '/?lang=' + (body.dataset.lang || 'de') + '&incident=' + encodeURIComponent(j.incident_id);
    }, function (e) { fail(e.message); });
  });

  // A form counts as started once something was typed or chosen in it.
  document.addEventListener('input', function (ev) {
    var form = ev.target.closest && ev.target.closest('form.proposal-form');
    if (form) { form.dataset.started = '1'; }
  });

  // kept returns the article on the page that must stay as it is: the
  // same proposal, still open, with a started or focused form.
  function kept(fresh) {
    var old = document.getElementById(fresh.id);
    if (!old || fresh.classList.contains('proposal-closed') || old.classList.contains('proposal-closed')) { return null; }
    var form = old.querySelector('form.proposal-form');
    if (!form) { return null; }
    return form.dataset.started || form.contains(document.activeElement) ? old : null;
  }

  var busy = false;
  function refresh() {
    if (busy) { return Promise.resolve(); }
    busy = true;
    return fetch(location.pathname + location.search, { credentials: 'same-origin', cache: 'no-store', headers: { 'Accept': 'text/html' } })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (!html) { return; }
        var next = new DOMParser().parseFromString(html, 'text/html').getElementById('main');
        var main = document.getElementById('main');
        if (!next || !main) { return; }
        next.querySelectorAll('article.proposal').forEach(function (fresh) {
          var old = kept(fresh);
          if (old) { fresh.replaceWith(old); }
        });
        main.replaceChildren.apply(main, Array.prototype.slice.call(next.childNodes));
      })
      .catch(function () {})
      .then(function () { busy = false; });
  }

  window.kaskadeProposals = { refresh: refresh };
  setInterval(refresh, 10000);
})();
