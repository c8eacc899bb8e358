package engine

import (
	"context"
	"testing"

	"github.com/kaskade-bcm/kaskade/notifiers/gsm7"
)

// TestForgettingInboundSeenFindsTheNameAsConfirmed: the replay bucket
// keeps the confirmation as sent, transliterated to GSM-7 ("Radić" →
// "Radic"); an erasure given the name as configured must still find it,
// and leave other people's entries.
func TestForgettingInboundSeenFindsTheNameAsConfirmed(t *testing.T) {
	js, _ := plainJS(t)
	e := New(Options{JS: js})
	ctx := context.Background()
	kv, err := e.InboundSeen(ctx)
	if err != nil {
		t.Fatal(err)
	}
	entries := map[string]string{
		"sms.a": gsm7.Transliterate("Danke, Ana Radić: Sie kommen. Hochwasser"),
		"sms.b": gsm7.Transliterate("Danke, Şükrü Yılmaz: Sie kommen in 30 Min."),
		"sms.c": "Danke, Eva Kranz: Sie kommen. Hochwasser",
	}
	for k, v := range entries {
		if _, err := kv.Create(ctx, k, []byte(v)); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct{ id, name, key string }{
		{"mi-ana-radic", "Ana Radić", "sms.a"},
		{"mi-suekrue-yilmaz", "Şükrü Yılmaz", "sms.b"},
	} {
		n, err := e.ForgetInboundSeen(ctx, []string{tc.id, tc.name, "+4915112345678", ""})
		if err != nil || n != 1 {
			t.Errorf("%s: removed %d, err %v; want 1", tc.name, n, err)
		}
		if _, err := kv.Get(ctx, tc.key); err == nil {
			t.Errorf("%s: the confirmation naming them is still in the bucket", tc.name)
		}
	}
	if v, err := kv.Get(ctx, "sms.c"); err != nil || string(v.Value()) != entries["sms.c"] {
		t.Fatalf("another person's entry: %v", err)
	}
}
