package board

import (
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/kaskade-bcm/kaskade/activation"
	"github.com/kaskade-bcm/kaskade/config"
)

// fakeSource is a Source the tests drive by hand.
type fakeSource struct {
	mu        sync.Mutex
	incidents []activation.IncidentView
	scenarios []activation.ScenarioInfo
	details   map[[2]string]activation.OrgDetail
	subs      map[int]chan activation.Change
	nextSub   int
	seq       uint64
	bufSize   int
}

func newFakeSource(incs ...activation.IncidentView) *fakeSource {
	return &fakeSource{
		incidents: incs,
		scenarios: []activation.ScenarioInfo{
			{ID: "cyber", Name: activation.Names{DE: "Cyberangriff", EN: "Cyber attack"}, Severity: "crisis", Organisations: []string{"MI", "MF"}},
			{ID: "power", Name: activation.Names{DE: "Stromausfall", EN: "Power outage"}, Severity: "emergency"},
		},
		details: map[[2]string]activation.OrgDetail{},
		subs:    map[int]chan activation.Change{},
		bufSize: 4096,
	}
}

func (f *fakeSource) Incidents() []activation.IncidentView {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]activation.IncidentView, len(f.incidents))
	for i, inc := range f.incidents {
		inc.Organisations = slices.Clone(inc.Organisations)
		out[i] = inc
	}
	return out
}

func (f *fakeSource) Detail(incident, org string) (activation.OrgDetail, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if d, ok := f.details[[2]string{incident, org}]; ok {
		for _, inc := range f.incidents {
			for _, o := range inc.Organisations {
				if inc.ID == incident && o.Org == org {
					d.Readiness = o
				}
			}
		}
		return d, true
	}
	return activation.OrgDetail{}, false
}

func (f *fakeSource) Scenarios() []activation.ScenarioInfo {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.scenarios)
}

func (f *fakeSource) Subscribe() (<-chan activation.Change, func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	id := f.nextSub
	f.nextSub++
	ch := make(chan activation.Change, f.bufSize)
	f.subs[id] = ch
	return ch, func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		if c, ok := f.subs[id]; ok {
			delete(f.subs, id)
			close(c)
		}
	}
}

func (f *fakeSource) subscribers() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.subs)
}

// dropAll closes every subscription, as the real source does with slow ones.
func (f *fakeSource) dropAll() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for id, c := range f.subs {
		delete(f.subs, id)
		close(c)
	}
}

// publishLocked numbers ch and sends it to every subscriber; a full
// subscriber is dropped.
func (f *fakeSource) publishLocked(ch activation.Change) activation.Change {
	f.seq++
	ch.Seq = f.seq
	for id, c := range f.subs {
		select {
		case c <- ch:
		default:
			delete(f.subs, id)
			close(c)
		}
	}
	return ch
}

// setReadiness replaces one organisation's readiness and publishes it.
func (f *fakeSource) setReadiness(r activation.OrgReadiness) activation.Change {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := range f.incidents {
		if f.incidents[i].ID != r.Incident {
			continue
		}
		orgs := f.incidents[i].Organisations
		j := slices.IndexFunc(orgs, func(o activation.OrgReadiness) bool { return o.Org == r.Org })
		if j < 0 {
			f.incidents[i].Organisations = append(orgs, r)
		} else {
			orgs[j] = r
		}
	}
	rc := r
	return f.publishLocked(activation.Change{Kind: activation.ChangeReadiness, IncidentID: r.Incident, Readiness: &rc})
}

// readiness returns the current readiness of one organisation.
func (f *fakeSource) readiness(incident, org string) activation.OrgReadiness {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, inc := range f.incidents {
		for _, o := range inc.Organisations {
			if inc.ID == incident && o.Org == org {
				return o
			}
		}
	}
	panic("no such org " + incident + "/" + org)
}

func (f *fakeSource) setState(incident, org string, state activation.ReadinessState, at time.Time) activation.Change {
	r := f.readiness(incident, org)
	r.State = state
	r.ChangedAt = at
	if state == activation.Ready {
		r.ReadyAt = &at
		r.Covered = r.Required
		r.Missing = nil
	}
	return f.setReadiness(r)
}

func (f *fakeSource) timeline(incident string, item activation.TimelineItem) activation.Change {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.publishLocked(activation.Change{Kind: activation.ChangeTimeline, IncidentID: incident, Timeline: &item})
}

