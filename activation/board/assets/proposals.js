// Proposals page: confirm or dismiss a warning through the REST API with
// the session's CSRF token; the page reloads to show the outcome.
'use strict';
(function () {
  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || '';
  var body = document.body;
  function send(url, payload, err) {
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
  document.querySelectorAll('form.proposal-form').forEach(function (form) {
    var err = form.querySelector('.form-error');
    function fail(msg) { err.textContent = msg; err.hidden = false; }
    form.addEventListener('submit', function (ev) {
      ev.preventDefault();
      err.hidden = true;
      var id = form.dataset.id;
      var what = ev.submitter ? ev.submitter.value : 'confirm';
      var reason = form.elements.reason.value.trim();
      if (!reason) { return fail(body.dataset.errReason); }
      var base = '/api/v1/proposals/' + encodeURIComponent(id);
      if (what === 'dismiss') {
        send(base + '/dismiss', { reason: reason }).then(function () { location.reload(); }, function (e) { fail(e.message); });
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
  });
})();
