package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/kaskade-bcm/kaskade/cmd/internal/server"
)

// restartSummary reads what the restarted server logged about its snapshot
// and its replay.
func restartSummary(logPath string) string {
	data, err := os.ReadFile(logPath)
	if err != nil {
		return err.Error()
	}
	var parts []string
	for line := range strings.Lines(string(data)) {
		var rec struct {
			Msg    string  `json:"msg"`
			Events uint64  `json:"events"`
			Took   float64 `json:"took"`
		}
		if json.Unmarshal([]byte(line), &rec) != nil {
			continue
		}
		switch rec.Msg {
		case "snapshot restored", "event log replayed":
			parts = append(parts, fmt.Sprintf("%s at event %d in %s", rec.Msg, rec.Events, time.Duration(rec.Took).Round(time.Millisecond)))
		}
	}
	if len(parts) == 0 {
		return "no snapshot or replay logged"
	}
	return strings.Join(parts, "; ")
}

// kaskadeBinary returns --kaskade, or builds the server binary from this
// module into the working directory: the restart and failover phases run
// the binary operators run, without the bench's code.
func (b *bench) kaskadeBinary(ctx context.Context) (string, error) {
	if b.o.Kaskade != "" {
		return b.o.Kaskade, nil
	}
	bin := filepath.Join(b.o.Dir, "kaskade")
	out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/kaskade-bcm/kaskade/cmd/kaskade").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("build the kaskade binary (run from the module, or pass --kaskade): %w\n%s", err, out)
	}
	return bin, nil
}

// restart times `kaskade serve` on the data directory until /readyz, as a
// subprocess (with GOMEMLIMIT=memLimit unless empty), and reports its peak RSS.
func (b *bench) restart(ctx context.Context, cfgPath, dataDir, label, memLimit string) error {
	profile := b.o.ProfileDir != "" && label == "after a clean stop" && memLimit == ""
	if memLimit != "" {
		label += ", GOMEMLIMIT=" + memLimit
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	addr := ln.Addr().String()
	ln.Close()
	logf, err := os.Create(filepath.Join(b.o.Dir, "restart-"+strings.ReplaceAll(label, " ", "-")+".log"))
	if err != nil {
		return err
	}
	defer logf.Close()
	cmd := exec.CommandContext(ctx, b.kaskade, "serve", "--config", cfgPath, "--data", dataDir, "--http", addr,
		"--nats-listen", "off", "--instance", "bench-restart", "--log-format", "json")
	cmd.Env = append(os.Environ(), benchTokenEnv+"="+b.fake.AuthToken())
	if memLimit != "" {
		cmd.Env = append(cmd.Env, "GOMEMLIMIT="+memLimit)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return err
	}
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	}()
	cl := &http.Client{Timeout: time.Second}
	err = waitUntil(ctx, 120*time.Second, func() bool {
		resp, err := cl.Get("http://" + addr + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	took := time.Since(start)
	if err != nil {
		return fmt.Errorf("restart: not ready: %w (see %s)", err, logf.Name())
	}
	pid := strconv.Itoa(cmd.Process.Pid)
	b.record(fmt.Sprintf("restart %s, %d-recipient activation → /readyz 200", label, b.o.Recipients), took.Round(time.Millisecond).String(), "< 2 s", ptr(took < 2*time.Second))
	time.Sleep(1500 * time.Millisecond) // let the dispatcher, the board and an idle snapshot settle
	hwm := procStatus(pid, "VmHWM")
	b.record(fmt.Sprintf("… peak RSS / tracked recipient (%d)", b.o.Recipients),
		fmt.Sprintf("%s (%.0f MiB)", perRecipient(hwm, b.o.Recipients), float64(hwm)/1024), "≤ 2 KiB", ptr(float64(hwm)/float64(b.o.Recipients) <= 2))
	_ = cmd.Process.Signal(syscall.SIGTERM)
	_ = cmd.Wait()
	b.printf("  (%s: %s)\n", label, restartSummary(logf.Name()))
	if profile {
		// The same restart in-process, profiled: where the seconds go.
		stop := b.profile("restart")
		start := time.Now()
		s, err := server.Start(ctx, server.Options{ConfigPath: cfgPath, DataDir: dataDir, HTTPAddr: "127.0.0.1:0", NATSListen: "off",
			Instance: "bench-restart-profile", Logger: b.log})
		if err != nil {
			stop()
			return err
		}
		loaded := time.Since(start)
		err = waitUntil(ctx, 120*time.Second, s.Engine.Ready)
		stop()
		b.printf("  (profiled in-process restart: configuration and NATS %s, replay until ready %s)\n",
			loaded.Round(time.Millisecond), (time.Since(start) - loaded).Round(time.Millisecond))
		_ = s.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

// restarts restarts the crashed server's data directory as a subprocess:
// after the crash, after a clean stop, each also with the memory limit.
func (b *bench) restarts(ctx context.Context, cfgPath, dataDir string) error {
	// Each variant starts from the same crashed data directory; the
	// first restart's clean stop leaves the "clean" one behind.
	crashed := dataDir + ".crashed"
	if err := os.RemoveAll(crashed); err != nil { // from an earlier run with the same --dir
		return err
	}
	if err := os.CopyFS(crashed, os.DirFS(dataDir)); err != nil {
		return fmt.Errorf("restart: keep the crashed data: %w", err)
	}
	bin, err := b.kaskadeBinary(ctx)
	if err != nil {
		return err
	}
	b.kaskade = bin
	limits := []string{""}
	if b.o.MemoryLimit != "" {
		limits = append(limits, b.o.MemoryLimit)
	}
	for _, label := range []string{"after a crash", "after a clean stop"} {
		for i, limit := range limits {
			dir := dataDir
			if label == "after a crash" && i > 0 {
				// A copy, so that the crashed data stays as it was
				// (--dir keeps it for a look at the crash restart).
				dir = crashed + "-" + strconv.Itoa(i)
				if err := os.RemoveAll(dir); err != nil {
					return err
				}
				if err := os.CopyFS(dir, os.DirFS(crashed)); err != nil {
					return fmt.Errorf("restart: copy the crashed data: %w", err)
				}
			}
			if err := b.restart(ctx, cfgPath, dir, label, limit); err != nil {
				return err
			}
		}
	}
	return nil
}
