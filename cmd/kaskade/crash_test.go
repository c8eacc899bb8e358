package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/kaskade-bcm/kaskade/activation"
	"github.com/kaskade-bcm/kaskade/activation/audit"
	"github.com/kaskade-bcm/kaskade/activation/engine"
	"github.com/kaskade-bcm/kaskade/cmd/internal/natsd"
	"github.com/kaskade-bcm/kaskade/cmd/internal/natsd/natstest"
	"github.com/kaskade-bcm/kaskade/internal/e2e"
	"github.com/kaskade-bcm/kaskade/notifiers"
	"github.com/kaskade-bcm/kaskade/notifiers/twilio/twiliotest"
)

// The crash harness: a real kaskade process is killed with SIGKILL at random
// moments during fan-out and escalation while signed SMS replies stream in,
// and restarted on the same data directory each time. Then it checks that
// nothing acknowledged was lost, that escalations happened per policy (none
// lost, none early), and that duplicate SMS stay within the sends in flight
// at the kills. KASKADE_CRASH_PEOPLE (default 400) and KASKADE_CRASH_KILLS
// (default 20) size it; KASKADE_CRASH_DIR keeps its directory (serve.log);
// KASKADE_CRASH_SEED replays the kill timing of a logged run;
// KASKADE_CRASH_SNAPSHOT_EVERY sets the snapshot interval (-1: none, every
// restart replays the whole log); `make crash-full` runs the 10,000-person version.
func TestCrashHarness(t *testing.T) {
	e2e.Long(t)
	if testing.Short() {
		t.Skip("crash harness skipped in -short mode")
	}
	people := envInt("KASKADE_CRASH_PEOPLE", 400)
	kills := envInt("KASKADE_CRASH_KILLS", 20)
	const wait = 3 * time.Second // node wait before the deputy
	// KASKADE_CRASH_SNAPSHOT_EVERY overrides the snapshot interval (-1: none,
	// so every restart replays the whole log).
	snapshotEvery := max(400, people/4)
	if n, err := strconv.Atoi(os.Getenv("KASKADE_CRASH_SNAPSHOT_EVERY")); err == nil && n != 0 {
		snapshotEvery = n
	}

	dir := t.TempDir()
	if keep := os.Getenv("KASKADE_CRASH_DIR"); keep != "" {
		dir = keep // kept for a look at serve.log afterwards; must be new or empty
		if entries, _ := os.ReadDir(dir); len(entries) > 0 {
			t.Fatalf("KASKADE_CRASH_DIR %s is not empty", dir)
		}
	}
	bin := filepath.Join(dir, "kaskade")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	seed := crashSeed(t)
	h := &harness{t: t, rng: rand.New(rand.NewPCG(1, seed)), snapshots: snapshotEvery > 0}
	h.fake = twiliotest.NewServer(twiliotest.Options{CallbackWorkers: 4, OnMessage: h.onMessage, Latency: 40 * time.Millisecond})
	api := httptest.NewServer(h.fake)
	defer api.Close()
	httpPort, natsPort := freePort(t), freePort(t)
	h.base = fmt.Sprintf("http://127.0.0.1:%d", httpPort)
	cfg := filepath.Join(dir, "kaskade.yaml")
	if err := os.WriteFile(cfg, []byte(crashConfig(people, wait, h.fake.AccountSID(), api.URL)), 0o600); err != nil {
		t.Fatal(err)
	}
	h.dataDir = filepath.Join(dir, "data")
	h.args = []string{"serve", "--config", cfg, "--data", h.dataDir, "--http", fmt.Sprintf("127.0.0.1:%d", httpPort),
		"--nats-listen", fmt.Sprintf("127.0.0.1:%d", natsPort), "--public-url", h.base, "--log-format", "json",
		// Frequent snapshots (every 400 log messages at the CI size, every
		// 2,500 with 10,000 people; packs make a message of many events):
		// most restarts restore one and replay a tail, and the kills also
		// hit snapshots being taken and stored.
		"--snapshot-every", strconv.Itoa(snapshotEvery)}
	// The embedded NATS serves TLS, as in production: authentication and TLS on.
	h.ca = natstest.NewCA(t)
	cert, key := h.ca.Server()
	h.args = append(h.args, "--nats-tls-cert", cert, "--nats-tls-key", key)
	h.bin, h.env = bin, append(os.Environ(), "KASKADE_TEST_TWILIO_TOKEN="+h.fake.AuthToken())
	h.logPath = filepath.Join(dir, "serve.log")
	h.start()
	defer h.stop()
	token, _ := os.ReadFile(filepath.Join(dir, "data", "admin.token"))
	h.token = strings.TrimSpace(string(token))
	if code := h.post("/api/v1/incidents", `{"scenario":"cyberangriff","reason":"Crash-Test","exercise":true}`); code != 201 {
		t.Fatalf("declare: %d", code)
	}
	ctx, cancel := context.WithCancel(context.Background())
	repliers := h.startReplies(ctx)

	// Kill early (during fan-out) and then at random moments (escalation).
	for i := range kills {
		pause := time.Duration(150+h.intn(900)) * time.Millisecond
		if i == 0 {
			pause = 30 * time.Millisecond
		}
		time.Sleep(pause)
		h.kill()
		h.start()
	}
	// Let the trees finish: at least depth × (wait of two tiers), and until
	// the log has been quiet for two waits.
	h.settle(natsPort, 5*wait, max(2*wait, 15*time.Second))
	cancel()
	repliers.Wait()
	h.settle(natsPort, 0, time.Second) // the last acknowledged replies' events

	events := h.events(natsPort)
	h.verify(events, wait)
}

