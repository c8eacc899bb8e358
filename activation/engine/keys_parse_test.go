package engine

import (
	"bytes"
	"encoding/json"
	"testing"
)

// parseKeyRecord reads what create writes without reflection and agrees
// with encoding/json on everything else.
func TestParseKeyRecord(t *testing.T) {
	key := bytes.Repeat([]byte{0xfb}, 32)
	marshal := func(rec keyRecord) string {
		data, err := json.Marshal(rec)
		if err != nil {
			t.Fatal(err)
		}
		return string(data)
	}
	for _, tc := range []struct {
		name, data string
		person     string
		ok         bool
	}{
		{"person key", marshal(keyRecord{Person: "p000001", Key: key}), "p000001", true},
		{"scope key", marshal(keyRecord{Key: key}), "", true},
		{"escaped person", marshal(keyRecord{Person: `a"b\c<`, Key: key}), `a"b\c<`, true},
		{"other spacing", `{ "k": "` + b64std(key) + `", "p": "x" }`, "x", true},
		{"shred marker", `{"k":null}`, "", false},
		{"short key", marshal(keyRecord{Person: "p", Key: key[:16]}), "", false},
		{"long key", marshal(keyRecord{Person: "p", Key: append(key, key...)}), "", false},
		{"bad base64", `{"p":"p","k":"!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!="}`, "", false},
		{"empty (purge marker)", ``, "", false},
		{"truncated", `{"p":"p000001","k":"` + b64std(key), "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec, ok := parseKeyRecord([]byte(tc.data))
			if ok != tc.ok {
				t.Fatalf("ok %v, want %v", ok, tc.ok)
			}
			if !ok {
				return
			}
			if rec.Person != tc.person || !bytes.Equal(rec.Key, key) {
				t.Errorf("got %q %x, want %q %x", rec.Person, rec.Key, tc.person, key)
			}
		})
	}
}

func b64std(b []byte) string {
	data, _ := json.Marshal(b)
	return string(data[1 : len(data)-1])
}
