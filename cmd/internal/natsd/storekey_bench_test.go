package natsd_test

import (
	"strings"
	"testing"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/kaskade-bcm/kaskade/cmd/internal/natsd"
)

// BenchmarkStoreCipher appends events of a typical size (about 400 bytes)
// to a file stream per cipher; ns/op is the cost per stored event.
func BenchmarkStoreCipher(b *testing.B) {
	event := []byte(`{"v":1,"incident":"K7","kind":"notification_requested","at":"2026-12-03T03:12:00Z","notification":{"id":"K7-n123","person":"mi-uwe-boehm","channel":"sms","purpose":"alert","org":"MI","function":"lead","node":0,"tier":0,"step":0},"input":4711,"batch":4711` + strings.Repeat(" ", 150) + `}`)
	for _, cipher := range []string{"none", "chacha", "aes"} {
		b.Run(cipher, func(b *testing.B) {
			e, err := natsd.Start(natsd.Options{DataDir: b.TempDir(), Listen: "off", StoreCipher: cipher})
			if err != nil {
				b.Fatal(err)
			}
			defer e.Shutdown()
			nc, err := e.Connect()
			if err != nil {
				b.Fatal(err)
			}
			defer nc.Close()
			js, _ := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(4096))
			if _, err := js.CreateStream(b.Context(), jetstream.StreamConfig{Name: "EV", Subjects: []string{"ev.>"}}); err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(event)))
			b.ResetTimer()
			for i := range b.N {
				if _, err := js.PublishAsync("ev.K7", event); err != nil {
					b.Fatal(err)
				}
				if i%1024 == 1023 { // a bounded window: no stalls on a busy machine
					<-js.PublishAsyncComplete()
				}
			}
			<-js.PublishAsyncComplete()
		})
	}
}
