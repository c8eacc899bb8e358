package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kaskade-bcm/kaskade/activation"
	"github.com/kaskade-bcm/kaskade/cmd/internal/server"
	"github.com/kaskade-bcm/kaskade/notifiers/twilio/twiliotest"
)

// boardPerOrg: people per incident's organisation; each of them answers
// once (one viewer, all viewers, the burst), and each answer changes the
// organisation's readiness.
const boardPerOrg = 3

// boardRun is the state of the board phase.
type boardRun struct {
	b       *bench
	s       *server.Server
	url     string         // the server's base URL
	inc     []string       // incident ids by index
	byID    map[string]int // and back
	streams []*boardStream
	set     atomic.Int32 // which reply set the streams record (0, 1)
}

// boardStream is one open GET /api/v1/stream; seen[set][k] is when the
// readiness change of reply k of that set arrived (Unix ns, 0: not yet).
type boardStream struct {
	seen   [2][]atomic.Int64
	closed atomic.Bool
	bytes  atomic.Int64 // read so far
}

// board opens BoardStreams board streams on a log of BoardIncidents
// incidents and measures the memory they take and how a reply's readiness
// change reaches one viewer and then all of them.
func (b *bench) board(ctx context.Context) error {
	o := b.o
	// Declarations are limited per token (60 exercises at once), streams
	// to 100 per token: enough duty officers and viewers for both.
	tokens := dutyTokens("board-do", (o.BoardIncidents+49)/50)
	viewers := (o.BoardStreams + 99) / 100
	for i := range viewers {
		tokens = append(tokens, benchToken{Name: fmt.Sprintf("board-viewer-%d", i), Role: "viewer", Secret: fmt.Sprintf("board-viewer-%d-%d", i, time.Now().UnixNano())})
	}
	os.Setenv(benchTokenEnv, b.fake.AuthToken())
	bc := benchConfig{Orgs: o.BoardIncidents, PerOrg: boardPerOrg, AccountSID: b.fake.AccountSID(), APIURL: b.fakeAPI.URL,
		Concurrency: o.Concurrency, Tokens: tokens}
	var alerts atomic.Int64
	hook := func(m twiliotest.Message) {
		if strings.HasPrefix(m.To, "+49151") {
			alerts.Add(1)
		}
	}
	b.onMessage.Store(&hook)
	defer b.onMessage.Store(nil)
	// The server closes before the streams' reads end (else every stream
	// logs a broken pipe).
	sctx, stop := context.WithCancel(ctx)
	defer stop()
	s, err := b.startPhaseServer(ctx, filepath.Join(o.Dir, "board"), "bench-board", bc)
	if err != nil {
		return err
	}
	defer s.Close()
	r := &boardRun{b: b, s: s, url: s.URL, inc: make([]string, o.BoardIncidents), byID: map[string]int{}}
	start := time.Now()
	if err := r.declareAll(ctx, tokens[:len(tokens)-viewers]); err != nil {
		return err
	}
	want := int64(o.BoardIncidents * boardPerOrg)
	if err := waitUntil(ctx, 120*time.Second, func() bool { return alerts.Load() >= want }); err != nil {
		return fmt.Errorf("board: %d of %d alerts sent: %w", alerts.Load(), want, err)
	}
	b.printf("  (board: %d incidents declared and alerted in %s)\n", o.BoardIncidents, time.Since(start).Round(time.Millisecond))
	for i, id := range r.inc {
		r.byID[id] = i
	}
	// Only the measuring viewer's stream is read here; the readers' process
	// has the others.
	st := &boardStream{}
	st.seen[0], st.seen[1] = make([]atomic.Int64, o.BoardReplies), make([]atomic.Int64, o.BoardReplies)
	r.streams = []*boardStream{st}
	viewerTok := tokens[len(tokens)-viewers:]

	debug.FreeOSMemory()
	time.Sleep(500 * time.Millisecond)
	idle := procStatus("self", "VmRSS")

	// One viewer: the measuring one, in this process.
	if err := r.open(sctx, 0, viewerTok[0].Secret); err != nil {
		return err
	}
	c0 := cpuTime()
	one, err := r.replies(ctx, 0, 0, nil)
	if err != nil {
		return err
	}
	cpuOne := cpuTime() - c0
	// All viewers: the others in a process of their own, whose reading
	// would otherwise slow down this one's measuring.
	readers, opened, err := r.startReaders(sctx, viewerTok)
	if err != nil {
		return err
	}
	defer readers.stop() // before the server closes (deferred earlier)
	time.Sleep(2 * time.Second)
	open := procStatus("self", "VmRSS")
	readersRSS := procStatus(readers.pid, "VmRSS")
	r.set.Store(1)
	if _, err := readers.ask("record", "recording"); err != nil {
		return err
	}
	prof := b.profile("board")
	read0 := r.streams[0].bytes.Load()
	c0, rc0, m0 := cpuTime(), procCPU(readers.pid), fetchMetrics(r.s.URL)
	all, err := r.replies(ctx, 1, 1, readers)
	cpuAll, cpuReaders, m1 := cpuTime()-c0, procCPU(readers.pid)-rc0, fetchMetrics(r.s.URL)
	prof()
	if err != nil {
		return err
	}
	perReply := float64(r.streams[0].bytes.Load()-read0) / float64(o.BoardReplies)
	if err := r.burst(ctx); err != nil {
		return err
	}
	time.Sleep(2 * time.Second)
	burst := procStatus("self", "VmRSS")
	line, err := readers.ask("closed", "closed")
	if err != nil {
		return err
	}
	var closed int
	if _, err := fmt.Sscanf(line, "closed %d", &closed); err != nil {
		return fmt.Errorf("board-readers: %q: %w", line, err)
	}
	if r.streams[0].closed.Load() {
		closed++
	}

	mb := func(kb int64) float64 { return float64(kb) / 1024 }
	above := max(open, burst) - idle
	b.record(fmt.Sprintf("board: RSS above idle, %d streams open / after a burst of %d replies", o.BoardStreams, o.BoardBurst),
		fmt.Sprintf("%.0f MB / %.0f MB (idle %.0f MB; readers' process %.0f MB)", mb(open-idle), mb(burst-idle), mb(idle), mb(readersRSS)),
		fmt.Sprintf("< 300 MB (%d incidents)", o.BoardIncidents), ptr(above < 300*1024))
	p1 := pct(one.probe, 99)
	b.record("board: reply → readiness on the stream, 1 viewer, p50 / p99 / max", line3(one.probe),
		fmt.Sprintf("%d replies at %.0f/s", o.BoardReplies, o.BoardRate), nil)
	b.record(fmt.Sprintf("board: … %d viewers, the measuring viewer, p50 / p99 / max", o.BoardStreams), line3(all.probe),
		fmt.Sprintf("p99 ≤ 2 × %s", ms(p1)), ptr(len(all.probe) > 0 && pct(all.probe, 99) <= 2*p1))
	b.record(fmt.Sprintf("board: … %d viewers, all streams (%d read by the readers' process), p50 / p99 / max", o.BoardStreams, o.BoardStreams-1),
		line3(all.all), "", nil)
	b.record("board: changes missing on a stream / streams closed by the server", fmt.Sprintf("%d / %d", one.missing+all.missing, closed),
		"0", ptr(one.missing+all.missing == 0 && closed == 0))
	// This process's CPU per reply (server, fake, measuring viewer), which
	// unlike the latencies hardly depends on the machine's load; the
	// readers' process apart.
	perStream := (cpuAll - cpuOne) / time.Duration(o.BoardReplies*max(1, o.BoardStreams-1))
	readerPer := cpuReaders / time.Duration(o.BoardReplies*max(1, o.BoardStreams-1))
	b.printf("  (board: %d streams opened in %s; reply webhooks p99 %s with one viewer, %s with all;\n   %.0f bytes per reply and stream; server CPU per reply %s with one viewer, %s with all (%s per further stream); readers' CPU %s per stream and reply (GOMAXPROCS %d, nice %d); load average %s)\n",
		o.BoardStreams-1, opened.Round(time.Millisecond), ms(pct(one.webhook, 99)), ms(pct(all.webhook, 99)), perReply,
		ms(cpuOne/time.Duration(o.BoardReplies)), ms(cpuAll/time.Duration(o.BoardReplies)), perStream, readerPer, o.BoardReaderProcs, o.BoardReaderNice, loadAvg())
	batches := func(path string) float64 {
		l := `path="` + path + `"`
		return metricValue(m1, "kaskade_board_stream_batches_total", l) - metricValue(m0, "kaskade_board_stream_batches_total", l)
	}
	b.printf("  (board: batches to the streams during the %d-viewer replies: %.0f written by the fan-out, %.0f partly, %.0f by the streams' handlers)\n",
		o.BoardStreams, batches("direct"), batches("partly"), batches("handler"))
	return nil
}