type harness struct {
	t         *testing.T
	rng       *rand.Rand
	snapshots bool // restarts are expected to restore snapshots
	rngMu     sync.Mutex
	fake      *twiliotest.Server
	ca        *natstest.CA // the embedded NATS serves TLS with its certificate
	base      string
	token     string

	bin, logPath string
	dataDir      string
	args, env    []string
	cmd          *exec.Cmd

	mu        sync.Mutex
	pending   []twiliotest.Message // alerts to answer
	acked     map[string]activation.ResponseKind
	inFlight  int64
	restarts  []time.Duration
	killCount int
}

func (h *harness) intn(n int) int {
	h.rngMu.Lock()
	defer h.rngMu.Unlock()
	return h.rng.IntN(n)
}

// crashSeed is KASKADE_CRASH_SEED or a new random seed; it is logged so a
// failure's kill and reply timing can be replayed.
func crashSeed(t *testing.T) uint64 {
	seed := uint64(time.Now().UnixNano())
	if v := os.Getenv("KASKADE_CRASH_SEED"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("KASKADE_CRASH_SEED=%q: %v", v, err)
		}
		seed = n
	}
	t.Logf("crash harness seed %d (replay: KASKADE_CRASH_SEED=%d KASKADE_E2E=1 go test -run TestCrashHarness ./cmd/kaskade)", seed, seed)
	return seed
}

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}

func (h *harness) start() {
	h.t.Helper()
	log, err := os.OpenFile(h.logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		h.t.Fatal(err)
	}
	cmd := exec.Command(h.bin, h.args...)
	cmd.Env, cmd.Stdout, cmd.Stderr = h.env, log, log
	began := time.Now()
	if err := cmd.Start(); err != nil {
		h.t.Fatal(err)
	}
	h.cmd = cmd
	for {
		resp, err := http.Get(h.base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Since(began) > 30*time.Second {
			h.t.Fatalf("kaskade did not become ready; see %s", h.logPath)
		}
		time.Sleep(5 * time.Millisecond)
	}
	h.mu.Lock()
	h.restarts = append(h.restarts, time.Since(began))
	h.mu.Unlock()
}

func (h *harness) kill() {
	h.mu.Lock()
	h.inFlight += h.fake.Stats().InFlight
	h.killCount++
	h.mu.Unlock()
	_ = h.cmd.Process.Kill()
	_ = h.cmd.Wait()
}

func (h *harness) stop() {
	if h.cmd != nil && h.cmd.ProcessState == nil {
		_ = h.cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = h.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = h.cmd.Process.Kill()
		}
	}
}