func (f *fakeSource) putIncident(inc activation.IncidentView) activation.Change {
	f.mu.Lock()
	defer f.mu.Unlock()
	i := slices.IndexFunc(f.incidents, func(x activation.IncidentView) bool { return x.ID == inc.ID })
	if i < 0 {
		f.incidents = append([]activation.IncidentView{inc}, f.incidents...)
	} else {
		f.incidents[i] = inc
	}
	c := inc
	return f.publishLocked(activation.Change{Kind: activation.ChangeIncident, IncidentID: inc.ID, Incident: &c})
}

// fakeAuth maps tokens to users.
type fakeAuth struct {
	mu     sync.Mutex
	tokens map[string]fakeUser
}

type fakeUser struct {
	name string
	role config.Role
}

const (
	viewerToken = "view-token-123"
	dutyToken   = "duty-token-456"
	adminToken  = "admin-token-789"
)

func newFakeAuth() *fakeAuth {
	return &fakeAuth{tokens: map[string]fakeUser{
		viewerToken: {"Lagezentrum Wand", config.RoleViewer},
		dutyToken:   {"Anna Lagedienst", config.RoleDutyOfficer},
		adminToken:  {"Admin", config.RoleAdmin},
	}}
}

func (a *fakeAuth) Authenticate(token string) (string, config.Role, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	u, ok := a.tokens[token]
	return u.name, u.role, ok
}

func (a *fakeAuth) revoke(token string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.tokens, token)
}

// --- fixtures ---------------------------------------------------------------

var stdRequired = map[string]int{"lead": 1, "it": 1, "personnel": 1, "facilities": 1, "communication": 1, "protocol": 1}

var ministries = []struct{ id, de, en string }{
	{"StK", "Staatskanzlei", "State Chancellery"},
	{"MI", "Ministerium für Inneres, Sport und Digitalisierung", "Ministry of the Interior, Sport and Digitalisation"},
	{"MF", "Finanzministerium", "Ministry of Finance"},
	{"MS", "Ministerium für Soziales, Arbeit, Gesundheit und Gleichstellung", "Ministry of Social Affairs, Labour, Health and Equality"},
	{"MK", "Kultusministerium", "Ministry of Education"},
	{"MWK", "Ministerium für Wissenschaft und Kultur", "Ministry of Science and Culture"},
	{"MW", "Ministerium für Wirtschaft, Verkehr und Bauen", "Ministry of Economy, Transport and Building"},
	{"ML", "Ministerium für Ernährung, Landwirtschaft und Verbraucherschutz", "Ministry of Food, Agriculture and Consumer Protection"},
	{"MJ", "Justizministerium", "Ministry of Justice"},
	{"MU", "Ministerium für Umwelt, Energie und Klimaschutz", "Ministry of Environment, Energy and Climate Protection"},
	{"MB", "Ministerium für Bundes- und Europaangelegenheiten und Regionale Entwicklung", "Ministry of Federal and European Affairs and Regional Development"},
}

func orgNames(id string) activation.Names {
	for _, m := range ministries {
		if m.id == id {
			return activation.Names{DE: m.de, EN: m.en}
		}
	}
	return activation.Names{DE: id, EN: id}
}

// simpleIncident has the given organisations, all alerting.
func simpleIncident(id string, declared time.Time, orgs ...string) activation.IncidentView {
	inc := activation.IncidentView{
		ID: id, ReplyCode: id, Scenario: "cyber",
		ScenarioName: activation.Names{DE: "Cyberangriff", EN: "Cyber attack"},
		Title:        "Cyberangriff auf das Landesnetz", Severity: "crisis", Exercise: true,
		DeclaredBy: "Anna Lagedienst", Reason: "Verschlüsselungstrojaner im Landesdatennetz gemeldet",
		DeclaredAt: declared, Status: "open",
	}
	for _, o := range orgs {
		inc.Organisations = append(inc.Organisations, activation.OrgReadiness{
			Incident: id, Org: o, Name: orgNames(o), State: activation.Alerting,
			ActivatedAt: declared, Deadline: declared.Add(30 * time.Minute), TargetSeconds: 1800, ChangedAt: declared,
			Required: stdRequired, Covered: map[string]int{}, Missing: sortedKeys(stdRequired), People: 9,
		})
	}
	return inc
}

