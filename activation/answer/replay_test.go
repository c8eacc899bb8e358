package answer

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/kaskade-bcm/kaskade/activation"
	"github.com/kaskade-bcm/kaskade/activation/answer/ack"
	"github.com/kaskade-bcm/kaskade/activation/engine"
	"github.com/kaskade-bcm/kaskade/activation/engine/enginetest"
)

// seenEngine is the fake engine with the engine's bucket of seen ids; the
// fake does not deduplicate by message id at all, as JetStream does not
// after its 2-minute window.
type seenEngine struct {
	*coreEngine
	kv jetstream.KeyValue
}

func (e seenEngine) InboundSeen(context.Context) (jetstream.KeyValue, error) { return e.kv, nil }

func seenBucket(t *testing.T, js jetstream.JetStream) jetstream.KeyValue {
	t.Helper()
	l := engine.Layout{}
	if err := l.Ensure(t.Context(), js); err != nil {
		t.Fatal(err)
	}
	kv, err := js.KeyValue(t.Context(), l.InboundSeenBucket())
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := kv.Status(t.Context()); st.TTL() < 48*time.Hour {
		t.Fatalf("bucket TTL %s, want at least 48 h", st.TTL())
	}
	return kv
}

func answerOf(eng *coreEngine, incident, person string) activation.ResponseKind {
	var k activation.ResponseKind
	eng.View(func(c *activation.Core) { k, _, _, _ = c.Answer(incident, person) })
	return k
}

// Issue 15, finding 1: a validly signed SMS sent again after the stream's
// dedup window turned a later "not available" back into "coming in 30".
func TestSMSReplayRecordsNothing(t *testing.T) {
	svc, eng, _ := setup(t, false)
	_, js := enginetest.JetStream(t)
	svc.Engine = seenEngine{eng, seenBucket(t, js)}
	ctx := context.Background()
	first, err := svc.SMSReply(ctx, lead, "2 30", "SM-first")
	if err != nil || !strings.Contains(first, "30") {
		t.Fatalf("first answer %q, %v", first, err)
	}
	if _, err := svc.SMSReply(ctx, lead, "3", "SM-later"); err != nil {
		t.Fatal(err)
	}
	inputs := len(eng.inputs)
	again, err := svc.SMSReply(ctx, lead, "2 30", "SM-first")
	if err != nil {
		t.Fatal(err)
	}
	if got := answerOf(eng, "K1", "mi-uwe-boehm"); got != activation.Unavailable {
		t.Fatalf("after the replay the answer is %q, want it to stay %q", got, activation.Unavailable)
	}
	if len(eng.inputs) != inputs {
		t.Fatalf("the replay submitted %d inputs, want none", len(eng.inputs)-inputs)
	}
	if again != first {
		t.Fatalf("replay answered %q, want the first confirmation %q", again, first)
	}
}

// A replay is refused by another instance after the NATS server restarted.
func TestSMSReplayRefusedAcrossRestartAndInstances(t *testing.T) {
	dir := t.TempDir()
	svcA, eng, _ := setup(t, false)
	js := restartable(t, dir)
	svcA.Engine = seenEngine{eng, seenBucket(t, js)}
	if _, err := svcA.SMSReply(context.Background(), lead, "2 30", "SM-first"); err != nil {
		t.Fatal(err)
	}
	if _, err := svcA.SMSReply(context.Background(), lead, "3", "SM-later"); err != nil {
		t.Fatal(err)
	}
	js = restartable(t, dir) // the server restarts on the same store
	kv, err := js.KeyValue(t.Context(), engine.Layout{}.InboundSeenBucket())
	if err != nil {
		t.Fatal(err)
	}
	svcB := &Service{Engine: seenEngine{eng, kv}, Config: svcA.Config, RetryFor: 50 * time.Millisecond}
	inputs := len(eng.inputs)
	if _, err := svcB.SMSReply(context.Background(), lead, "2 30", "SM-first"); err != nil {
		t.Fatal(err)
	}
	if len(eng.inputs) != inputs || answerOf(eng, "K1", "mi-uwe-boehm") != activation.Unavailable {
		t.Fatalf("another instance recorded the replay: answer %q", answerOf(eng, "K1", "mi-uwe-boehm"))
	}
}

