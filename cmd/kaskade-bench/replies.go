package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kaskade-bcm/kaskade/activation"
	"github.com/kaskade-bcm/kaskade/activation/board"
	"github.com/kaskade-bcm/kaskade/cmd/internal/server"
)

// replies runs the load generator as a separate process and measures the
// latency from each webhook request to the response's change, as delivered
// by the engine (Subscribe) and by the board stream (SSE).
func (b *bench) replies(ctx context.Context, s *server.Server, incident string) error {
	count := min(int(b.o.ReplyRate*b.o.ReplyDuration.Seconds()), b.o.Recipients)
	numbers := filepath.Join(b.o.Dir, "numbers.txt")
	var nb strings.Builder
	// Spread the senders over the organisations, so readiness changes everywhere.
	orgs := b.o.Recipients / b.o.PerOrg
	for k := range count {
		i := (k%orgs)*b.o.PerOrg + (k/orgs)%b.o.PerOrg
		_, m := benchPerson(i)
		nb.WriteString(m + "\n")
	}
	if err := os.WriteFile(numbers, []byte(nb.String()), 0o600); err != nil {
		return err
	}
	var mu sync.Mutex
	engineAt := map[string]int64{} // person → first change (Unix ns)
	sseAt := map[string]int64{}
	var readinessChanges, sseEvents atomic.Int64
	note := func(m map[string]int64, ch activation.Change, t int64) {
		if ch.Kind == activation.ChangeTimeline && ch.Timeline != nil && ch.Timeline.Kind == activation.KindResponse && ch.IncidentID == incident {
			mu.Lock()
			if _, ok := m[ch.Timeline.Person]; !ok {
				m[ch.Timeline.Person] = t
			}
			mu.Unlock()
		}
	}
	changes, cancel := s.Engine.Subscribe()
	defer cancel()
	go func() {
		for ch := range changes {
			if ch.Kind == activation.ChangeReadiness {
				readinessChanges.Add(1)
			}
			note(engineAt, ch, time.Now().UnixNano())
		}
	}()
	sseCtx, stopSSE := context.WithCancel(ctx)
	defer stopSSE()
	sseReady := make(chan error, 1)
	go func() {
		req, _ := http.NewRequestWithContext(sseCtx, http.MethodGet, s.URL+"/api/v1/stream", nil)
		req.Header.Set("Authorization", "Bearer "+s.AdminToken())
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			sseReady <- err
			return
		}
		defer resp.Body.Close()
		if resp.StatusCode != 200 {
			sseReady <- fmt.Errorf("stream: %d", resp.StatusCode)
			return
		}
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 256<<20)
		event := ""
		for sc.Scan() {
			line := sc.Bytes()
			switch {
			case bytes.HasPrefix(line, []byte("event: ")):
				event = string(line[7:])
			case bytes.HasPrefix(line, []byte("data: ")) && event == "snapshot":
				sseReady <- nil
			case bytes.HasPrefix(line, []byte("data: ")) && event == "change":
				// Time of arrival; only timeline changes are decoded, so the
				// large incident views do not hold up this reader.
				t := time.Now().UnixNano()
				sseEvents.Add(1)
				head := line[:min(len(line), 96)]
				if !bytes.Contains(head, []byte(`"kind":"timeline"`)) {
					continue
				}
				var ch activation.Change
				if json.Unmarshal(line[6:], &ch) == nil {
					note(sseAt, ch, t)
				}
			}
		}
	}()
	select {
	case err := <-sseReady:
		if err != nil {
			return err
		}
	case <-time.After(30 * time.Second):
		return errors.New("board stream: no snapshot")
	}

	exe, err := os.Executable()
	if err != nil {
		return err
	}
	outFile := filepath.Join(b.o.Dir, "replies.txt")
	cmd := exec.CommandContext(ctx, exe, "load-replies", "--url", s.URL+"/webhooks/twilio/sms",
		"--numbers", numbers, "--out", outFile, "--rate", strconv.FormatFloat(b.o.ReplyRate, 'f', -1, 64),
		"--duration", b.o.ReplyDuration.String(), "--account", b.fake.AccountSID())
	cmd.Env = append(os.Environ(), benchTokenEnv+"="+b.fake.AuthToken())
	cmd.Stdout, cmd.Stderr = b.out, b.out
	stop := b.profile("replies")
	err = cmd.Run()
	stop()
	if err != nil {
		return fmt.Errorf("load-replies: %w", err)
	}
	time.Sleep(time.Second) // stragglers on the stream
	data, err := os.ReadFile(outFile)
	if err != nil {
		return err
	}
	var webhook, eng, sse []time.Duration
	var httpErrs, missingEng, missingSSE int
	mu.Lock()
	for line := range strings.Lines(string(data)) {
		f := strings.Fields(line)
		if len(f) != 4 {
			continue
		}
		startNs, _ := strconv.ParseInt(f[1], 10, 64)
		endNs, _ := strconv.ParseInt(f[2], 10, 64)
		if f[3] != "200" {
			httpErrs++
			continue
		}
		webhook = append(webhook, time.Duration(endNs-startNs))
		person := personByMobile(f[0])
		if t, ok := engineAt[person]; ok {
			eng = append(eng, time.Duration(t-startNs))
		} else {
			missingEng++
		}
		if t, ok := sseAt[person]; ok {
			sse = append(sse, time.Duration(t-startNs))
		} else {
			missingSSE++
		}
	}
	mu.Unlock()
	for _, s := range [][]time.Duration{webhook, eng, sse} {
		slices.Sort(s)
	}
	line := func(s []time.Duration) string {
		if len(s) == 0 {
			return "–"
		}
		return fmt.Sprintf("%s / %s / %s", ms(pct(s, 50)), ms(pct(s, 99)), ms(s[len(s)-1]))
	}
	label := fmt.Sprintf("%.0f/s for %s", b.o.ReplyRate, b.o.ReplyDuration)
	b.record("reply webhook answered (TwiML), p50 / p99 / max", line(webhook), label, nil)
	b.record("reply → engine change (Subscribe), p50 / p99 / max", line(eng), "p99 < 25 ms", ptr(len(eng) > 0 && pct(eng, 99) < 25*time.Millisecond))
	b.record(fmt.Sprintf("reply → board stream (SSE, %s window), p50 / p99 / max", board.DefaultCoalesceWindow), line(sse), "p99 < 25 ms", ptr(len(sse) > 0 && pct(sse, 99) < 25*time.Millisecond))
	errs := httpErrs + missingEng
	b.record(fmt.Sprintf("reply errors (of %d): HTTP / no engine change / not on stream", len(strings.Split(strings.TrimSpace(string(data)), "\n"))),
		fmt.Sprintf("%d / %d / %d", httpErrs, missingEng, missingSSE), "0", ptr(errs == 0 && missingSSE == 0))
	b.printf("  (readiness changes seen by the engine subscriber: %d; SSE change events: %d)\n", readinessChanges.Load(), sseEvents.Load())
	return nil
}

func personByMobile(m string) string {
	i, err := strconv.Atoi(strings.TrimPrefix(m, "+49151"))
	if err != nil {
		return ""
	}
	id, _ := benchPerson(i)
	return id
}