func sortedKeys(m map[string]int) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// exampleExercise is a realistic exercise 19 minutes in: eleven ministries in
// mixed states, for the screenshot and the browser tests.
func exampleExercise(now time.Time) (activation.IncidentView, map[[2]string]activation.OrgDetail) {
	declared := now.Add(-19*time.Minute - 40*time.Second)
	all := make([]string, len(ministries))
	for i, m := range ministries {
		all[i] = m.id
	}
	inc := simpleIncident("K7", declared, all...)
	inc.Title = "Übung Cyberangriff – Ausfall Landesdatennetz"
	inc.Reason = "Jährliche Alarmierungsübung nach BSI 200-4, angekündigt im Ressortkreis"
	inc.Counts = activation.NotifyCounts{Requested: 112, Sent: 110, Delivered: 104, Failed: 3, Unknown: 1, Responses: 71}
	inc.Updates = []activation.UpdateView{{At: declared.Add(12 * time.Minute), By: "Anna Lagedienst", Text: "Landesdatennetz weiterhin gestört; Stabsräume über Notstrom versorgt."}}
	eta := func(m int) *time.Time { t := now.Add(time.Duration(m) * time.Minute); return &t }
	at := func(m int) time.Time { return declared.Add(time.Duration(m) * time.Minute) }
	cover := func(fs ...string) map[string]int {
		c := map[string]int{}
		for _, f := range fs {
			c[f] = 1
		}
		return c
	}
	missing := func(c map[string]int) []string {
		var m []string
		for _, k := range sortedKeys(stdRequired) {
			if c[k] < stdRequired[k] {
				m = append(m, k)
			}
		}
		return m
	}
	set := func(org string, st activation.ReadinessState, changed time.Time, cov map[string]int, coming int, latest *time.Time, avail, unavail, notified int) {
		for i := range inc.Organisations {
			o := &inc.Organisations[i]
			if o.Org != org {
				continue
			}
			o.State, o.ChangedAt, o.Covered, o.Missing = st, changed, cov, missing(cov)
			o.Coming, o.LatestETA, o.Available, o.Unavailable, o.Notified = coming, latest, avail, unavail, notified
			if st == activation.Ready {
				r := changed
				o.ReadyAt = &r
			}
			if st == activation.NotActivated {
				o.ActivatedAt, o.Deadline, o.ChangedAt = time.Time{}, time.Time{}, time.Time{}
				o.Notified = 0
			}
		}
	}
	full := cover("lead", "it", "personnel", "facilities", "communication", "protocol")
	set("StK", activation.Ready, at(11), full, 0, nil, 7, 0, 8)
	set("MI", activation.Ready, at(14), full, 1, eta(6), 6, 1, 9)
	set("MF", activation.Forming, at(17), cover("lead", "it", "personnel", "protocol"), 2, eta(14), 4, 0, 9)
	set("MS", activation.Alerting, at(2), cover(), 0, nil, 0, 0, 9)
	set("MK", activation.Forming, at(18), cover("lead", "communication", "facilities"), 3, eta(9), 3, 1, 9)
	set("MWK", activation.AtRisk, at(16), cover("lead", "personnel"), 1, eta(25), 2, 2, 9)
	set("MW", activation.Degraded, at(15), cover("lead", "it", "personnel", "facilities", "protocol"), 0, nil, 5, 1, 9)
	set("ML", activation.Ready, at(9), full, 0, nil, 8, 0, 9)
	set("MJ", activation.Forming, at(19), cover("lead", "it", "facilities", "communication", "protocol"), 1, eta(4), 5, 0, 9)
	set("MU", activation.Alerting, at(1), cover("lead"), 1, eta(18), 1, 0, 9)
	set("MB", activation.NotActivated, time.Time{}, cover(), 0, nil, 0, 0, 0)
	// MWK was activated later (second wave) and is already over its target.
	for i := range inc.Organisations {
		o := &inc.Organisations[i]
		switch o.Org {
		case "MWK":
			o.TargetSeconds = 900
			o.Deadline = o.ActivatedAt.Add(15 * time.Minute)
		case "MU":
			o.ActivatedAt = at(1)
			o.Deadline = o.ActivatedAt.Add(30 * time.Minute)
		}
	}

	details := map[[2]string]activation.OrgDetail{}
	p := func(id, name string, deputy bool, alerted *time.Time, notif string, ans activation.ResponseKind, answered *time.Time, etaT *time.Time, failed ...string) activation.PersonView {
		return activation.PersonView{Person: id, Name: name, Deputy: deputy, Alerted: alerted != nil, AlertedAt: alerted,
			Notification: notif, FailedChans: failed, Answer: ans, AnsweredAt: answered, ETA: etaT, MobileMasked: "+49 151 •••• " + fmt.Sprintf("%04d", len(id)*137%10000)}
	}
	tp := func(m int) *time.Time { t := at(m); return &t }
	details[[2]string{"K7", "MF"}] = activation.OrgDetail{
		Nodes: []activation.NodeView{
			{Index: 0, Parent: -1, Depth: 0, Function: "lead", State: "acknowledged", Tiers: []activation.PersonView{
				p("mf-lead", "Dr. Petra Hansen", false, tp(0), "delivered", activation.Available, tp(3), nil)}},
			{Index: 1, Parent: 0, Depth: 1, Function: "it", State: "acknowledged", Tiers: []activation.PersonView{
				p("mf-it", "Jonas Meyer", false, tp(3), "delivered", activation.Available, tp(5), nil)}},
			{Index: 2, Parent: 0, Depth: 1, Function: "communication", State: "alerting", Tiers: []activation.PersonView{
				p("mf-comm", "Sabine Krüger", false, tp(3), "failed", "", nil, nil, "sms"),
				p("mf-comm-d", "Tobias Wolf", true, tp(13), "delivered", activation.Delayed, tp(15), eta(14))}},
			{Index: 3, Parent: 0, Depth: 1, Function: "facilities", State: "alerting", Tiers: []activation.PersonView{
				p("mf-fac", "Murat Yilmaz", false, tp(3), "delivered", activation.Delayed, tp(8), eta(6))}},
			{Index: 4, Parent: 1, Depth: 2, Function: "protocol", State: "acknowledged", Tiers: []activation.PersonView{
				p("mf-prot", "Lena Schulz", false, tp(5), "delivered", activation.Available, tp(9), nil)}},
			{Index: 5, Parent: 1, Depth: 2, Function: "personnel", State: "acknowledged", Tiers: []activation.PersonView{
				p("mf-pers", "Heike Brandt", false, tp(5), "delivered", activation.Unavailable, tp(6), nil),
				p("mf-pers-d", "Olaf Peters", true, tp(6), "delivered", activation.Available, tp(10), nil)}},
		},
		Timeline: []activation.TimelineItem{
			{At: at(0), Kind: "declared", Summary: "ÜBUNG ausgerufen durch Anna Lagedienst: Cyberangriff"},
			{At: at(0), Kind: "activation", Org: "MF", Summary: "Alarmierungskette MF gestartet"},
			{At: at(3), Kind: "response", Org: "MF", Person: "mf-lead", Summary: "Dr. Petra Hansen (Stabsleitung): komme"},
			{At: at(4), Kind: "notification_failed", Org: "MF", Person: "mf-comm", Summary: "SMS an Sabine Krüger nicht zustellbar"},
			{At: at(6), Kind: "response", Org: "MF", Person: "mf-pers", Summary: "Heike Brandt (Personal): nicht verfügbar – Vertretung alarmiert"},
			{At: at(12), Kind: "update", Summary: "Lagemeldung: Landesdatennetz weiterhin gestört"},
			{At: at(13), Kind: "escalation", Org: "MF", Person: "mf-comm-d", Summary: "Keine Rückmeldung von Sabine Krüger – Vertretung Tobias Wolf alarmiert"},
			{At: at(15), Kind: "response", Org: "MF", Person: "mf-comm-d", Summary: "Tobias Wolf (Kommunikation): komme in 14 Minuten"},
		},
	}
	details[[2]string{"K7", "MI"}] = activation.OrgDetail{
		Nodes: []activation.NodeView{
			{Index: 0, Parent: -1, Depth: 0, Function: "lead", State: "acknowledged", Tiers: []activation.PersonView{
				p("mi-lead", "Klaus Becker", false, tp(0), "delivered", activation.Available, tp(2), nil)}},
			{Index: 1, Parent: 0, Depth: 1, Function: "it", State: "alerting", Tiers: []activation.PersonView{
				p("mi-it", "Eva Richter", false, tp(2), "sent", "", nil, nil)}},
		},
		Timeline: []activation.TimelineItem{{At: at(0), Kind: "activation", Org: "MI", Summary: "Alarmierungskette MI gestartet"}},
	}
	return inc, details
}