func line3(s []time.Duration) string {
	if len(s) == 0 {
		return "–"
	}
	return fmt.Sprintf("%s / %s / %s", ms(pct(s, 50)), ms(pct(s, 99)), ms(s[len(s)-1]))
}

// declareAll declares one exercise per organisation, each duty officer
// token on its own goroutine (fifty each, under the burst of sixty).
func (r *boardRun) declareAll(ctx context.Context, tokens []benchToken) error {
	n := len(r.inc)
	errs := make(chan error, len(tokens))
	var wg sync.WaitGroup
	for t, tok := range tokens {
		wg.Go(func() {
			for i := t * 50; i < min(n, (t+1)*50); i++ {
				id, err := declareAs(ctx, r.s, tok.Secret, map[string]any{"id": fmt.Sprintf("bench-board-%d", i), "scenario": "fanout",
					"exercise": true, "organisations": []string{benchOrg(i)}})
				if err != nil {
					errs <- err
					return
				}
				r.inc[i] = id
			}
		})
	}
	wg.Wait()
	close(errs)
	return <-errs
}

// openRange opens streams from…to-1 (16 at a time, each until its
// snapshot), stream i with token(i).
func (r *boardRun) openRange(ctx context.Context, from, to int, token func(int) string) error {
	sem := make(chan struct{}, 16)
	errs := make(chan error, to-from)
	var wg sync.WaitGroup
	for i := from; i < to; i++ {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			if err := r.open(ctx, i, token(i)); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	return <-errs
}

// open opens stream i and returns once its snapshot has arrived; the
// stream is read on until ctx ends.
func (r *boardRun) open(ctx context.Context, i int, token string) error {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, r.url+"/api/v1/stream", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("board stream %d: %w", i, err)
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return fmt.Errorf("board stream %d: %d", i, resp.StatusCode)
	}
	ready := make(chan struct{})
	go func() {
		defer resp.Body.Close()
		r.read(bufio.NewReaderSize(resp.Body, 4<<10), r.streams[i], ready)
		if ctx.Err() == nil {
			r.streams[i].closed.Store(true)
		}
	}()
	select {
	case <-ready:
		return nil
	case <-time.After(60 * time.Second):
		return fmt.Errorf("board stream %d: no snapshot within 60 s", i)
	}
}

