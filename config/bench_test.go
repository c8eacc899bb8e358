package config

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync"
	"testing"
	"time"
)

// benchYAML generates a configuration in the shape `kaskade-bench` writes
// (cmd/kaskade-bench/config.go, copied here because config must not import
// cmd/): orgs organisations of perOrg people, whose people are in
// people.csv (benchCSV) beside it, one call tree per organisation whose
// nodes have no deputies (so every node draws the BSI "no deputy"
// warning), plus the organisation TT with its one person in the YAML.
func benchYAML(orgs, perOrg int) []byte {
	var w bytes.Buffer
	w.Grow(orgs * perOrg * 40)
	fmt.Fprintf(&w, `version: 1
server:
  public_url: https://kaskade.example
channels:
  console: {as: [email]}
  twilio:
    account_sid: AC00000000000000000000000000000000
    auth_token: {env: BENCH_TOKEN}
    from: "+15005550006"
    api_url: http://127.0.0.1:1
    concurrency: 50
functions:
  - {id: staff, name: {de: Stab, en: Staff}}
policies:
  - id: sms-only
    wait: 30m
    steps: [{channel: sms, after: 0s}]
organisations:
`)
	for o := range orgs {
		fmt.Fprintf(&w, "  - {id: %s, name: {de: Org %d, en: Org %d}, call_tree: t%d, readiness: {required: {staff: %d}, target: 2h}}\n",
			benchOrg(o), o, o, o, perOrg)
	}
	fmt.Fprintf(&w, "  - {id: TT, name: {de: Erstalarm, en: First alert}, call_tree: tt, readiness: {required: {staff: 1}, target: 2h}}\n")
	fmt.Fprintf(&w, "people_file: people.csv\npeople:\n")
	fmt.Fprintf(&w, "  - {id: tt1, name: Erste Person, organisation: TT, mobile: \"+4915299000001\", functions: [staff]}\n")
	fmt.Fprintf(&w, "call_trees:\n")
	for o := range orgs {
		fmt.Fprintf(&w, "  - id: t%d\n    organisation: %s\n    policy: sms-only\n    nodes:\n", o, benchOrg(o))
		for p := range perOrg {
			fmt.Fprintf(&w, "      - {function: staff, person: p%06d}\n", o*perOrg+p)
		}
	}
	fmt.Fprintf(&w, "  - id: tt\n    organisation: TT\n    policy: sms-only\n    nodes:\n      - {function: staff, person: tt1}\n")
	fmt.Fprintf(&w, "scenarios:\n  - id: fanout\n    name: {de: Massenalarm, en: Mass alert}\n    severity: crisis\n    organisations: [")
	for o := range orgs {
		if o > 0 {
			w.WriteString(", ")
		}
		w.WriteString(benchOrg(o))
	}
	w.WriteString(`]
    templates:
      de: {sms: "{{.SeverityName}} {{.Organisation}}: {{.Title}}. Stab bilden.", email_subject: "{{.Title}}", email_body: "{{.Title}}"}
      en: {sms: "{{.SeverityName}} {{.Organisation}}: {{.Title}}. Convene the staff.", email_subject: "{{.Title}}", email_body: "{{.Title}}"}
`)
	return w.Bytes()
}

func benchOrg(o int) string { return fmt.Sprintf("O%04d", o) }

// benchCSV generates the people.csv of benchYAML: a spreadsheet export
// with a BOM, ; as separator and CRLF line ends.
func benchCSV(orgs, perOrg int) []byte {
	var w bytes.Buffer
	w.Grow(orgs * perOrg * 60)
	w.WriteString("\ufeffid;name;organisation;mobile;functions\r\n")
	for o := range orgs {
		for p := range perOrg {
			i := o*perOrg + p
			fmt.Fprintf(&w, "p%06d;Person p%06d;%s;+49151%08d;staff\r\n", i, i, benchOrg(o), i)
		}
	}
	return w.Bytes()
}

// benchFiles writes benchYAML and its people.csv into a new directory and
// returns the configuration's path and text.
func benchFiles(tb testing.TB, orgs, perOrg int) (string, []byte) {
	tb.Helper()
	dir := tb.TempDir()
	data := benchYAML(orgs, perOrg)
	path := filepath.Join(dir, "bench.yaml")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "people.csv"), benchCSV(orgs, perOrg), 0o600); err != nil {
		tb.Fatal(err)
	}
	return path, data
}

