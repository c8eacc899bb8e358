package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// boardReadersCmd is `kaskade-bench board-readers`: the board phase's
// background viewers in a process of their own, so that their reading does
// not run in (and slow down) the process that measures. It opens streams
// --first… --streams-1 (stream i with token line i/100 of --tokens), says
// "open N D" on stdout, then follows commands on stdin, one per line:
//
//	record        record the first readiness change of incident k (line k of --incidents, k < --replies) on every stream; answers "recording"
//	collect D     wait until every stream has all of them or D has passed, write --out (per stream one line of Unix ns, 0: missing), stop recording; answers "collected M" (M missing)
//	closed        answers "closed N": streams the server has ended
//
// It ends at the end of stdin.
func boardReadersCmd(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("board-readers", flag.ContinueOnError)
	fs.SetOutput(stderr)
	url := fs.String("url", "", "the server's base URL (http://127.0.0.1:PORT)")
	tokens := fs.String("tokens", "", "file of viewer tokens, one per line (a hundred streams each)")
	incidents := fs.String("incidents", "", "file of incident ids, one per line, in reply order")
	streams := fs.Int("streams", 1000, "streams in all, counting the ones before --first")
	first := fs.Int("first", 1, "the first stream this process opens (the measuring process holds the ones before)")
	replies := fs.Int("replies", 300, "replies recorded per stream")
	out := fs.String("out", "", "result file")
	procs := fs.Int("procs", 0, "GOMAXPROCS of this process (0: the Go default)")
	if err := fs.Parse(args); err != nil {
		return usageError{err.Error()}
	}
	if *url == "" || *tokens == "" || *incidents == "" || *out == "" || *first < 0 || *streams <= *first || *replies < 1 {
		return usageError{"board-readers needs --url, --tokens, --incidents, --out, --replies ≥ 1 and --streams > --first"}
	}
	if *procs > 0 {
		runtime.GOMAXPROCS(*procs)
	}
	toks, err := readLines(*tokens)
	if err != nil {
		return err
	}
	ids, err := readLines(*incidents)
	if err != nil {
		return err
	}
	if need := (*streams-1)/100 + 1; len(toks) < need {
		return usageError{fmt.Sprintf("board-readers: %d tokens for %d streams, want %d", len(toks), *streams, need)}
	}
	r := &boardRun{url: *url, byID: map[string]int{}}
	for k, id := range ids[:min(len(ids), *replies)] {
		r.byID[id] = k
	}
	r.streams = make([]*boardStream, *streams)
	for i := *first; i < *streams; i++ {
		st := &boardStream{}
		st.seen[1] = make([]atomic.Int64, *replies) // set 0 (not recording) has none
		r.streams[i] = st
	}
	sctx, stop := context.WithCancel(ctx)
	defer stop()
	start := time.Now()
	if err := r.openRange(sctx, *first, *streams, func(i int) string { return toks[i/100] }); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "open %d %s\n", *streams-*first, time.Since(start).Round(time.Millisecond))
	return r.serveCommands(ctx, stdin, stdout, *first, *out)
}

// serveCommands answers the parent's commands until stdin ends.
func (r *boardRun) serveCommands(ctx context.Context, stdin io.Reader, stdout io.Writer, first int, out string) error {
	sc := bufio.NewScanner(stdin)
	for sc.Scan() {
		cmd, arg, _ := strings.Cut(strings.TrimSpace(sc.Text()), " ")
		switch cmd {
		case "record":
			r.set.Store(1)
			fmt.Fprintln(stdout, "recording")
		case "collect":
			d, err := time.ParseDuration(arg)
			if err != nil {
				return fmt.Errorf("board-readers: collect %q: %w", arg, err)
			}
			_ = waitUntil(ctx, d, func() bool { return r.missing(1, first) == 0 })
			r.set.Store(0)
			if err := r.writeSeen(out, first); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "collected %d\n", r.missing(1, first))
		case "closed":
			n := 0
			for _, st := range r.streams[first:] {
				if st.closed.Load() {
					n++
				}
			}
			fmt.Fprintf(stdout, "closed %d\n", n)
		default:
			return fmt.Errorf("board-readers: unknown command %q", cmd)
		}
	}
	return sc.Err()
}

// missing counts the arrivals of a set not yet seen on streams first….
func (r *boardRun) missing(set int, first int) int {
	n := 0
	for _, st := range r.streams[first:] {
		for k := range st.seen[set] {
			if st.seen[set][k].Load() == 0 {
				n++
			}
		}
	}
	return n
}