func (h *harness) post(path, body string) int {
	req, _ := http.NewRequest("POST", h.base+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+h.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

func (h *harness) onMessage(m twiliotest.Message) {
	h.mu.Lock()
	h.pending = append(h.pending, m)
	h.mu.Unlock()
}

// startReplies answers about 60 % of alerts with signed SMS, like staff.
func (h *harness) startReplies(ctx context.Context) *sync.WaitGroup {
	h.acked = map[string]activation.ResponseKind{}
	answered := map[string]bool{}
	var wg sync.WaitGroup
	wg.Go(func() {
		for ctx.Err() == nil {
			h.mu.Lock()
			batch := h.pending
			h.pending = nil
			h.mu.Unlock()
			for _, m := range batch {
				if answered[m.To] {
					continue
				}
				answered[m.To] = true
				x := h.intn(10)
				body, kind := "", activation.ResponseKind("")
				switch {
				case x < 4:
					body, kind = "1", activation.Available
				case x < 5:
					body, kind = "2 15", activation.Delayed
				case x < 6:
					body, kind = "3", activation.Unavailable
				default:
					continue // silent: escalation must cover it
				}
				wg.Go(func() { h.reply(ctx, m.To, body+" K1", kind) })
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
	return &wg
}

// reply sends until Kaskade acknowledges (a 200 with TwiML), as long as the run lasts.
func (h *harness) reply(ctx context.Context, from, body string, kind activation.ResponseKind) {
	for ctx.Err() == nil {
		resp, err := h.fake.SendInbound(ctx, h.base+"/webhooks/twilio/sms", from, "+15005550006", body)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				h.mu.Lock()
				h.acked[from] = kind
				h.mu.Unlock()
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// settle waits at least min and until the event log stayed unchanged for quiet.
func (h *harness) settle(natsPort int, least, quiet time.Duration) {
	nc, err := h.connect(natsPort)
	if err != nil {
		h.t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	began, last, since := time.Now(), uint64(0), time.Now()
	for time.Since(began) < 5*time.Minute {
		if s, err := js.Stream(context.Background(), "KASKADE_EVENTS"); err == nil {
			if info, err := s.Info(context.Background()); err == nil && info.State.LastSeq != last {
				last, since = info.State.LastSeq, time.Now()
			}
		}
		if time.Since(began) >= least && time.Since(since) >= quiet {
			return
		}
		time.Sleep(500 * time.Millisecond)
	}
}

func (h *harness) events(natsPort int) []activation.Event {
	h.t.Helper()
	nc, err := h.connect(natsPort)
	if err != nil {
		h.t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	ctx := context.Background()
	stream, err := js.Stream(ctx, "KASKADE_EVENTS")
	if err != nil {
		h.t.Fatal(err)
	}
	info, _ := stream.Info(ctx)
	cons, err := stream.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{})
	if err != nil {
		h.t.Fatal(err)
	}
	it, _ := cons.Messages()
	defer it.Stop()
	var out []activation.Event
	opener := engine.New(engine.Options{JS: js}) // opens the sealed fields
	for read := uint64(0); read < info.State.Msgs; read++ {
		m, err := it.Next()
		if err != nil {
			h.t.Fatal(err)
		}
		var ev activation.Event
		if err := json.Unmarshal(m.Data(), &ev); err != nil {
			h.t.Fatal(err)
		}
		for _, in := range ev.Unpacked() { // a pack holds several
			opener.Open(ctx, &in)
			out = append(out, in)
		}
	}
	// The kills left the hash chain whole (issue 19).
	if res, err := audit.VerifyStream(ctx, js, "KASKADE_EVENTS", audit.Checkpoint{}); err != nil || res.Break != nil || res.Unchained != 0 {
		h.t.Fatalf("hash chain after the kills: %+v %v", res, err)
	}
	return out
}

func (h *harness) verify(events []activation.Event, wait time.Duration) {
	t := h.t
	mobiles := map[string]string{} // mobile → person
	var plan activation.Plan
	plans := map[string]activation.Plan{}
	answers := map[string][]activation.Event{}
	tiers := map[[3]int]activation.Event{} // org index, node, tier
	orgIndex := map[string]int{}
	requested, unknown := 0, 0
	reported := map[string]bool{}
	var notes []string
	kinds := map[string]int{}
	for _, e := range events {
		kinds[e.Kind]++
		switch e.Kind {
		case activation.KindNotification:
			requested++
			notes = append(notes, e.Notification.ID)
		case activation.KindDelivery:
			reported[e.Delivery.Notification] = true
			if e.Delivery.State == "unknown" {
				unknown++
			}
		case activation.KindActivationStarted:
			plan = *e.Activation
			orgIndex[plan.Org] = len(orgIndex)
			plans[plan.Org] = plan
		case activation.KindResponse:
			answers[e.Response.Person] = append(answers[e.Response.Person], e)
		case activation.KindTierAlerted:
			tiers[[3]int{orgIndex[e.Tier.Org], e.Tier.Node, e.Tier.Tier}] = e
		}
	}
	for _, p := range plans {
		for _, n := range p.Nodes {
			for _, person := range n.People {
				i, _ := strconv.Atoi(strings.TrimPrefix(person, "p"))
				mobiles[crashMobile(i)] = person
			}
		}
	}
	// 1. Every acknowledged reply is reflected.
	lost := 0
	for mobile, kind := range h.acked {
		p := mobiles[mobile]
		if !slices.ContainsFunc(answers[p], func(e activation.Event) bool { return e.Response.Kind == kind }) {
			lost++
			t.Errorf("acknowledged reply %s from %s lost", kind, p)
		}
	}
	// 2. Escalation per policy: a node whose primary said nothing positive
	// within the wait has its deputy alerted — not before the wait unless
	// the primary declined or could not be reached.
	missing, early, nodes := 0, 0, 0
	for org, p := range plans {
		oi := orgIndex[org]
		for n, node := range p.Nodes {
			primary, ok := tiers[[3]int{oi, n, 0}]
			if !ok {
				missing++
				t.Errorf("%s node %d never alerted (cascade lost)", org, n)
				continue
			}
			nodes++
			deputy, alerted := tiers[[3]int{oi, n, 1}]
			positiveInTime := false
			for _, a := range answers[node.People[0]] {
				if (a.Response.Kind == activation.Available || a.Response.Kind == activation.Delayed) && a.At.Before(primary.At.Add(wait)) {
					positiveInTime = true
				}
			}
			if !positiveInTime && !alerted {
				missing++
				t.Errorf("%s node %d: primary silent, deputy never alerted", org, n)
			}
			if alerted && deputy.Tier.Reason == "timeout" && deputy.At.Before(primary.At.Add(wait)) {
				early++
				t.Errorf("%s node %d: deputy alerted %v after the primary, before the wait", org, n, deputy.At.Sub(primary.At))
			}
		}
	}
	// 3. Every requested notification was sent, failed, or recorded unknown.
	unsent := 0
	for _, id := range notes {
		if !reported[id] {
			unsent++
		}
	}
	if unsent > 0 {
		t.Errorf("%d of %d requested notifications have no outcome (never handed to a provider)", unsent, requested)
	}
	// 4. Duplicate SMS per attempt.
	perAttempt := map[string]int{}
	for _, m := range h.fake.Messages() {
		if u, err := url.Parse(m.StatusCallback); err == nil {
			perAttempt[u.Query().Get("n")]++
		}
	}
	// 5. Every person alerted got the first alert: unknown attempts were
	// reconciled with the fake (recorded as sent, or sent then).
	fa := firstAlerts(events, perAttempt)
	for _, id := range fa.neverSent {
		t.Errorf("first alert %s never reached the fake: a person left without a first alert", id)
	}
	serveLog, _ := os.ReadFile(h.logPath)
	t.Logf("first alerts: requested %d, still unknown %d, never sent %d; unknown attempts reconciled: found at the fake %d, "+
		"sent after the lookup %d", fa.requested, fa.unknown, len(fa.neverSent), fa.reconciled,
		strings.Count(string(serveLog), `"msg":"unknown attempt not at the provider; sending it now"`))
	dups := 0
	for _, n := range perAttempt {
		dups += n - 1
	}
	if int64(dups) > h.inFlight {
		t.Errorf("duplicate SMS %d exceed the sends in flight at the kills (%d)", dups, h.inFlight)
	}
	slices.Sort(h.restarts)
	t.Logf("events by kind: %v", kinds)
	t.Logf("crash harness: %d people, %d kills, %d events, %d nodes checked; acknowledged replies %d, lost %d; "+
		"escalations missing %d, early %d; notifications requested %d, SMS accepted by the fake %d, marked unknown after a crash %d, "+
		"duplicate %d (in flight at kills %d); restart to serving median %v, max %v",
		len(mobiles), h.killCount, len(events), nodes, len(h.acked), lost, missing, early, requested, len(h.fake.Messages()), unknown, dups, h.inFlight,
		h.restarts[len(h.restarts)/2].Round(time.Millisecond), h.restarts[len(h.restarts)-1].Round(time.Millisecond))
	if len(h.acked) == 0 || nodes == 0 {
		t.Fatal("the harness exercised nothing")
	}
	restored := strings.Count(string(serveLog), `"msg":"snapshot restored"`)
	var replays []time.Duration
	for line := range strings.Lines(string(serveLog)) {
		var rec struct {
			Msg  string `json:"msg"`
			Took int64  `json:"took"`
		}
		if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "event log replayed" {
			replays = append(replays, time.Duration(rec.Took))
		}
	}
	slices.Sort(replays)
	if len(replays) > 0 {
		t.Logf("restarts that restored a snapshot: %d of %d; snapshot + replay median %v, max %v", restored, len(h.restarts),
			replays[len(replays)/2].Round(time.Millisecond), replays[len(replays)-1].Round(time.Millisecond))
	}
	if restored == 0 && h.snapshots {
		t.Error("no restart restored a snapshot: the harness did not exercise them")
	}
}

// firstAlertCount sums up the first alert (step 0) of every tier alerted.
type firstAlertCount struct {
	requested, unknown, reconciled int
	neverSent                      []string
}

func firstAlerts(events []activation.Event, accepted map[string]int) firstAlertCount {
	var c firstAlertCount
	final := map[string]notifiers.State{}
	var ids []string
	for _, e := range events {
		switch {
		case e.Kind == activation.KindNotification && e.Notification.Purpose == notifiers.PurposeAlert && e.Notification.Step == 0:
			ids = append(ids, e.Notification.ID)
		case e.Kind == activation.KindDelivery:
			if st := e.Delivery.State; st.Rank() > final[e.Delivery.Notification].Rank() {
				final[e.Delivery.Notification] = st
			}
			if strings.HasPrefix(e.Delivery.Detail, "found at Twilio") {
				c.reconciled++
			}
		}
	}
	c.requested = len(ids)
	for _, id := range ids {
		if final[id] == notifiers.StateUnknown {
			c.unknown++
		}
		if accepted[id] == 0 {
			c.neverSent = append(c.neverSent, id)
		}
	}
	return c
}

func crashMobile(i int) string { return fmt.Sprintf("+49151%08d", 10000+i) }

// crashConfig generates organisations of 50 people: a tree of 25 nodes, three
// levels deep (1 + 4 + 20), each with a primary and a deputy.
func crashConfig(people int, wait time.Duration, sid, apiURL string) string {
	var b strings.Builder
	fmt.Fprintf(&b, `version: 1
channels:
  console: {disabled: true}
  twilio: {account_sid: %s, auth_token: {env: KASKADE_TEST_TWILIO_TOKEN}, from: "+15005550006", api_url: %s, concurrency: 100}
functions: [{id: lead, name: {de: Stabsleitung, en: Head}}, {id: member, name: {de: Mitglied, en: Member}}]
policies:
  - {id: p, wait: %s, steps: [{channel: sms, after: 0s}, {channel: sms, after: 2s}]}
scenarios:
  - id: cyberangriff
    name: {de: Cyberangriff, en: Cyber attack}
    severity: emergency
    templates: {de: {sms: "{{.Title}}", email_subject: "{{.Title}}", email_body: "{{.Title}}"}}
`, sid, apiURL, wait)
	orgs := max(people/50, 1)
	var orgsB, peopleB, treesB strings.Builder
	orgsB.WriteString("organisations:\n")
	peopleB.WriteString("people:\n")
	treesB.WriteString("call_trees:\n")
	p := 0
	next := func(org, fn string) string {
		id := fmt.Sprintf("p%05d", p)
		fmt.Fprintf(&peopleB, "  - {id: %s, name: Person %d, organisation: O%d, mobile: \"%s\", functions: [%s]}\n", id, p, 0, crashMobile(p), fn)
		p++
		return id
	}
	for o := range orgs {
		fmt.Fprintf(&orgsB, "  - {id: O%d, name: {de: Behörde %d, en: Agency %d}, call_tree: t%d, readiness: {required: {lead: 1}, target: 10m}}\n", o, o, o, o)
		fmt.Fprintf(&treesB, "  - id: t%d\n    organisation: O%d\n    policy: p\n    nodes:\n", o, o)
		node := func(indent, fn string) {
			fmt.Fprintf(&treesB, "%s- function: %s\n%s  person: %s\n%s  deputies: [%s]\n", indent, fn, indent, next("", fn), indent, next("", fn))
		}
		node("      ", "lead")
		treesB.WriteString("        children:\n")
		for range 4 {
			node("          ", "member")
			treesB.WriteString("            children:\n")
			for range 5 {
				node("              ", "member")
			}
		}
	}
	// Fix the organisation of each person (written before its org was known).
	people50 := strings.Split(peopleB.String(), "\n")
	for i := 1; i < len(people50)-1; i++ {
		people50[i] = strings.Replace(people50[i], "organisation: O0,", fmt.Sprintf("organisation: O%d,", (i-1)/50), 1)
	}
	b.WriteString(orgsB.String())
	b.WriteString(strings.Join(people50, "\n"))
	b.WriteString(treesB.String())
	return b.String()
}

// connect reaches the child's NATS as Kaskade's own identity (the port
// refuses anonymous connections).
func (h *harness) connect(natsPort int) (*nats.Conn, error) {
	auth, err := nats.NkeyOptionFromSeed(natsd.ServiceSeedFile(h.dataDir))
	if err != nil {
		return nil, err
	}
	return nats.Connect(fmt.Sprintf("tls://127.0.0.1:%d", natsPort), auth, nats.RootCAs(h.ca.File))
}