func benchEnv(name string) string {
	if name == "BENCH_TOKEN" {
		return "abc123"
	}
	return ""
}

// heapPeak samples the bytes in live and not yet swept heap objects while
// running, which is what a load adds to the process' RSS. Sampling every
// 200µs with runtime/metrics does not stop the world, so it barely
// disturbs the measurement; a short spike between samples may be missed.
type heapPeak struct {
	stop chan struct{}
	done sync.WaitGroup
	max  uint64
}

func startHeapPeak() *heapPeak {
	h := &heapPeak{stop: make(chan struct{})}
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	read := func() {
		metrics.Read(s)
		h.max = max(h.max, s[0].Value.Uint64())
	}
	read()
	h.done.Go(func() {
		t := time.NewTicker(200 * time.Microsecond)
		defer t.Stop()
		for {
			select {
			case <-h.stop:
				read()
				return
			case <-t.C:
				read()
			}
		}
	})
	return h
}

// Stop returns the peak heap seen since start.
func (h *heapPeak) Stop() uint64 {
	close(h.stop)
	h.done.Wait()
	return h.max
}

// liveHeap loads data once, collecting garbage after each stage of
// LoadBytes, and returns the most it kept alive at once, including data
// itself, with the live bytes after each stage.
func liveHeap(t testing.TB, path string, data []byte) (peak uint64, stages []string) {
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	base := ms.HeapAlloc - min(ms.HeapAlloc, uint64(len(data)))
	loadStage := func(stage string) {
		runtime.GC()
		runtime.ReadMemStats(&ms)
		live := ms.HeapAlloc - min(ms.HeapAlloc, base)
		peak = max(peak, live)
		stages = append(stages, fmt.Sprintf("%s %.1f MB", stage, float64(live)/(1<<20)))
	}
	if _, probs, err := loadBytes(path, data, benchEnv, loadStage); err != nil || probs.Err() != nil {
		t.Fatalf("err=%v %v", err, probs.Err())
	}
	return peak, stages
}

// BenchmarkLoad100k loads a generated configuration with 100,000 people in
// its people file (the file is read in every load). Besides
// time and allocations it reports peak-heap-MB (heap objects during the load,
// including the input and garbage not yet collected), live-peak-MB (the most
// the load keeps reachable at once, including its input; measured in an
// extra, untimed load that collects garbage after each stage) and
// retained-MB (what the *Config and the Problems keep alive after the load)
// and cpu-ms/op (CPU time of the process, garbage collection included).
func BenchmarkLoad100k(b *testing.B) {
	path, data := benchFiles(b, 1000, 100)
	live, stages := liveHeap(b, path, data)
	b.Logf("live heap after each stage: %s", strings.Join(stages, ", "))
	var peak, retained uint64
	var cpu time.Duration
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		runtime.GC()
		h := startHeapPeak()
		c0 := cpuTime()
		b.StartTimer()
		cfg, probs, err := LoadBytes(path, data, benchEnv)
		b.StopTimer()
		cpu += cpuTime() - c0
		peak = max(peak, h.Stop())
		if err != nil || probs.Err() != nil {
			b.Fatalf("err=%v %v", err, probs.Err())
		}
		var with, without runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&with)
		runtime.KeepAlive(cfg)
		runtime.KeepAlive(probs)
		cfg, probs = nil, nil
		runtime.GC()
		runtime.ReadMemStats(&without)
		retained = max(retained, with.HeapAlloc-min(with.HeapAlloc, without.HeapAlloc))
		b.StartTimer()
	}
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
	b.ReportMetric(float64(live)/(1<<20), "live-peak-MB")
	b.ReportMetric(float64(retained)/(1<<20), "retained-MB")
	b.ReportMetric(float64(cpu.Milliseconds())/float64(b.N), "cpu-ms/op")
}

// BenchmarkPeopleFile100k reads the 100,000 people of BenchmarkLoad100k's
// people.csv, without validating them.
func BenchmarkPeopleFile100k(b *testing.B) {
	path := filepath.Join(b.TempDir(), "people.csv")
	if err := os.WriteFile(path, benchCSV(1000, 100), 0o600); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		var probs Problems
		d := newDecoder(path, nil, &probs)
		_, people, err := readPeopleFile(path, nil, d, &probs)
		if err != nil || len(probs) > 0 || len(people) != 100_000 {
			b.Fatalf("err=%v, %d people\n%s", err, len(people), probs)
		}
	}
}
