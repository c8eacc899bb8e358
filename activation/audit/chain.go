// Package audit owns the tamper evidence of the event log: a hash chain in
// which every event carries, in its "prev" field, the SHA-256 of the stored
// bytes of the event before it. Chain links events for the one writer (the
// engine); Verifier checks a stored log and names the first break.
//
// Format (version 1): Hash(raw) is the lower-case hex SHA-256 of a message's
// data exactly as stored. Event i's prev is Hash(event i-1); the first event
// of a log links to Genesis, the hash of nothing. Events written before the chain was switched
// on have no prev; the first chained event links to the last of them, and
// from there on every event must link. A snapshot records the head (the hash
// of the last event it covers), so verification can start at a checkpoint.
package audit

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"github.com/kaskade-bcm/kaskade/activation"
)

// Genesis is the prev of a log's first event.
var Genesis = Hash(nil)

// Hash is the chain hash of one stored message.
func Hash(raw []byte) string {
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:])
}

// Chain links the events the writer appends. After a failed append the
// writer must Reset it to the hash of the log's last stored event, since a
// failed publish may still have been stored.
type Chain struct{ head string }

// NewChain continues a log whose last stored event hashes to head (Genesis
// for an empty log, also when head is "").
func NewChain(head string) *Chain {
	if head == "" {
		head = Genesis
	}
	return &Chain{head: head}
}

// Head is the hash of the last linked event.
func (c *Chain) Head() string { return cmp.Or(c.head, Genesis) }

// Reset sets the head, after a failed append or at the start of a lead.
func (c *Chain) Reset(head string) { c.head = head }

// Link sets ev.Prev and returns the bytes to store; the head moves on.
func (c *Chain) Link(ev *activation.Event) ([]byte, error) {
	ev.Prev = cmp.Or(c.head, Genesis) // the zero Chain starts an empty log
	data, err := json.Marshal(ev)
	if err != nil {
		return nil, fmt.Errorf("audit: encode event: %w", err)
	}
	c.head = Hash(data)
	return data, nil
}
