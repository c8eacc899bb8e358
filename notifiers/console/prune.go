package console

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
)

// Prune rewrites the outbox and its rotated files without the lines drop
// selects (an erased person's, lines past their retention) and returns how
// many it removed. Each file is replaced whole (written beside, renamed),
// so no removed line stays in it.
func (n *Notifier) Prune(drop func(Entry) bool) (int, error) {
	if n.file == nil {
		return 0, nil
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	r := n.file
	if err := r.f.Close(); err != nil {
		return 0, fmt.Errorf("console: prune: %w", err)
	}
	removed, err := PruneFiles(r.path, r.keep, drop)
	if err != nil {
		_ = r.open()
		return removed, err
	}
	if err := r.open(); err != nil {
		return removed, fmt.Errorf("console: prune: %w", err)
	}
	return removed, nil
}

// PruneFiles is Prune for outbox files no notifier writes (the console
// channel is off now, the files are left from before).
func PruneFiles(outbox string, keep int, drop func(Entry) bool) (int, error) {
	removed := 0
	for i := 0; i <= keep; i++ {
		path := outbox
		if i > 0 {
			path += "." + strconv.Itoa(i)
		}
		k, err := pruneFile(path, drop)
		removed += k
		if err != nil {
			return removed, fmt.Errorf("console: prune %s: %w", path, err)
		}
	}
	return removed, nil
}

func pruneFile(path string, drop func(Entry) bool) (int, error) {
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	var out bytes.Buffer
	removed := 0
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		var e Entry
		if json.Unmarshal(sc.Bytes(), &e) == nil && drop(e) {
			removed++
			continue
		}
		out.Write(sc.Bytes())
		out.WriteByte('\n')
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	if removed == 0 {
		return 0, nil
	}
	tmp := path + ".prune"
	if err := os.WriteFile(tmp, out.Bytes(), 0o600); err != nil {
		return 0, err
	}
	return removed, os.Rename(tmp, path)
}