// restartable starts a nats-server on dir (shutting down the previous one)
// and returns a client.
func restartable(t *testing.T, dir string) jetstream.JetStream {
	t.Helper()
	s, err := server.NewServer(&server.Options{JetStream: true, StoreDir: dir, DontListen: true, NoSigs: true, NoLog: true})
	if err != nil {
		t.Fatal(err)
	}
	s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats-server not ready")
	}
	nc, err := nats.Connect("", nats.InProcessServer(s))
	if err != nil {
		t.Fatal(err)
	}
	stop := func() { nc.Close(); s.Shutdown(); s.WaitForShutdown() }
	if prev, ok := restarts[dir]; ok {
		prev()
	}
	restarts[dir] = stop
	t.Cleanup(func() {
		if f, ok := restarts[dir]; ok {
			f()
			delete(restarts, dir)
		}
	})
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return js
}

var restarts = map[string]func(){}

// A delivery whose submission failed is not remembered: the provider's
// retry records it.
func TestSMSRetryAfterFailureRecords(t *testing.T) {
	svc, eng, _ := setup(t, false)
	_, js := enginetest.JetStream(t)
	svc.Engine = seenEngine{eng, seenBucket(t, js)}
	eng.down = true
	if _, err := svc.SMSReply(context.Background(), lead, "1", "SM-retry"); !errors.Is(err, engine.ErrUnavailable) {
		t.Fatalf("err %v, want unavailable", err)
	}
	eng.down = false
	text, err := svc.SMSReply(context.Background(), lead, "1", "SM-retry")
	if err != nil || !strings.Contains(text, "Danke") {
		t.Fatalf("retry answered %q, %v", text, err)
	}
	if got := answerOf(eng, "K1", "mi-uwe-boehm"); got != activation.Available {
		t.Fatalf("answer %q after the retry, want available", got)
	}
}

// A broken bucket means "come back later", never "record without replay
// protection".
func TestSMSSeenUnavailableMeans503(t *testing.T) {
	svc, eng, _ := setup(t, false)
	svc.Seen = brokenSeen{}
	if _, err := svc.SMSReply(context.Background(), lead, "1", "SM-x"); !errors.Is(err, engine.ErrUnavailable) {
		t.Fatalf("err %v, want unavailable", err)
	}
	if got := answerOf(eng, "K1", "mi-uwe-boehm"); got != "" {
		t.Fatalf("recorded %q without replay protection", got)
	}
}

type brokenSeen struct{}

func (brokenSeen) Lookup(context.Context, string) (string, bool, error) {
	return "", false, errors.New("nats: timeout")
}
func (brokenSeen) Remember(context.Context, string, string) error { return errors.New("nats: timeout") }

// notificationOf finds a notification of person in incident.
func notificationOf(t *testing.T, eng *coreEngine, incident, person string) string {
	t.Helper()
	var id string
	eng.View(func(c *activation.Core) {
		for i := 1; i < 100 && id == ""; i++ {
			nid := incident + "-n" + itoa(i)
			if n, _, ok := c.NotificationInfo(incident, nid); ok && n.Person == person {
				id = n.ID
			}
		}
	})
	if id == "" {
		t.Fatalf("no notification for %s in %s", person, incident)
	}
	return id
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + string(rune('0'+i%10))
}

const leadMail = "uwe.boehm@mi.niedersachsen.example"