// read reads SSE lines without holding long ones (the snapshot): only the
// head of a line is looked at.
func (r *boardRun) read(br *bufio.Reader, st *boardStream, ready chan struct{}) {
	event := ""
	long := false // inside a line longer than the buffer
	for {
		line, err := br.ReadSlice('\n')
		st.bytes.Add(int64(len(line)))
		if errors.Is(err, bufio.ErrBufferFull) {
			long = true
			continue
		}
		if err != nil {
			return
		}
		if long {
			// The end of a long line: the snapshot is the only one expected.
			long = false
			if event == "snapshot" && ready != nil {
				close(ready)
				ready = nil
			}
			continue
		}
		switch {
		case bytes.HasPrefix(line, []byte("event: ")):
			event = string(bytes.TrimSpace(line[7:]))
		case bytes.HasPrefix(line, []byte("data: ")) && event == "snapshot" && ready != nil:
			close(ready)
			ready = nil
		case bytes.HasPrefix(line, []byte("data: ")) && event == "change":
			r.note(st, line, time.Now().UnixNano())
		}
	}
}

var (
	readinessKind = []byte(`"kind":"` + string(activation.ChangeReadiness) + `"`)
	incidentKey   = []byte(`"incident_id":"`)
)

// note records the arrival of a readiness change of the current set's
// replies (the k-th reply of a set comes from incident k).
func (r *boardRun) note(st *boardStream, line []byte, t int64) {
	head := line[:min(len(line), 128)]
	if !bytes.Contains(head, readinessKind) {
		return
	}
	i := bytes.Index(head, incidentKey)
	if i < 0 {
		return
	}
	rest := head[i+len(incidentKey):]
	j := bytes.IndexByte(rest, '"')
	if j < 0 {
		return
	}
	k, ok := r.byID[string(rest[:j])]
	set := r.set.Load()
	if !ok || k >= len(st.seen[set]) {
		return
	}
	st.seen[set][k].CompareAndSwap(0, t)
}