// writeSeen writes set 1's arrivals, one line per stream from first on.
func (r *boardRun) writeSeen(path string, first int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	for _, st := range r.streams[first:] {
		for k := range st.seen[1] {
			if k > 0 {
				w.WriteByte(' ')
			}
			w.WriteString(strconv.FormatInt(st.seen[1][k].Load(), 10))
		}
		w.WriteByte('\n')
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func readLines(path string) ([]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return strings.Fields(string(data)), nil
}

// readerProc is the parent's end of a board-readers process.
type readerProc struct {
	cmd   *exec.Cmd
	in    io.WriteCloser
	lines *bufio.Scanner
	out   string // its result file
	pid   string
}

// startReaders starts `kaskade-bench board-readers` for streams 1… of r and
// returns once they are all open (with the time it took).
func (r *boardRun) startReaders(ctx context.Context, viewers []benchToken) (*readerProc, time.Duration, error) {
	o := r.b.o
	dir := o.Dir
	tokFile, incFile := filepath.Join(dir, "board-tokens.txt"), filepath.Join(dir, "board-incidents.txt")
	var tb strings.Builder
	for _, v := range viewers {
		tb.WriteString(v.Secret + "\n")
	}
	if err := os.WriteFile(tokFile, []byte(tb.String()), 0o600); err != nil {
		return nil, 0, err
	}
	if err := os.WriteFile(incFile, []byte(strings.Join(r.inc, "\n")+"\n"), 0o600); err != nil {
		return nil, 0, err
	}
	exe, err := os.Executable()
	if err != nil {
		return nil, 0, err
	}
	p := &readerProc{out: filepath.Join(dir, "board-seen.txt")}
	args := []string{exe, "board-readers", "--url", r.s.URL, "--tokens", tokFile, "--incidents", incFile,
		"--streams", strconv.Itoa(o.BoardStreams), "--first", "1", "--replies", strconv.Itoa(o.BoardReplies),
		"--out", p.out, "--procs", strconv.Itoa(o.BoardReaderProcs)}
	// Niced, the readers take the CPU the server leaves (nice(1) sets every
	// thread's priority; a process cannot do that for its Go threads itself).
	if nice, err := exec.LookPath("nice"); err == nil && o.BoardReaderNice > 0 {
		args = append([]string{nice, "-n", strconv.Itoa(o.BoardReaderNice)}, args...)
	}
	p.cmd = exec.CommandContext(ctx, args[0], args[1:]...)
	p.cmd.Stderr = r.b.out
	if p.in, err = p.cmd.StdinPipe(); err != nil {
		return nil, 0, err
	}
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		return nil, 0, err
	}
	if err := p.cmd.Start(); err != nil {
		return nil, 0, err
	}
	p.pid = strconv.Itoa(p.cmd.Process.Pid)
	p.lines = bufio.NewScanner(stdout)
	line, err := p.expect("open")
	if err != nil {
		p.stop()
		return nil, 0, err
	}
	var d time.Duration
	if f := strings.Fields(line); len(f) == 3 {
		d, _ = time.ParseDuration(f[2])
	}
	return p, d, nil
}

// ask sends a command and returns its answer, which must start with want.
func (p *readerProc) ask(cmd, want string) (string, error) {
	if _, err := io.WriteString(p.in, cmd+"\n"); err != nil {
		return "", fmt.Errorf("board-readers: %s: %w", cmd, err)
	}
	return p.expect(want)
}

func (p *readerProc) expect(want string) (string, error) {
	if !p.lines.Scan() {
		err := p.lines.Err()
		if err == nil {
			err = errors.New("ended")
		}
		return "", fmt.Errorf("board-readers: waiting for %q: %w", want, err)
	}
	line := p.lines.Text()
	if !strings.HasPrefix(line, want) {
		return "", fmt.Errorf("board-readers: %q, want %q", line, want)
	}
	return line, nil
}

// seen reads the result file: per stream, the arrival of each reply (Unix ns, 0: missing).
func (p *readerProc) seen() ([][]int64, error) {
	data, err := os.ReadFile(p.out)
	if err != nil {
		return nil, err
	}
	var all [][]int64
	for line := range strings.Lines(string(data)) {
		f := strings.Fields(line)
		row := make([]int64, len(f))
		for k, s := range f {
			if row[k], err = strconv.ParseInt(s, 10, 64); err != nil {
				return nil, fmt.Errorf("board-readers: %s: %w", p.out, err)
			}
		}
		all = append(all, row)
	}
	return all, nil
}

// stop ends the process (its streams close with its stdin) and waits for it.
func (p *readerProc) stop() {
	p.in.Close()
	done := make(chan struct{})
	go func() { _ = p.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Kill()
		<-done
	}
}
