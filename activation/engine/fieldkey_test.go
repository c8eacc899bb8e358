package engine

import (
	"bytes"
	"fmt"
	"testing"
)

// The field ciphers are cached up to maxCiphers; a cipher made again
// after the cache was emptied opens what the first one sealed, and a
// shred drops the derived keys with the ciphers.
func TestFieldKeyCacheIsBounded(t *testing.T) {
	k := newKeyring(Layout{}, nil)
	scopeKey, personKey := bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32)
	first, err := k.fieldKey("i.K1", scopeKey, "ref0", personKey)
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := sealString(first, "K1", "Erika Mustermann")
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 2*maxCiphers; i++ {
		if _, err := k.fieldKey("i.K1", scopeKey, fmt.Sprintf("ref%d", i), personKey); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(k.derived); n > maxCiphers {
		t.Errorf("%d ciphers cached, at most %d", n, maxCiphers)
	}
	if n := len(k.fieldKeys); n != 2*maxCiphers+1 {
		t.Errorf("%d derived keys cached, want %d", n, 2*maxCiphers+1)
	}
	again, err := k.fieldKey("i.K1", scopeKey, "ref0", personKey)
	if err != nil {
		t.Fatal(err)
	}
	if plain, err := openString(again, "K1", sealed); err != nil || plain != "Erika Mustermann" {
		t.Errorf("opened %q, %v", plain, err)
	}
	k.mu.Lock()
	k.derived, k.fieldKeys = nil, nil // what shred, load and forget do
	k.mu.Unlock()
	other, err := k.fieldKey("i.K1", scopeKey, "ref0", bytes.Repeat([]byte{3}, 32))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := openString(other, "K1", sealed); err == nil {
		t.Error("a cipher derived from another person key opened the field")
	}
}