func emailSetup(t *testing.T) (*Service, *coreEngine, *ack.Signer) {
	t.Helper()
	svc, eng, _ := setup(t, false)
	signer, err := ack.NewSigner([][]byte{[]byte("0123456789abcdef0123")}, time.Hour, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, js := enginetest.JetStream(t)
	svc.Engine, svc.ReplyTags = seenEngine{eng, seenBucket(t, js)}, signer
	return svc, eng, signer
}

// Issue 15, finding 2: mail with a forged From to kaskade+K1-n1 … K1-n59
// recorded answers. Guessable tags now record nothing.
func TestEmailGuessedTagsRecordNothing(t *testing.T) {
	svc, eng, _ := emailSetup(t)
	inputs := len(eng.inputs)
	for i := 1; i <= 59; i++ {
		err := svc.EmailAnswer(context.Background(), "K1-n"+itoa(i), leadMail, "3", "<guess-"+itoa(i)+"@evil.example>")
		var rej *Rejected
		if !errors.As(err, &rej) || rej.RejectReason() != RejectUnknownTag {
			t.Fatalf("tag K1-n%d: err %v, want rejected as unknown_tag", i, err)
		}
	}
	if len(eng.inputs) != inputs || answerOf(eng, "K1", "mi-uwe-boehm") != "" {
		t.Fatalf("guessed tags recorded %d inputs, answer %q", len(eng.inputs)-inputs, answerOf(eng, "K1", "mi-uwe-boehm"))
	}
}

func TestEmailInbound(t *testing.T) {
	cases := []struct {
		name   string
		tag    func(s *ack.Signer, n string) string
		from   string
		want   activation.ResponseKind
		reject string
		stored string // outcome of the stored raw message; "" = nothing stored
	}{
		{"signed tag from its person", func(s *ack.Signer, n string) string { return s.ReplyTag(n, "mi-uwe-boehm") },
			leadMail, activation.Delayed, "", OutcomeRecorded},
		{"tag folded to lower case", func(s *ack.Signer, n string) string { return strings.ToLower(s.ReplyTag(n, "mi-uwe-boehm")) },
			"Uwe.Boehm@MI.niedersachsen.example", activation.Delayed, "", OutcomeRecorded},
		{"signed tag, forged sender", func(s *ack.Signer, n string) string { return s.ReplyTag(n, "mi-uwe-boehm") },
			"silke.oltmanns@mi.niedersachsen.example", "", RejectSenderMismatch, OutcomeUnknownSender},
		{"tag signed for another person", func(s *ack.Signer, n string) string { return s.ReplyTag(n, "mi-silke-oltmanns") },
			leadMail, "", RejectUnknownTag, ""},
		{"bare notification id", func(_ *ack.Signer, n string) string { return n },
			leadMail, "", RejectUnknownTag, ""},
		{"tag from another key", func(_ *ack.Signer, n string) string {
			other, _ := ack.NewSigner([][]byte{[]byte("another-key-0123456789")}, time.Hour, nil)
			return other.ReplyTag(n, "mi-uwe-boehm")
		}, leadMail, "", RejectUnknownTag, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			svc, eng, signer := emailSetup(t)
			n := notificationOf(t, eng, "K1", "mi-uwe-boehm")
			inputs := len(eng.inputs)
			err := svc.EmailInbound(context.Background(), EmailIn{Tag: tc.tag(signer, n), From: tc.from, FirstLine: "2 20",
				MessageID: "<r1@mi.example>", Auth: "spf=pass dkim=pass dmarc=pass"})
			var rej *Rejected
			switch {
			case tc.reject == "" && err != nil:
				t.Fatal(err)
			case tc.reject != "" && (!errors.As(err, &rej) || rej.Reason != tc.reject):
				t.Fatalf("err %v, want rejected as %s", err, tc.reject)
			}
			if got := answerOf(eng, "K1", "mi-uwe-boehm"); got != tc.want {
				t.Fatalf("answer %q, want %q", got, tc.want)
			}
			if tc.stored == "" {
				if len(eng.inputs) != inputs {
					t.Fatalf("stored %d inputs for a forged tag, want none", len(eng.inputs)-inputs)
				}
				return
			}
			last := eng.inputs[len(eng.inputs)-1].Inbound
			if last == nil || last.Outcome != tc.stored || last.Auth != "spf=pass dkim=pass dmarc=pass" {
				t.Fatalf("stored %+v, want outcome %s with the auth results", last, tc.stored)
			}
		})
	}
}

// Without the signer no email answer can be attributed.
func TestEmailWithoutReplyTagSignerRefuses(t *testing.T) {
	svc, eng, signer := emailSetup(t)
	svc.ReplyTags = nil
	tag := signer.ReplyTag(notificationOf(t, eng, "K1", "mi-uwe-boehm"), "mi-uwe-boehm")
	var rej *Rejected
	if err := svc.EmailAnswer(context.Background(), tag, leadMail, "1", "<r@x>"); !errors.As(err, &rej) {
		t.Fatalf("err %v, want rejected", err)
	}
}

// A replayed Message-ID records nothing, also after a later answer.
func TestEmailReplayRecordsNothing(t *testing.T) {
	svc, eng, signer := emailSetup(t)
	tag := signer.ReplyTag(notificationOf(t, eng, "K1", "mi-uwe-boehm"), "mi-uwe-boehm")
	ctx := context.Background()
	for _, m := range []struct{ line, id string }{{"2 30", "<a@mi.example>"}, {"3", "<b@mi.example>"}} {
		if err := svc.EmailAnswer(ctx, tag, leadMail, m.line, m.id); err != nil {
			t.Fatal(err)
		}
	}
	inputs := len(eng.inputs)
	if err := svc.EmailAnswer(ctx, tag, leadMail, "2 30", "<a@mi.example>"); err != nil {
		t.Fatal(err)
	}
	if len(eng.inputs) != inputs || answerOf(eng, "K1", "mi-uwe-boehm") != activation.Unavailable {
		t.Fatalf("replay recorded: answer %q", answerOf(eng, "K1", "mi-uwe-boehm"))
	}
}
