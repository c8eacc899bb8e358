// Kaskade – Lagebild. Plain JavaScript, no build step, no external resources.
//
// Model: the SSE stream sends a full snapshot on every (re)connect and then
// changes. Changes are applied to an in-memory model; rendering happens at most
// once per animation frame and updates only the tiles that changed.
(function () {
  'use strict';

  // ---------------------------------------------------------------- i18n ---
  const T = {
    de: {
      'skip': 'Zum Lagebild springen',
      'app.subtitle': 'Lagebild Krisenstäbe',
      'conn.connecting': 'Verbinde …',
      'conn.live': 'Live',
      'conn.reconnecting': 'Verbinde neu …',
      'conn.lost': 'Verbindung unterbrochen',
      'conn.banner': 'Verbindung unterbrochen seit {t}. Angezeigte Daten sind veraltet – es wird automatisch neu verbunden.',
      'conn.stale': 'Veraltet',
      'wall.on': 'Wandmodus', 'wall.off': 'Wandmodus beenden',
      'logout': 'Abmelden', 'close': 'Schließen', 'cancel': 'Abbrechen',
      'role.viewer': 'Lesezugriff', 'role.duty_officer': 'Lagedienst', 'role.admin': 'Administration',
      'act.declare': 'Lage ausrufen', 'act.update': 'Lagemeldung', 'act.standdown': 'Entwarnung',
      'sev.disruption': 'Störung', 'sev.emergency': 'Notfall', 'sev.crisis': 'Krise',
      'exercise.banner': 'ÜBUNG', 'exercise.long': 'ÜBUNG · ÜBUNG · ÜBUNG – dies ist eine Übung, kein Echtalarm',
      'incidents.none': 'Keine offene Lage',
      'incidents.none.hint': 'Alle Krisenstäbe in Ruhe. Neue Lagen erscheinen hier automatisch.',
      'incidents.closed': 'Beendet',
      'incident.declared': 'Ausgerufen von {by} am {at}',
      'incident.report': 'Einsatzbericht', 'incident.report.exercise': 'Übungsbericht',
      'declare.drill': 'Alarmierungsübung', 'declare.drill.on': 'Als Alarmierungsübung (misst Erreichbarkeit und Reaktionszeit)',
      'declare.drill.announced': 'angekündigt', 'declare.drill.deputies': 'nur Stellvertretungen alarmieren',
      'declare.drill.target': 'Ziel (Minuten bis alle Funktionen quittiert)',
      'incident.converted': 'Übung in Echtfall umgewandelt am {at} von {by}',
      'incident.reason': 'Begründung',
      'incident.since': 'seit Alarmierung',
      'incident.duration': 'Dauer',
      'incident.stooddown': 'Entwarnung {at} durch {by}',
      'incident.ready': '{n} von {m} Ressorts arbeitsfähig',
      'incident.readylabel': 'Ressorts arbeitsfähig',
      'incident.counts': 'Nachrichten {sent} gesendet · {delivered} zugestellt · {failed} fehlgeschlagen · {responses} Rückmeldungen',
      'incident.updates': 'Letzte Lagemeldung',
      'state.not_activated': 'Nicht alarmiert', 'state.alerting': 'Alarmierung läuft', 'state.forming': 'Stab bildet sich',
      'state.ready': 'Arbeitsfähig', 'state.degraded': 'Beeinträchtigt', 'state.at_risk': 'Gefährdet',
      'state.stood_down': 'Beendet', 'tile.reached': 'Erreicht: {s}',
      'tile.split': '{a} sofort · {d} später', 'person.etaunknown': 'Eintreffzeit unbekannt',
      'person.smsstopped': 'SMS abbestellt (STOP)', 'person.bound': 'kommt zum Stab {o}, hier nicht', 'tl.wide': 'ganze Lage',
      'tile.functions': 'Funktionen', 'tile.missing': 'Fehlt', 'tile.allcovered': 'Alle Funktionen besetzt', 'tile.norequired': 'Keine Pflichtfunktionen: arbeitsfähig mit der ersten Zusage',
      'tile.coming': '{n} unterwegs', 'tile.eta': 'späteste Eintreffzeit {t}', 'tile.nocoming': 'Niemand unterwegs',
      'tile.elapsed': 'Seit Alarmierung', 'tile.target': 'Ziel', 'tile.remaining': 'noch {d}',
      'tile.over': 'Ziel überschritten +{d}', 'tile.readyafter': 'arbeitsfähig nach {d}',
      'tile.changed': 'Letzte Änderung {t}', 'tile.answers': '{a} kommen · {u} abgesagt · {n}/{p} alarmiert',
      'tile.notyet': 'Dieses Ressort wurde noch nicht alarmiert.',
      'tile.open': 'Details zu {org}', 'tile.card': 'Notfallkarte',
      'tile.conference': '{n} in der Stabskonferenz', 'detail.conference': 'Stabskonferenz',
      'detail.noconference': 'Niemand in der Stabskonferenz.', 'detail.since': 'seit {t}',
      'detail.tree': 'Alarmierungskette', 'detail.timeline': 'Verlauf', 'detail.loading': 'Lade …',
      'detail.notfound': 'Keine Details verfügbar.', 'detail.notimeline': 'Noch keine Einträge.',
      'node.waiting': 'wartet', 'node.alerting': 'wird alarmiert', 'node.acknowledged': 'quittiert', 'node.exhausted': 'niemand kommt (erschöpft)',
      'person.deputy': 'Vertretung', 'person.primary': 'Erstbesetzung', 'person.notalerted': 'noch nicht alarmiert',
      'person.alerted': 'alarmiert {t}', 'person.failed': 'fehlgeschlagen: {c}', 'person.machine': 'Anrufbeantworter', 'person.eta': 'Eintreffzeit {t}',
      'person.noanswer': 'keine Rückmeldung', 'person.respond': 'Rückmeldung erfassen',
      'notif.pending': 'ausstehend', 'notif.sending': 'wird gesendet', 'notif.sent': 'gesendet', 'notif.delivered': 'zugestellt',
      'notif.failed': 'fehlgeschlagen', 'notif.unknown': 'unbekannt',
      'answer.available': 'kommt', 'answer.delayed': 'kommt später', 'answer.unavailable': 'nicht verfügbar',
      'chan.sms': 'SMS', 'chan.email': 'E-Mail', 'chan.voice': 'Anruf', 'chan.console': 'Konsole',
      'declare.title': 'Lage ausrufen', 'declare.scenario': 'Szenario', 'declare.titlefield': 'Bezeichnung',
      'declare.severity': 'Einstufung', 'declare.exercise': 'Übung (ÜBUNG-Kennzeichnung)', 'declare.orgs': 'Ressorts',
      'declare.allorgs': 'alle Ressorts des Szenarios',
      'declare.reason': 'Begründung (Entscheidung)', 'declare.message': 'Zusätzlicher Text für die Alarmierung (optional)',
      'declare.realwarn': 'Achtung: ECHTALARM. Alle Personen werden ohne ÜBUNG-Kennzeichnung alarmiert.',
      'declare.submit': 'Übungsalarm auslösen', 'declare.submit.real': 'ECHTALARM auslösen',
      'declare.noscenarios': 'Keine Szenarien konfiguriert.',
      'declare.done': 'Lage {id} ausgerufen – Alarmierung läuft.',
      'sms.count': 'SMS: {n} von höchstens {max} Teilen ({chars} Zeichen)',
      'sms.over': 'Zu lang: {n} SMS-Teile ({chars} Zeichen), erlaubt sind {max}. Bitte kürzen.',
      'update.title': 'Lagemeldung senden', 'update.hint': 'Die Lagemeldung geht an alle bisher erreichten Personen dieser Lage.',
      'update.text': 'Text', 'update.submit': 'Senden', 'update.done': 'Lagemeldung gesendet.',
      'standdown.title': 'Entwarnung geben', 'standdown.hint': 'Die Entwarnung beendet die Lage und wird an alle erreichten Personen gesendet.',
      'standdown.reason': 'Begründung', 'standdown.confirm': 'Ich bestätige die Entwarnung für Lage {id}.',
      'standdown.submit': 'Entwarnung geben', 'standdown.done': 'Entwarnung für {id} gegeben.',
      'respond.title': 'Rückmeldung erfassen', 'respond.kind': 'Rückmeldung', 'respond.submit': 'Erfassen',
      'respond.for': 'für {name} ({fn})', 'respond.done': 'Rückmeldung für {name} erfasst.',
      'minutes': 'Min.',
      'err.required': 'Bitte füllen Sie alle Pflichtfelder aus.',
      'err.session': 'Ihre Sitzung ist abgelaufen. Bitte melden Sie sich neu an.',
      'err.network': 'Der Server ist nicht erreichbar.',
      'err.forbidden': 'Für diese Aktion fehlt die Berechtigung.',
      'err.generic': 'Fehler {status}',
      'lang.other': 'EN', 'lang.other.label': 'Switch to English',
    },
    en: {
      'skip': 'Skip to the board',
      'app.subtitle': 'Crisis staff board',
      'conn.connecting': 'Connecting …',
      'conn.live': 'Live',
      'conn.reconnecting': 'Reconnecting …',
      'conn.lost': 'Connection lost',
      'conn.banner': 'Connection lost since {t}. The data shown is stale – reconnecting automatically.',
      'conn.stale': 'Stale',
      'wall.on': 'Wall mode', 'wall.off': 'Leave wall mode',
      'logout': 'Sign out', 'close': 'Close', 'cancel': 'Cancel',
      'role.viewer': 'read only', 'role.duty_officer': 'duty officer', 'role.admin': 'admin',
      'act.declare': 'Declare incident', 'act.update': 'Situation update', 'act.standdown': 'Stand down',
      'sev.disruption': 'Disruption', 'sev.emergency': 'Emergency', 'sev.crisis': 'Crisis',
      'exercise.banner': 'EXERCISE', 'exercise.long': 'ÜBUNG · EXERCISE · ÜBUNG – this is an exercise, not a real alert',
      'incidents.none': 'No open incident',
      'incidents.none.hint': 'All crisis staffs are at rest. New incidents appear here automatically.',
      'incidents.closed': 'Closed',
      'incident.declared': 'Declared by {by} on {at}',
      'incident.report': 'After-action report', 'incident.report.exercise': 'Exercise report',
      'declare.drill': 'Alerting drill', 'declare.drill.on': 'As an alerting drill (measures reachability and reaction time)',
      'declare.drill.announced': 'announced', 'declare.drill.deputies': 'alert deputies only',
      'declare.drill.target': 'Target (minutes until all functions acknowledged)',
      'incident.converted': 'Exercise converted into a real incident on {at} by {by}',
      'incident.reason': 'Reason',
      'incident.since': 'since alert',
      'incident.duration': 'Duration',
      'incident.stooddown': 'Stood down {at} by {by}',
      'incident.ready': '{n} of {m} ministries operational',
      'incident.readylabel': 'ministries operational',
      'incident.counts': 'Messages {sent} sent · {delivered} delivered · {failed} failed · {responses} responses',
      'incident.updates': 'Latest situation update',
      'state.not_activated': 'Not alerted', 'state.alerting': 'Alerting', 'state.forming': 'Staff forming',
      'state.ready': 'Operational', 'state.degraded': 'Degraded', 'state.at_risk': 'At risk',
      'tile.functions': 'Functions', 'tile.missing': 'Missing', 'tile.allcovered': 'All functions covered', 'tile.norequired': 'No required functions: ready with the first yes',
      'state.stood_down': 'Stood down', 'tile.reached': 'Reached: {s}',
      'tile.split': '{a} now · {d} later', 'person.etaunknown': 'ETA unknown',
      'person.smsstopped': 'SMS opted out (STOP)', 'person.bound': 'coming to staff {o}, not here', 'tl.wide': 'whole incident',
      'tile.coming': '{n} on the way', 'tile.eta': 'latest arrival {t}', 'tile.nocoming': 'Nobody on the way',
      'tile.elapsed': 'Since alert', 'tile.target': 'Target', 'tile.remaining': '{d} left',
      'tile.over': 'Target exceeded +{d}', 'tile.readyafter': 'operational after {d}',
      'tile.changed': 'Last change {t}', 'tile.answers': '{a} coming · {u} unavailable · {n}/{p} alerted',
      'tile.notyet': 'This ministry has not been alerted yet.',
      'tile.open': 'Details for {org}', 'tile.card': 'Emergency card',
      'tile.conference': '{n} in the staff call', 'detail.conference': 'Staff call',
      'detail.noconference': 'Nobody in the staff call.', 'detail.since': 'since {t}',
      'detail.tree': 'Call tree', 'detail.timeline': 'Timeline', 'detail.loading': 'Loading …',
      'detail.notfound': 'No details available.', 'detail.notimeline': 'No entries yet.',
      'node.waiting': 'waiting', 'node.alerting': 'alerting', 'node.acknowledged': 'acknowledged', 'node.exhausted': 'nobody coming (exhausted)',
      'person.deputy': 'Deputy', 'person.primary': 'Primary', 'person.notalerted': 'not alerted yet',
      'person.alerted': 'alerted {t}', 'person.failed': 'failed: {c}', 'person.machine': 'answering machine', 'person.eta': 'arrival {t}',
      'person.noanswer': 'no answer', 'person.respond': 'Record response',
      'notif.pending': 'pending', 'notif.sending': 'sending', 'notif.sent': 'sent', 'notif.delivered': 'delivered',
      'notif.failed': 'failed', 'notif.unknown': 'unknown',
      'answer.available': 'coming', 'answer.delayed': 'coming later', 'answer.unavailable': 'unavailable',
      'chan.sms': 'SMS', 'chan.email': 'email', 'chan.voice': 'call', 'chan.console': 'console',
      'declare.title': 'Declare incident', 'declare.scenario': 'Scenario', 'declare.titlefield': 'Title',
      'declare.severity': 'Severity', 'declare.exercise': 'Exercise (marked ÜBUNG)', 'declare.orgs': 'Ministries',
      'declare.allorgs': 'all ministries of the scenario',
      'declare.reason': 'Reason (decision)', 'declare.message': 'Additional text for the alert (optional)',
      'declare.realwarn': 'Warning: REAL ALERT. Everyone is alerted without the ÜBUNG marking.',
      'declare.submit': 'Start exercise alert', 'declare.submit.real': 'Start REAL alert',
      'declare.noscenarios': 'No scenarios configured.',
      'declare.done': 'Incident {id} declared – alerting started.',
      'sms.count': 'SMS: {n} of at most {max} parts ({chars} characters)',
      'sms.over': 'Too long: {n} SMS parts ({chars} characters), {max} allowed. Please shorten.',
      'update.title': 'Send situation update', 'update.hint': 'The update goes to everyone reached in this incident so far.',
      'update.text': 'Text', 'update.submit': 'Send', 'update.done': 'Situation update sent.',
      'standdown.title': 'Stand down', 'standdown.hint': 'Standing down ends the incident and notifies everyone reached.',
      'standdown.reason': 'Reason', 'standdown.confirm': 'I confirm the stand-down of incident {id}.',
      'standdown.submit': 'Stand down', 'standdown.done': 'Incident {id} stood down.',
      'respond.title': 'Record response', 'respond.kind': 'Response', 'respond.submit': 'Record',
      'respond.for': 'for {name} ({fn})', 'respond.done': 'Response recorded for {name}.',
      'minutes': 'min',
      'err.required': 'Please fill in all required fields.',
      'err.session': 'Your session has expired. Please sign in again.',
      'err.network': 'The server cannot be reached.',
      'err.forbidden': 'You are not allowed to do this.',
      'err.generic': 'Error {status}',
      'lang.other': 'DE', 'lang.other.label': 'Auf Deutsch umschalten',
    },
  };

  // Standard crisis staff functions (ids are the keys of Required).
  const FUNCTIONS = {
    lead: ['Stabsleitung', 'Head of staff'],
    it: ['IT', 'IT'],
    personnel: ['Personal', 'Personnel'],
    facilities: ['Liegenschaften', 'Facilities'],
    communication: ['Kommunikation', 'Communication'],
    protocol: ['Protokoll', 'Minutes'],
    backoffice: ['Stabsassistenz', 'Staff assistance'],
    S1: ['S1 Personal', 'S1 Personnel'], S2: ['S2 Lage', 'S2 Situation'], S3: ['S3 Einsatz', 'S3 Operations'],
    S4: ['S4 Versorgung', 'S4 Logistics'], S5: ['S5 Presse- und Medienarbeit', 'S5 Media'], S6: ['S6 IuK', 'S6 IT and comms'],
  };

  const STATES = ['not_activated', 'alerting', 'forming', 'ready', 'degraded', 'at_risk', 'stood_down'];

  // Inline icons (stroke based, 24×24), so no font or network is needed.
  const ICON = {
    ready: '<path d="M20 6 9 17l-5-5"/>',
    forming: '<circle cx="9" cy="8" r="3"/><path d="M3 20c0-3.3 2.7-6 6-6s6 2.7 6 6"/><circle cx="17" cy="9" r="2.5"/><path d="M16 14c2.8 0 5 2.2 5 5"/>',
    alerting: '<path d="M6 16V11a6 6 0 0 1 12 0v5l2 2H4z"/><path d="M10 21h4"/>',
    at_risk: '<path d="M12 3 2 20h20z"/><path d="M12 10v4M12 17v.5"/>',
    degraded: '<path d="M12 4v14M6 12l6 6 6-6"/>',
    not_activated: '<circle cx="12" cy="12" r="8"/><path d="M8 12h8"/>',
    stood_down: '<path d="M5 12h14"/><path d="M5 6h14M5 18h14"/>',
    clock: '<circle cx="12" cy="12" r="9"/><path d="M12 7v5l3 2"/>',
    people: '<circle cx="9" cy="8" r="3"/><path d="M3 20c0-3.3 2.7-6 6-6s6 2.7 6 6"/>',
    warn: '<path d="M12 3 2 20h20z"/><path d="M12 10v4M12 17v.5"/>',
    phone: '<path d="M5 3h4l2 5-3 2a11 11 0 0 0 6 6l2-3 5 2v4a2 2 0 0 1-2 2A17 17 0 0 1 3 5a2 2 0 0 1 2-2z"/>',
  };
  function icon(name, cls) {
    return '<svg class="ic ' + (cls || '') + '" viewBox="0 0 24 24" aria-hidden="true" focusable="false">' + (ICON[name] || '') + '</svg>';
  }

  // --------------------------------------------------------------- state ---
  const body = document.body;
  const S = {
    lang: body.dataset.lang === 'en' ? 'en' : 'de',
    wall: document.documentElement.classList.contains('wall'),
    role: body.dataset.role || 'viewer',
    canAct: body.dataset.canAct === 'true',
    name: body.dataset.name || '',
    csrf: (document.querySelector('meta[name="csrf-token"]') || {}).content || '',
    incidents: new Map(), // id → IncidentView
    order: [],            // ids, newest first
    scenarios: [],
    selected: location.hash ? decodeURIComponent(location.hash.slice(1)) : null,
    offset: 0,            // server clock − local clock, ms
    conn: 'connecting',   // connecting | live | lost
    lostSince: null,
    staleShown: false,
    dirtyAll: true,
    dirtyOrgs: new Set(),
    detail: null,         // {incident, org, data, error, loading}
  };

  function t(key, vars) {
    let s = (T[S.lang] && T[S.lang][key]) || T.de[key] || key;
    if (vars) s = s.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));
    return s;
  }
  function esc(s) {
    return String(s == null ? '' : s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
  }
  function names(n) { return n ? (S.lang === 'en' && n.en ? n.en : n.de || n.en || '') : ''; }
  function fnName(id) { const f = FUNCTIONS[id]; return f ? f[S.lang === 'en' ? 1 : 0] : id; }
  function now() { return Date.now() + S.offset; }
  function ms(ts) { return ts ? Date.parse(ts) : NaN; }

  let fmt = {};
  function makeFormats() {
    const loc = S.lang === 'en' ? 'en-GB' : 'de-DE';
    const tz = 'Europe/Berlin';
    fmt = {
      hm: new Intl.DateTimeFormat(loc, { timeZone: tz, hour: '2-digit', minute: '2-digit' }),
      hms: new Intl.DateTimeFormat(loc, { timeZone: tz, hour: '2-digit', minute: '2-digit', second: '2-digit' }),
      full: new Intl.DateTimeFormat(loc, { timeZone: tz, weekday: 'short', day: '2-digit', month: '2-digit', year: 'numeric', hour: '2-digit', minute: '2-digit' }),
      day: new Intl.DateTimeFormat(loc, { timeZone: tz, weekday: 'long', day: 'numeric', month: 'long' }),
    };
  }
  function hm(ts) { const v = typeof ts === 'number' ? ts : ms(ts); return isNaN(v) ? '–' : fmt.hm.format(v); }
  function hms(ts) { const v = typeof ts === 'number' ? ts : ms(ts); return isNaN(v) ? '–' : fmt.hms.format(v); }
  function full(ts) { const v = ms(ts); return isNaN(v) ? '–' : fmt.full.format(v); }
  function dur(msv) {
    if (!isFinite(msv)) return '–';
    let s = Math.max(0, Math.floor(msv / 1000));
    const h = Math.floor(s / 3600); s -= h * 3600;
    const m = Math.floor(s / 60); s -= m * 60;
    const p = (x) => (x < 10 ? '0' : '') + x;
    return h > 0 ? h + ':' + p(m) + ':' + p(s) : p(m) + ':' + p(s);
  }
  function isZero(ts) { return !ts || ts.startsWith('0001-01-01'); }

  // ---------------------------------------------------------- model ops ---
  function sortOrder() {
    S.order = Array.from(S.incidents.keys()).sort((a, b) => ms(S.incidents.get(b).declared_at) - ms(S.incidents.get(a).declared_at));
  }
  function openIncidents() { return S.order.map((id) => S.incidents.get(id)).filter((i) => i.status !== 'stood_down'); }
  function current() {
    if (S.selected && S.incidents.has(S.selected)) return S.incidents.get(S.selected);
    const open = openIncidents();
    if (open.length) return open[0];
    return S.order.length ? S.incidents.get(S.order[0]) : null;
  }

  function applySnapshot(snap) {
    S.incidents = new Map();
    for (const inc of snap.incidents || []) S.incidents.set(inc.id, inc);
    S.scenarios = snap.scenarios || [];
    if (snap.now) S.offset = ms(snap.now) - Date.now();
    sortOrder();
    S.dirtyAll = true;
    refreshDetailSoon();
  }

  function applyChange(ch) {
    if (ch.kind === 'resync') {
      // The engine rebuilt its state: what is shown may be stale. Reconnect
      // for a fresh snapshot; until it arrives the tiles are marked stale.
      setConn('lost');
      connect();
      return;
    }
    if (ch.kind === 'incident' && ch.incident) {
      const known = S.incidents.has(ch.incident.id);
      S.incidents.set(ch.incident.id, ch.incident);
      if (!known) sortOrder();
      S.dirtyAll = true;
    } else if (ch.kind === 'incident_patch' && ch.patch) {
      // Only what changed since the incident's previous view; the server
      // sends the whole view to a stream that never had that one.
      const inc = S.incidents.get(ch.incident_id);
      if (!inc) return; // not in the snapshot (an old closed incident)
      for (const [k, v] of Object.entries(ch.patch)) {
        if (v === null) delete inc[k]; else inc[k] = v;
      }
      for (const r of ch.organisations || []) putTile(inc, r);
      if ('declared_at' in ch.patch) sortOrder();
      S.dirtyAll = true;
    } else if (ch.kind === 'readiness' && ch.readiness) {
      const r = ch.readiness;
      const inc = S.incidents.get(ch.incident_id || r.incident);
      if (!inc) return; // the incident change will bring it
      putTile(inc, r);
    }
    // timeline items only concern an open drill-down
    const d = S.detail;
    if (d && d.incident === ch.incident_id) {
      const org = ch.readiness ? ch.readiness.org : ch.timeline ? ch.timeline.org : null;
      if (!org || org === d.org) refreshDetailSoon();
    }
  }

  // putTile replaces (or adds) one organisation's tile of an incident.
  function putTile(inc, r) {
    const orgs = inc.organisations || (inc.organisations = []);
    const i = orgs.findIndex((o) => o.org === r.org);
    if (i >= 0) orgs[i] = r; else { orgs.push(r); S.dirtyAll = true; }
    S.dirtyOrgs.add(inc.id + '\u0000' + r.org);
  }

  // ------------------------------------------------------------ render ---
  let rafPending = false;
  function scheduleRender() {
    if (rafPending) return;
    rafPending = true;
    requestAnimationFrame(() => { rafPending = false; render(); });
  }

  const $ = (id) => document.getElementById(id);
  const tilesEl = $('tiles');
  const tileEls = new Map(); // org → element (for the shown incident)
  let shownIncident = null;

  function render() {
    const inc = current();
    if (S.dirtyAll) {
      renderTabs();
      renderIncident(inc);
      renderActions(inc);
    }
    renderTiles(inc, S.dirtyAll);
    S.dirtyAll = false;
    S.dirtyOrgs.clear();
    tick();
  }

  function sevBadge(sev) {
    return '<span class="sev sev-' + esc(sev) + '">' + esc(t('sev.' + sev)) + '</span>';
  }
  function exerciseChip() { return '<span class="ex-chip">' + esc(t('exercise.banner')) + '</span>'; }
  function readyCount(inc) {
    const orgs = inc.organisations || [];
    return [orgs.filter((o) => o.state === 'ready' || o.state === 'stood_down' && o.reached === 'ready').length, orgs.length];
  }

  function renderTabs() {
    const el = $('incident-tabs');
    const cur = current();
    const open = openIncidents();
    const closed = S.order.map((id) => S.incidents.get(id)).filter((i) => i.status === 'stood_down').slice(0, 4);
    if (open.length + closed.length < 2) { el.innerHTML = ''; el.hidden = true; return; }
    el.hidden = false;
    const tab = (i) => {
      const [n, m] = readyCount(i);
      const sel = cur && cur.id === i.id;
      return '<button type="button" class="tab' + (sel ? ' selected' : '') + (i.exercise ? ' is-exercise' : '') +
        (i.status === 'stood_down' ? ' closed' : '') + '" data-incident="' + esc(i.id) + '" aria-pressed="' + sel + '">' +
        '<span class="tab-id">' + esc(i.id) + '</span>' +
        (i.exercise ? exerciseChip() : '') +
        '<span class="tab-name">' + esc(names(i.scenario_name) || i.title) + '</span>' +
        sevBadge(i.severity) +
        '<span class="tab-count" title="' + esc(t('incident.ready', { n, m })) + '">' + n + '/' + m + '</span></button>';
    };
    let h = open.map(tab).join('');
    if (closed.length) h += '<span class="tabs-sep">' + esc(t('incidents.closed')) + '</span>' + closed.map(tab).join('');
    el.innerHTML = h;
  }

  function renderIncident(inc) {
    const el = $('incident');
    body.classList.toggle('has-exercise', !!(inc && inc.exercise));
    if (!inc) {
      el.innerHTML = '<div class="empty"><h1>' + esc(t('incidents.none')) + '</h1><p class="muted">' + esc(t('incidents.none.hint')) + '</p></div>';
      el.dataset.incident = '';
      return;
    }
    el.dataset.incident = inc.id;
    const [n, m] = readyCount(inc);
    const c = inc.counts || {};
    const last = (inc.updates || []).slice(-1)[0];
    const closed = inc.status === 'stood_down';
    el.innerHTML =
      (inc.exercise ? '<div class="exercise-bar" id="exercise-banner"><span>' + esc(t('exercise.long')) + '</span></div>' : '') +
      (closed ? '<div class="standdown-bar">' + esc(t('incident.stooddown', { at: full(inc.stood_down_at), by: inc.stood_down_by || '–' })) + '</div>' : '') +
      '<div class="incident-main">' +
        '<div class="incident-info">' +
          '<div class="incident-line1"><span class="incident-id">' + esc(inc.id) + '</span>' + sevBadge(inc.severity) +
            (inc.exercise ? exerciseChip() : '') +
            '<span class="scenario">' + esc(names(inc.scenario_name)) + '</span></div>' +
          '<h1 class="incident-title">' + esc(inc.title || names(inc.scenario_name)) + '</h1>' +
          '<p class="incident-meta">' + esc(t('incident.declared', { by: inc.declared_by || '–', at: full(inc.declared_at) })) +
            (inc.reason ? ' · <span class="reason"><span class="label">' + esc(t('incident.reason')) + ':</span> ' + esc(inc.reason) + '</span>' : '') + '</p>' +
          (last ? '<p class="incident-update"><span class="label">' + esc(t('incident.updates')) + ' ' + esc(hm(last.at)) + ':</span> ' + esc(last.text) + '</p>' : '') +
        '</div>' +
        '<div class="incident-stats">' +
          '<div class="elapsed"><span class="elapsed-value" id="incident-elapsed" data-since="' + esc(inc.declared_at) + '"' +
            (closed ? ' data-until="' + esc(inc.stood_down_at || '') + '"' : '') + '>–</span>' +
            '<span class="elapsed-label">' + esc(closed ? t('incident.duration') : t('incident.since')) + '</span></div>' +
          '<div class="readycount"><span class="readycount-value">' + n + '<span class="of">/' + m + '</span></span>' +
            '<span class="readycount-label">' + esc(t('incident.readylabel')) + '</span></div>' +
        '</div>' +
      '</div>' +
      '<p class="incident-counts">' + esc(t('incident.counts', { sent: c.sent || 0, delivered: c.delivered || 0, failed: c.failed || 0, responses: c.responses || 0 })) +
        ' · <a class="report-link" id="report-link" target="_blank" rel="noopener" href="/api/v1/incidents/' + encodeURIComponent(inc.id) +
        '/report?lang=' + (S.lang === 'en' ? 'en' : 'de') + '">' + esc(t(inc.exercise ? 'incident.report.exercise' : 'incident.report')) + '</a>' +
        (inc.converted_at ? ' · <strong>' + esc(t('incident.converted', { at: full(inc.converted_at), by: inc.converted_by || '–' })) + '</strong>' : '') + '</p>';
  }

  function renderActions(inc) {
    const a = $('actions');
    if (!a) return;
    const open = !!(inc && inc.status !== 'stood_down');
    $('btn-update').hidden = !open;
    $('btn-standdown').hidden = !open;
  }

  function renderTiles(inc, all) {
    if (!inc) { tilesEl.innerHTML = ''; tileEls.clear(); shownIncident = null; return; }
    const orgs = inc.organisations || [];
    if (shownIncident !== inc.id) { tilesEl.innerHTML = ''; tileEls.clear(); shownIncident = inc.id; all = true; }
    tilesEl.dataset.incident = inc.id;
    tilesEl.classList.toggle('count-many', orgs.length > 12);
    if (all) {
      const keep = new Set(orgs.map((o) => o.org));
      for (const [org, el] of tileEls) if (!keep.has(org)) { el.remove(); tileEls.delete(org); }
      orgs.forEach((o, i) => {
        let el = tileEls.get(o.org);
        if (!el) { el = makeTile(o.org); tileEls.set(o.org, el); }
        if (tilesEl.children[i] !== el) tilesEl.insertBefore(el, tilesEl.children[i] || null);
        if (el._o !== o || el._lang !== S.lang) updateTile(el, o, inc);
      });
    } else {
      for (const o of orgs) {
        if (!S.dirtyOrgs.has(inc.id + '\u0000' + o.org)) continue;
        const el = tileEls.get(o.org);
        if (el && el._o !== o) updateTile(el, o, inc);
      }
    }
  }

  function makeTile(org) {
    const el = document.createElement('article');
    el.className = 'tile';
    el.dataset.org = org;
    el.innerHTML =
      '<header class="tile-head"><h2 class="tile-org"><button type="button" class="tile-btn"></button></h2>' +
        '<span class="badge"></span></header>' +
      '<p class="tile-name"></p>' +
      '<div class="tile-funcs"><div class="funcs-line"><span class="funcs-label"></span><span class="funcs-value"></span></div>' +
        '<div class="bar" aria-hidden="true"><span class="bar-fill"></span></div>' +
        '<p class="missing"></p></div>' +
      '<p class="coming"></p>' +
      '<p class="conference"></p>' +
      '<div class="tile-time"><div class="time-line"><span class="time-label"></span><span class="time-elapsed"></span><span class="time-target"></span></div>' +
        '<div class="bar bar-time" aria-hidden="true"><span class="bar-fill"></span></div>' +
        '<p class="countdown"></p></div>' +
      '<footer class="tile-foot"><span class="answers"></span><a class="card-link" target="_blank" rel="noopener"></a><span class="changed"></span></footer>';
    return el;
  }

  function updateTile(el, o, inc) {
    el._o = o; el._lang = S.lang;
    const state = STATES.includes(o.state) ? o.state : 'not_activated';
    el.dataset.state = state;
    el.dataset.incident = inc.id;
    const q = (c) => el.querySelector(c);
    const btn = q('.tile-btn');
    btn.textContent = o.org;
    btn.title = o.org;
    const card = q('.card-link'); // the organisation's emergency card (Notfallkarte), printable
    card.href = '/card/' + encodeURIComponent(o.org) + '?lang=' + (S.lang === 'en' ? 'en' : 'de');
    card.textContent = t('tile.card');
    btn.setAttribute('aria-label', t('tile.open', { org: names(o.name) || o.org }) + ' – ' + t('state.' + state));
    q('.badge').innerHTML = icon(state) + '<span>' + esc(t('state.' + state)) + '</span>' +
      (state === 'stood_down' && o.reached ? '<span class="reached">' + esc(t('tile.reached', { s: t('state.' + o.reached) })) + '</span>' : '');
    const nm = names(o.name);
    q('.tile-name').textContent = nm;
    q('.tile-name').title = nm;
    const req = o.required || {};
    const cov = o.covered || {};
    let need = 0, have = 0;
    for (const f in req) { need += req[f]; have += Math.min(cov[f] || 0, req[f]); }
    q('.funcs-label').textContent = t('tile.functions');
    q('.funcs-value').textContent = have + '/' + need;
    q('.tile-funcs .bar-fill').style.width = (need ? Math.round((100 * have) / need) : 0) + '%';
    const missing = o.missing || [];
    const mEl = q('.missing');
    if (state === 'not_activated') { mEl.innerHTML = '<span class="muted">' + esc(t('tile.notyet')) + '</span>'; }
    else if (missing.length) {
      const shown = missing.length > 4 ? missing.slice(0, 3) : missing;
      mEl.innerHTML = '<span class="label">' + esc(t('tile.missing')) + ':</span> ' +
        shown.map((f) => '<span class="fn-chip">' + esc(fnName(f)) + '</span>').join('') +
        (shown.length < missing.length ? '<span class="fn-more">+' + (missing.length - shown.length) + '</span>' : '');
      mEl.title = missing.map(fnName).join(', ');
    } else if (!need) { mEl.innerHTML = '<span class="muted">' + esc(t('tile.norequired')) + '</span>'; } // not "all covered" while alerting
    else { mEl.innerHTML = icon('ready', 'ic-ok') + esc(t('tile.allcovered')); }
    const cEl = q('.coming');
    if (o.coming > 0) {
      cEl.innerHTML = icon('people') + '<span>' + esc(t('tile.coming', { n: o.coming })) + '</span>' +
        '<span class="split">' + esc(t('tile.split', { a: o.available || 0, d: o.delayed || 0 })) + '</span>' +
        (o.latest_eta ? '<span class="eta">' + esc(t('tile.eta', { t: hm(o.latest_eta) })) + '</span>' : '');
    } else { cEl.innerHTML = state === 'not_activated' || state === 'ready' || state === 'stood_down' ? '' : '<span class="muted">' + esc(t('tile.nocoming')) + '</span>'; }
    q('.conference').textContent = o.in_conference > 0 ? t('tile.conference', { n: o.in_conference }) : '';
    q('.time-label').textContent = t('tile.elapsed');
    q('.time-target').textContent = o.target_seconds ? t('tile.target') + ' ' + dur(o.target_seconds * 1000) : '';
    q('.answers').textContent = t('tile.answers', { a: o.available || 0, u: o.unavailable || 0, n: o.notified || 0, p: o.people || 0 });
    q('.changed').textContent = isZero(o.changed_at) ? '' : t('tile.changed', { t: hm(o.changed_at) });
    tickTile(el, inc, now());
  }

  function tickTile(el, inc, nowMs) {
    const o = el._o;
    if (!o) return;
    const act = isZero(o.activated_at) ? NaN : ms(o.activated_at);
    // ready_at is the first time the staff was ready; one that lost it since
    // (degraded, at_risk) runs against its target again.
    const ready = !!o.ready_at && (o.state === 'ready' || (o.state === 'stood_down' && o.reached === 'ready'));
    let end = nowMs;
    if (ready) end = ms(o.ready_at);
    else if (inc && inc.status === 'stood_down' && inc.stood_down_at) end = ms(inc.stood_down_at);
    const elapsed = end - act;
    const target = (o.target_seconds || 0) * 1000;
    const deadline = isZero(o.deadline) ? act + target : ms(o.deadline);
    const eEl = el.querySelector('.time-elapsed');
    const cd = el.querySelector('.countdown');
    const fill = el.querySelector('.bar-time .bar-fill');
    if (isNaN(act)) {
      eEl.textContent = '–'; cd.textContent = ''; fill.style.width = '0%'; el.classList.remove('overdue'); return;
    }
    eEl.textContent = dur(elapsed);
    fill.style.width = (target ? Math.min(100, (100 * elapsed) / target) : 0) + '%';
    let over = false;
    let text;
    if (ready) text = t('tile.readyafter', { d: dur(elapsed) });
    else if (isNaN(deadline)) text = '';
    else if (end >= deadline) { over = true; text = t('tile.over', { d: dur(end - deadline) }); }
    else text = t('tile.remaining', { d: dur(deadline - end) });
    if (cd.textContent !== text) cd.textContent = text;
    el.classList.toggle('overdue', over);
    el.classList.toggle('is-ready', ready);
  }

  function tick() {
    const n = now();
    const clock = $('clock');
    clock.textContent = hms(n);
    clock.title = fmt.day.format(n);
    const inc = current();
    const el = $('incident-elapsed');
    if (el && inc) {
      const until = el.dataset.until ? ms(el.dataset.until) : n;
      el.textContent = dur(until - ms(el.dataset.since));
    }
    for (const tile of tileEls.values()) tickTile(tile, inc, n);
    renderBanner();
  }

  // -------------------------------------------------------- connection ---
  const BANNER_GRACE = 2000; // a quick automatic reconnect shows no banner
  let es = null;
  let retryTimer = null;
  let backoff = 1000;
  let lastMsg = 0;

  function setConn(state) {
    if (state === 'lost' && S.conn !== 'lost') S.lostSince = now();
    if (state === 'live') S.lostSince = null;
    S.conn = state;
    renderBanner();
  }

  function renderBanner() {
    const b = $('conn-banner');
    const el = $('conn-status');
    const lost = S.conn === 'lost' && now() - S.lostSince >= BANNER_GRACE;
    const connState = S.conn === 'lost' ? (lost ? 'lost' : 'reconnecting') : S.conn;
    if (el._state !== connState || el._lang !== S.lang) {
      el.dataset.conn = connState; el._state = connState; el._lang = S.lang;
      el.querySelector('.conn-text').textContent = t('conn.' + connState);
    }
    if (lost !== S.staleShown || (lost && b._lang !== S.lang)) {
      S.staleShown = lost;
      b._lang = S.lang;
      body.classList.toggle('stale', lost);
      if (lost) {
        b.innerHTML = icon('warn') + '<span>' + esc(t('conn.banner', { t: hm(S.lostSince) })) + '</span>';
        b.hidden = false;
      } else {
        b.hidden = true;
        b.textContent = '';
      }
    }
  }

  function connect() {
    clearTimeout(retryTimer);
    if (es) es.close();
    es = new EventSource('/api/v1/stream');
    es.addEventListener('snapshot', (e) => {
      lastMsg = Date.now();
      applySnapshot(JSON.parse(e.data));
      backoff = 1000;
      setConn('live');
      scheduleRender();
    });
    es.addEventListener('change', (e) => {
      lastMsg = Date.now();
      if (S.conn !== 'live') return; // wait for the snapshot
      applyChange(JSON.parse(e.data));
      scheduleRender();
    });
    es.addEventListener('ping', (e) => {
      lastMsg = Date.now();
      try { const p = JSON.parse(e.data); if (p.now) S.offset = ms(p.now) - Date.now(); } catch (_) { /* ignore */ }
    });
    es.onerror = () => {
      setConn('lost');
      if (es.readyState === EventSource.CLOSED) scheduleRetry();
      // otherwise EventSource reconnects by itself; the snapshot ends 'lost'
    };
  }

  function scheduleRetry() {
    clearTimeout(retryTimer);
    const wait = backoff + Math.random() * 500;
    backoff = Math.min(backoff * 2, 15000);
    retryTimer = setTimeout(probe, wait);
  }

  // Before reconnecting, check the session: an expired one goes to the login.
  function probe() {
    fetch('/api/v1/session', { credentials: 'same-origin', cache: 'no-store' }).then((r) => {
      if (r.status === 401) { toLogin(); return; }
      if (!r.ok) throw new Error('status ' + r.status);
      connect();
    }).catch(() => scheduleRetry());
  }

  function toLogin() {
    const next = location.pathname + location.search;
    location.href = '/login?next=' + encodeURIComponent(next) + (S.lang === 'en' ? '&lang=en' : '');
  }

  // A stream that stays silent longer than two heartbeats is dead.
  setInterval(() => {
    if (S.conn === 'live' && Date.now() - lastMsg > 40000) {
      if (es) es.close();
      setConn('lost');
      backoff = 1000;
      scheduleRetry();
    }
  }, 5000);
  window.addEventListener('online', () => { if (S.conn !== 'live') { backoff = 1000; probe(); } });

  // ---------------------------------------------------------- drill-down ---
  let detailTimer = null;
  let detailSeq = 0;
  function refreshDetailSoon() {
    if (!S.detail || detailTimer) return;
    detailTimer = setTimeout(() => { detailTimer = null; loadDetail(); }, 700);
  }

  function openDetail(incident, org) {
    S.detail = { incident, org, data: null, error: null };
    const dlg = $('detail-dialog');
    renderDetail();
    if (!dlg.open) dlg.showModal();
    loadDetail();
  }

  function loadDetail() {
    const d = S.detail;
    if (!d) return;
    const my = ++detailSeq;
    fetch('/api/v1/incidents/' + encodeURIComponent(d.incident) + '/organisations/' + encodeURIComponent(d.org),
      { credentials: 'same-origin', cache: 'no-store' })
      .then((r) => r.json().catch(() => null).then((j) => ({ r, j })))
      .then(({ r, j }) => {
        if (my !== detailSeq || S.detail !== d) return;
        if (r.status === 401) { toLogin(); return; }
        if (!r.ok) { d.error = (j && j.error && j.error.message) || t('detail.notfound'); d.data = null; }
        else { d.data = j; d.error = null; }
        renderDetail();
      })
      .catch(() => { if (S.detail === d) { d.error = t('err.network'); renderDetail(); } });
  }

  function renderDetail() {
    const d = S.detail;
    if (!d) return;
    const inc = S.incidents.get(d.incident);
    const ro = (d.data && d.data.readiness) || (inc && (inc.organisations || []).find((o) => o.org === d.org)) || { org: d.org };
    const state = STATES.includes(ro.state) ? ro.state : 'not_activated';
    const dlg = $('detail-dialog');
    dlg.dataset.org = d.org;
    dlg.dataset.state = state;
    $('detail-title').innerHTML = '<span class="detail-org">' + esc(d.org) + '</span> ' + esc(names(ro.name)) +
      ' <span class="badge badge-' + state + '">' + icon(state) + '<span>' + esc(t('state.' + state)) + '</span></span>';
    $('detail-exercise').hidden = !(inc && inc.exercise);
    const req = ro.required || {};
    const funcs = Object.keys(req).sort().map((f) => {
      const have = (ro.covered || {})[f] || 0;
      const ok = have >= req[f];
      return '<span class="fn-chip ' + (ok ? 'ok' : 'miss') + '">' + (ok ? icon('ready') : icon('not_activated')) + esc(fnName(f)) + ' ' + have + '/' + req[f] + '</span>';
    }).join('');
    $('detail-summary').innerHTML = '<div class="fn-list">' + funcs + '</div>' +
      (inc ? '<p class="muted">' + esc(inc.id) + ' · ' + esc(inc.title || names(inc.scenario_name)) + '</p>' : '');
    const tree = $('detail-tree');
    const tl = $('detail-timeline');
    const conf = (d.data && d.data.conference) || [];
    $('detail-conference').innerHTML = conf.length ? conf.map((m) => '<li>' + esc(m.name || m.person) +
      ' <time datetime="' + esc(m.since) + '">' + esc(t('detail.since', { t: hm(m.since) })) + '</time></li>').join('')
      : d.data ? '<li class="muted">' + esc(t('detail.noconference')) + '</li>' : '';
    if (d.error) { tree.innerHTML = '<p class="form-error">' + esc(d.error) + '</p>'; tl.innerHTML = ''; return; }
    if (!d.data) { tree.innerHTML = '<p class="muted">' + esc(t('detail.loading')) + '</p>'; tl.innerHTML = ''; return; }
    const act = S.canAct && inc && inc.status !== 'stood_down';
    tree.innerHTML = (d.data.nodes || []).map((n) => {
      const tiers = (n.tiers || []).map((p) => personRow(p, n, act)).join('');
      return '<div class="node node-' + esc(n.state) + '" data-depth="' + (n.depth | 0) + '" data-node="' + (n.index | 0) + '">' +
        '<div class="node-head"><span class="node-fn">' + esc(fnName(n.function)) + '</span>' +
        '<span class="node-state">' + esc(t('node.' + n.state)) + '</span></div>' + tiers + '</div>';
    }).join('') || '<p class="muted">–</p>';
    // CSP forbids style attributes in markup; set the indentation via CSSOM.
    tree.querySelectorAll('.node[data-depth]').forEach((el) => { el.style.setProperty('--depth', el.dataset.depth); });
    const items = (d.data.timeline || []).slice().sort((a, b) => ms(b.at) - ms(a.at));
    tl.innerHTML = items.length ? items.map((it) =>
      '<li class="tl-item tl-' + esc(it.kind) + '"><time datetime="' + esc(it.at) + '">' + esc(hms(it.at)) + '</time>' +
      (it.org ? '<span class="tl-org">' + esc(it.org) + '</span>' : '') +
      (it.incident_wide ? '<span class="tl-org tl-wide">' + esc(t('tl.wide')) + '</span>' : '') +
      '<span class="tl-text">' + esc(S.lang === 'en' && it.summary_en ? it.summary_en : it.summary) + '</span></li>').join('')
      : '<li class="muted">' + esc(t('detail.notimeline')) + '</li>';
  }

  function personRow(p, n, act) {
    const bits = [];
    if (!p.alerted) bits.push('<span class="muted">' + esc(t('person.notalerted')) + '</span>');
    else {
      bits.push('<span>' + esc(t('person.alerted', { t: p.alerted_at ? hm(p.alerted_at) : '' })) + '</span>');
      if (p.notification_state) {
        bits.push('<span class="notif notif-' + esc(p.notification_state) + '">' + esc(t('notif.' + p.notification_state)) +
          (p.channel ? ' · ' + esc(t('chan.' + p.channel)) : '') + '</span>');
      }
    }
    if (p.bound_to) bits.push('<span class="failed">' + icon('warn') + esc(t('person.bound', { o: p.bound_to })) + '</span>');
    if (p.sms_stopped) bits.push('<span class="failed">' + icon('warn') + esc(t('person.smsstopped')) + '</span>');
    if (p.failed_channels && p.failed_channels.length) {
      bits.push('<span class="failed">' + icon('warn') + esc(t('person.failed', { c: p.failed_channels.map((c) => t('chan.' + c)).join(', ') })) + '</span>');
    }
    if (p.answering_machine) bits.push('<span class="failed machine">' + icon('warn') + esc(t('person.machine')) + '</span>');
    let ans;
    if (p.answer) {
      ans = '<span class="answer answer-' + esc(p.answer) + '">' + icon(p.answer === 'available' ? 'ready' : p.answer === 'delayed' ? 'clock' : 'not_activated') +
        esc(t('answer.' + p.answer)) + (p.answered_at ? ' · ' + esc(hm(p.answered_at)) : '') + '</span>' +
        (p.eta ? '<span class="eta">' + esc(t('person.eta', { t: hm(p.eta) })) + '</span>' : '') +
        (p.eta_unknown ? '<span class="eta">' + esc(t('person.etaunknown')) + '</span>' : '') +
        (p.remark ? '<span class="remark">„' + esc(p.remark) + '“</span>' : '');
    } else if (p.alerted) ans = '<span class="answer answer-none">' + esc(t('person.noanswer')) + '</span>';
    else ans = '';
    return '<div class="person' + (p.deputy ? ' deputy' : '') + '" data-person="' + esc(p.person) + '"><div class="person-info">' +
      '<div class="person-main"><span class="person-name">' + esc(p.name || p.person) + '</span>' +
      (p.deputy ? '<span class="deputy-chip">' + esc(t('person.deputy')) + '</span>' : '') +
      '<span class="person-fn">' + esc(fnName(n.function)) + '</span>' +
      (p.mobile ? '<span class="phone">' + icon('phone') + esc(p.mobile) + '</span>' : '') + '</div>' +
      '<div class="person-state">' + ans + bits.join('') + '</div></div>' +
      (act ? '<button type="button" class="btn btn-small" data-respond="' + esc(p.person) + '" data-name="' + esc(p.name || p.person) +
        '" data-fn="' + esc(n.function) + '">' + esc(t('person.respond')) + '</button>' : '') + '</div>';
  }

  // ------------------------------------------------------------- actions ---
  class ApiError extends Error {
    constructor(status, code, message) { super(message); this.status = status; this.code = code; }
  }
  async function api(method, url, payload) {
    let r;
    try {
      r = await fetch(url, {
        method, credentials: 'same-origin', cache: 'no-store',
        headers: { 'Content-Type': 'application/json', 'Accept': 'application/json', 'X-CSRF-Token': S.csrf },
        body: payload === undefined ? undefined : JSON.stringify(payload),
      });
    } catch (e) { throw new ApiError(0, 'network', t('err.network')); }
    let j = null;
    try { j = await r.json(); } catch (_) { /* no body */ }
    if (!r.ok) {
      const e = j && j.error;
      let msg = e && e.message;
      if (r.status === 401) msg = t('err.session');
      else if (r.status === 403 && !msg) msg = t('err.forbidden');
      throw new ApiError(r.status, (e && e.code) || 'http_' + r.status, msg || t('err.generic', { status: r.status }));
    }
    return j;
  }
  function showError(id, err) {
    const el = $(id);
    if (!err) { el.hidden = true; el.textContent = ''; return; }
    el.textContent = err.message + (err.code && err.status ? ' (' + err.code + ')' : '');
    el.hidden = false;
  }
  let toastTimer = null;
  function toast(msg, kind) {
    const el = $('toast');
    el.textContent = msg;
    el.className = 'toast' + (kind ? ' toast-' + kind : '');
    el.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { el.hidden = true; }, 6000);
  }
  async function submitWith(btn, errId, fn) {
    if (btn.disabled) return;
    btn.disabled = true;
    showError(errId, null);
    try { await fn(); } catch (e) {
      showError(errId, e);
      if (e.status === 401) setTimeout(toLogin, 2500);
    } finally { btn.disabled = false; }
  }

  function openDeclare() {
    const sel = $('declare-scenario');
    sel.innerHTML = S.scenarios.map((s) => '<option value="' + esc(s.id) + '">' + esc(names(s.name) || s.id) + '</option>').join('');
    showError('declare-error', S.scenarios.length ? null : { message: t('declare.noscenarios') });
    $('declare-exercise').checked = true;
    $('declare-reason').value = '';
    $('declare-message').value = '';
    fillScenario();
    updateDeclareMode();
    $('declare-dialog').showModal();
  }
  function fillScenario() {
    const s = S.scenarios.find((x) => x.id === $('declare-scenario').value);
    if (!s) return;
    $('declare-title-input').value = names(s.name);
    if (s.severity) $('declare-severity').value = s.severity;
    const orgs = s.organisations || [];
    $('declare-orgs').innerHTML = orgs.length
      ? orgs.map((o) => '<label class="check org-check"><input type="checkbox" value="' + esc(o) + '" checked> ' + esc(o) + '</label>').join('')
      : '<span class="muted">' + esc(t('declare.allorgs')) + '</span>';
  }
  function updateDeclareMode() {
    const ex = $('declare-exercise').checked;
    $('declare-real-warning').hidden = ex;
    const b = $('declare-submit');
    b.textContent = t(ex ? 'declare.submit' : 'declare.submit.real');
    b.classList.toggle('btn-danger', !ex);
    b.classList.toggle('btn-primary', ex);
    $('declare-dialog').classList.toggle('real', !ex);
  }

  function bindActions() {
    if (!S.canAct) return;
    $('btn-declare').addEventListener('click', openDeclare);
    $('declare-scenario').addEventListener('change', fillScenario);
    $('declare-exercise').addEventListener('change', updateDeclareMode);
    // Live SMS counter: the server composes the alert and counts its parts.
    let smsTimer = null;
    function smsCount() {
      clearTimeout(smsTimer);
      smsTimer = setTimeout(async () => {
        const el = $('declare-sms');
        try {
          const r = await api('POST', '/api/v1/texts/sms', { scenario: $('declare-scenario').value,
            title: $('declare-title-input').value.trim(), message: $('declare-message').value.trim(),
            exercise: $('declare-exercise').checked || $('declare-drill').checked });
          el.textContent = t(r.fits ? 'sms.count' : 'sms.over', { n: r.segments, max: r.budget, chars: r.chars });
          el.classList.toggle('sms-over', !r.fits);
        } catch (_) { el.textContent = ''; }
      }, 250);
    }
    $('btn-declare').addEventListener('click', smsCount);
    ['declare-scenario', 'declare-title-input', 'declare-message', 'declare-exercise', 'declare-drill']
      .forEach((id) => { $(id).addEventListener('input', smsCount); $(id).addEventListener('change', smsCount); });
    $('declare-form').addEventListener('submit', (e) => {
      e.preventDefault();
      const scenario = $('declare-scenario').value;
      const reason = $('declare-reason').value.trim();
      const title = $('declare-title-input').value.trim();
      if (!scenario || !reason || !title) { showError('declare-error', { message: t('err.required') }); return; }
      const boxes = Array.from($('declare-orgs').querySelectorAll('input[type=checkbox]'));
      const chosen = boxes.filter((b) => b.checked).map((b) => b.value);
      if (boxes.length && !chosen.length) { showError('declare-error', { message: t('err.required') }); return; }
      const payload = {
        scenario, title, severity: $('declare-severity').value,
        organisations: chosen.length === boxes.length ? [] : chosen,
        exercise: $('declare-exercise').checked, declared_by: S.name, reason,
        message: $('declare-message').value.trim(),
      };
      if ($('declare-drill').checked) {
        payload.exercise = true;
        payload.drill = { announced: $('declare-drill-announced').checked, deputies_only: $('declare-drill-deputies').checked,
          target: (parseInt($('declare-drill-target').value, 10) || 30) + 'm' };
      }
      submitWith($('declare-submit'), 'declare-error', async () => {
        const res = await api('POST', '/api/v1/incidents', payload);
        $('declare-dialog').close();
        if (res && res.incident && !S.incidents.has(res.incident.id)) { S.incidents.set(res.incident.id, res.incident); sortOrder(); }
        if (res && res.incident_id) selectIncident(res.incident_id);
        toast(t('declare.done', { id: (res && res.incident_id) || '' }), 'ok');
      });
    });

    $('btn-update').addEventListener('click', () => {
      $('update-text').value = '';
      showError('update-error', null);
      $('update-dialog').showModal();
    });
    $('update-form').addEventListener('submit', (e) => {
      e.preventDefault();
      const inc = current();
      const text = $('update-text').value.trim();
      if (!inc || !text) { showError('update-error', { message: t('err.required') }); return; }
      submitWith($('update-submit'), 'update-error', async () => {
        await api('POST', '/api/v1/incidents/' + encodeURIComponent(inc.id) + '/updates', { text });
        $('update-dialog').close();
        toast(t('update.done'), 'ok');
      });
    });

    $('btn-standdown').addEventListener('click', () => {
      const inc = current();
      if (!inc) return;
      $('standdown-reason').value = '';
      $('standdown-confirm').checked = false;
      $('standdown-confirm-text').textContent = t('standdown.confirm', { id: inc.id });
      $('standdown-dialog').dataset.incident = inc.id;
      showError('standdown-error', null);
      $('standdown-dialog').showModal();
    });
    $('standdown-form').addEventListener('submit', (e) => {
      e.preventDefault();
      const id = $('standdown-dialog').dataset.incident;
      const reason = $('standdown-reason').value.trim();
      if (!id || !reason || !$('standdown-confirm').checked) { showError('standdown-error', { message: t('err.required') }); return; }
      submitWith($('standdown-submit'), 'standdown-error', async () => {
        await api('POST', '/api/v1/incidents/' + encodeURIComponent(id) + '/stand-down', { reason });
        $('standdown-dialog').close();
        toast(t('standdown.done', { id }), 'ok');
      });
    });

    $('detail-tree').addEventListener('click', (e) => {
      const b = e.target.closest('[data-respond]');
      if (!b || !S.detail) return;
      const dlg = $('respond-dialog');
      dlg.dataset.person = b.dataset.respond;
      dlg.dataset.name = b.dataset.name;
      dlg.dataset.incident = S.detail.incident;
      $('respond-person').textContent = t('respond.for', { name: b.dataset.name, fn: fnName(b.dataset.fn) });
      dlg.querySelector('input[value=available]').checked = true;
      $('respond-minutes').value = '30';
      showError('respond-error', null);
      dlg.showModal();
    });
    $('respond-minutes').addEventListener('focus', () => { $('respond-dialog').querySelector('input[value=delayed]').checked = true; });
    $('respond-form').addEventListener('submit', (e) => {
      e.preventDefault();
      const dlg = $('respond-dialog');
      const kind = (dlg.querySelector('input[name=kind]:checked') || {}).value;
      const payload = { person: dlg.dataset.person, kind };
      if (kind === 'delayed') {
        const m = parseInt($('respond-minutes').value, 10);
        if (!(m > 0)) { showError('respond-error', { message: t('err.required') }); return; }
        payload.minutes = m;
      }
      submitWith($('respond-submit'), 'respond-error', async () => {
        await api('POST', '/api/v1/incidents/' + encodeURIComponent(dlg.dataset.incident) + '/responses', payload);
        dlg.close();
        toast(t('respond.done', { name: dlg.dataset.name }), 'ok');
        refreshDetailSoon();
      });
    });
  }

  // ----------------------------------------------------------- chrome ---
  function selectIncident(id) {
    S.selected = id;
    history.replaceState(null, '', location.pathname + location.search + '#' + encodeURIComponent(id));
    S.dirtyAll = true;
    scheduleRender();
  }

  function setURLParam(k, v) {
    const u = new URL(location.href);
    if (v == null) u.searchParams.delete(k); else u.searchParams.set(k, v);
    history.replaceState(null, '', u.pathname + u.search + u.hash);
  }

  function applyLang() {
    document.documentElement.lang = S.lang;
    makeFormats();
    document.querySelectorAll('[data-i18n]').forEach((el) => { el.textContent = t(el.dataset.i18n); });
    const lt = $('lang-toggle');
    lt.textContent = t('lang.other');
    lt.setAttribute('aria-label', t('lang.other.label'));
    lt.lang = S.lang === 'en' ? 'de' : 'en';
    $('wall-toggle').textContent = t(S.wall ? 'wall.off' : 'wall.on');
    $('user-role').textContent = t('role.' + S.role);
    $('tiles').setAttribute('aria-label', S.lang === 'en' ? 'Ministries' : 'Ressorts');
    const a = $('actions');
    if (a) a.setAttribute('aria-label', S.lang === 'en' ? 'Actions' : 'Aktionen');
    document.title = 'Kaskade – ' + (S.lang === 'en' ? 'Situation board' : 'Lagebild');
    if (S.canAct && $('declare-dialog').open) updateDeclareMode();
    S.dirtyAll = true;
    S.staleShown = !S.staleShown; // force banner text refresh
    renderBanner();
    S.staleShown = S.conn === 'lost' && now() - S.lostSince >= BANNER_GRACE;
    if (S.detail) renderDetail();
    scheduleRender();
  }

  function setWall(on) {
    S.wall = on;
    document.documentElement.classList.toggle('wall', on);
    $('wall-toggle').setAttribute('aria-pressed', String(on));
    $('wall-toggle').textContent = t(on ? 'wall.off' : 'wall.on');
    setURLParam('wall', on ? '1' : null);
  }

  function bindChrome() {
    $('lang-toggle').addEventListener('click', () => {
      S.lang = S.lang === 'en' ? 'de' : 'en';
      setURLParam('lang', S.lang === 'en' ? 'en' : null);
      applyLang();
    });
    $('wall-toggle').addEventListener('click', () => setWall(!S.wall));
    $('incident-tabs').addEventListener('click', (e) => {
      const b = e.target.closest('[data-incident]');
      if (b) selectIncident(b.dataset.incident);
    });
    tilesEl.addEventListener('click', (e) => {
      const tile = e.target.closest('.tile');
      if (tile && tile.dataset.incident) openDetail(tile.dataset.incident, tile.dataset.org);
    });
    document.addEventListener('click', (e) => {
      const c = e.target.closest('[data-close]');
      if (c) { const d = c.closest('dialog'); if (d) d.close(); }
    });
    $('detail-dialog').addEventListener('close', () => { S.detail = null; clearTimeout(detailTimer); detailTimer = null; });
    // Logout via fetch keeps the CSRF token in a header; the form works without JS too.
    $('logout-form').addEventListener('submit', (e) => {
      e.preventDefault();
      fetch('/logout', { method: 'POST', credentials: 'same-origin', headers: { 'X-CSRF-Token': S.csrf } })
        .finally(() => { location.href = '/login' + (S.lang === 'en' ? '?lang=en' : ''); });
    });
    document.addEventListener('keydown', (e) => {
      if (e.target.closest('input, textarea, select, dialog')) return;
      if (e.key === 'w' && !e.ctrlKey && !e.metaKey && !e.altKey) setWall(!S.wall);
    });
    window.addEventListener('hashchange', () => {
      const id = decodeURIComponent(location.hash.slice(1));
      if (id && id !== S.selected) { S.selected = id; S.dirtyAll = true; scheduleRender(); }
    });
  }

  // ----------------------------------------------------------- proposals ---
  // Warnings become proposals outside the board's stream: the link's count
  // is polled, so an open board shows a new one without a reload.
  function refreshProposals() {
    const link = $('proposals-link');
    if (!link) return Promise.resolve();
    return fetch('/proposals/count', { credentials: 'same-origin', cache: 'no-store' })
      .then((r) => (r.ok ? r.json() : null))
      .then((d) => {
        if (!d || typeof d.open !== 'number') return;
        let badge = $('proposals-open');
        if (d.open === 0) { if (badge) badge.remove(); return; }
        if (!badge) {
          badge = document.createElement('span');
          badge.className = 'badge';
          badge.id = 'proposals-open';
          link.append(' ', badge);
        }
        badge.textContent = String(d.open);
      })
      .catch(() => {});
  }

  // --------------------------------------------------------------- start ---
  makeFormats();
  setWall(S.wall);
  applyLang();
  bindChrome();
  bindActions();
  connect();
  setInterval(tick, 1000);
  setInterval(refreshProposals, 15000);
  scheduleRender();

  // For tests and diagnostics.
  window.kaskade = { state: S, connect, render, refreshProposals };
})();
