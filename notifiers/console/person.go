package console

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
)

// PersonLines returns the outbox lines about person, oldest first, from
// the rotated files (path.keep … path.1) and path itself, as stored: an
// access request (Art. 15 GDPR) answers with what the outbox holds.
func PersonLines(path string, keep int, person string) ([]json.RawMessage, error) {
	out := []json.RawMessage{}
	for i := keep; i >= 0; i-- {
		name := path
		if i > 0 {
			name = path + "." + strconv.Itoa(i)
		}
		lines, err := personLinesOf(name, person)
		if err != nil {
			return nil, err
		}
		out = append(out, lines...)
	}
	return out, nil
}

// PersonLines reads this notifier's outbox; rotation waits meanwhile, so
// no line is read twice or missed.
func (n *Notifier) PersonLines(person string) ([]json.RawMessage, error) {
	if n.file == nil {
		return []json.RawMessage{}, nil
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	return PersonLines(n.opts.OutboxPath, n.opts.Keep, person)
}

func personLinesOf(name, person string) ([]json.RawMessage, error) {
	f, err := os.Open(name)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("console: outbox: %w", err)
	}
	defer f.Close()
	var out []json.RawMessage
	r := bufio.NewReader(f)
	for {
		line, err := r.ReadBytes('\n')
		var e struct{ Person string }
		if len(line) > 0 && json.Unmarshal(line, &e) == nil && e.Person == person {
			out = append(out, json.RawMessage(trimNewline(line)))
		}
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("console: outbox %s: %w", name, err)
		}
	}
}

func trimNewline(b []byte) []byte {
	if len(b) > 0 && b[len(b)-1] == '\n' {
		return b[:len(b)-1]
	}
	return b
}