// replyTimes are the latencies of one set of replies.
type replyTimes struct {
	probe, all, webhook []time.Duration
	missing             int
}

// replies sends BoardReplies signed inbound "1" at BoardRate, reply k from
// person `person` of incident k, and collects the arrivals on the streams
// (the probe is stream 0, in this process; the readers' process, if any,
// holds the others).
func (r *boardRun) replies(ctx context.Context, set, person int, readers *readerProc) (replyTimes, error) {
	o := r.b.o
	n := o.BoardReplies
	starts := make([]int64, n)
	hooks := make([]time.Duration, n)
	interval := time.Duration(float64(time.Second) / o.BoardRate)
	url := r.url + "/webhooks/twilio/sms"
	var wg sync.WaitGroup
	var failed atomic.Int64
	begin := time.Now()
	for k := range n {
		if d := time.Until(begin.Add(time.Duration(k) * interval)); d > 0 {
			time.Sleep(d)
		}
		wg.Go(func() {
			_, mobile := benchPerson(k*boardPerOrg + person)
			t0 := time.Now()
			starts[k] = t0.UnixNano()
			resp, err := r.b.fake.SendInbound(ctx, url, mobile, benchFrom, "1")
			if err != nil || resp.StatusCode != http.StatusOK {
				failed.Add(1)
			}
			if err == nil {
				resp.Body.Close()
			}
			hooks[k] = time.Since(t0)
		})
	}
	wg.Wait()
	if f := failed.Load(); f > 0 {
		return replyTimes{}, fmt.Errorf("board: %d reply webhooks failed", f)
	}
	wait := time.Now().Add(10 * time.Second)
	probe := make([]int64, n)
	load := func() bool {
		for k := range n {
			probe[k] = r.streams[0].seen[set][k].Load()
		}
		return !slices.Contains(probe, 0)
	}
	_ = waitUntil(ctx, time.Until(wait), load)
	load()
	rows := [][]int64{probe}
	if readers != nil {
		if _, err := readers.ask("collect "+max(time.Until(wait), time.Second).Round(time.Millisecond).String(), "collected"); err != nil {
			return replyTimes{}, err
		}
		others, err := readers.seen()
		if err != nil {
			return replyTimes{}, err
		}
		rows = append(rows, others...)
	}
	rt := replyTimes{webhook: hooks}
	for i, row := range rows {
		for k := range n {
			if k >= len(row) || row[k] == 0 {
				rt.missing++
				continue
			}
			d := time.Duration(row[k] - starts[k])
			rt.all = append(rt.all, d)
			if i == 0 {
				rt.probe = append(rt.probe, d)
			}
		}
	}
	for _, s := range [][]time.Duration{rt.probe, rt.all, rt.webhook} {
		slices.Sort(s)
	}
	return rt, nil
}

// burst sends BoardBurst replies (the third person of each incident) as
// fast as 50 in flight allow.
func (r *boardRun) burst(ctx context.Context) error {
	url := r.url + "/webhooks/twilio/sms"
	sem := make(chan struct{}, 50)
	var wg sync.WaitGroup
	var failed atomic.Int64
	for k := range r.b.o.BoardBurst {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			_, mobile := benchPerson(k*boardPerOrg + 2)
			resp, err := r.b.fake.SendInbound(ctx, url, mobile, benchFrom, "1")
			if err != nil || resp.StatusCode != http.StatusOK {
				failed.Add(1)
			}
			if err == nil {
				resp.Body.Close()
			}
		})
	}
	wg.Wait()
	if f := failed.Load(); f > 0 {
		return fmt.Errorf("board: %d burst webhooks failed", f)
	}
	return nil
}
