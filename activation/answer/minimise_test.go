package answer

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/kaskade-bcm/kaskade/activation"
)

const thirdParty = "Hier ist Erika Musterfrau, wer sind Sie?"

func TestMessagesFromUnknownSendersKeepOnlyLengthAndHash(t *testing.T) {
	sum := sha256.Sum256([]byte(thirdParty))
	hash := "sha256:" + hex.EncodeToString(sum[:])
	for _, tc := range []struct {
		name     string
		send     func(t *testing.T) *activation.Inbound
		wantBody string
		wantHash string
	}{
		{"SMS from an unknown number", func(t *testing.T) *activation.Inbound {
			svc, eng, _ := setup(t, true)
			if _, err := svc.SMSReply(context.Background(), "+4915199999999", thirdParty, "SM9"); err != nil {
				t.Fatal(err)
			}
			return eng.inputs[len(eng.inputs)-1].Inbound
		}, "", hash},
		{"SMS from a person", func(t *testing.T) *activation.Inbound {
			svc, eng, _ := setup(t, true)
			if _, err := svc.SMSReply(context.Background(), lead, thirdParty, "SM9"); err != nil {
				t.Fatal(err)
			}
			return eng.inputs[len(eng.inputs)-1].Inbound
		}, thirdParty, ""},
		{"email with a forged sender", func(t *testing.T) *activation.Inbound {
			svc, eng, signer := emailSetup(t)
			n := notificationOf(t, eng, "K1", "mi-uwe-boehm")
			_ = svc.EmailInbound(context.Background(), EmailIn{Tag: signer.ReplyTag(n, "mi-uwe-boehm"),
				From: "erika.musterfrau@example.org", FirstLine: thirdParty, MessageID: "<x1@example.org>"})
			return eng.inputs[len(eng.inputs)-1].Inbound
		}, "", hash},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.send(t)
			if in == nil || in.Body != tc.wantBody || in.Hash != tc.wantHash {
				t.Fatalf("stored %+v, want body %q and hash %q", in, tc.wantBody, tc.wantHash)
			}
			if tc.wantHash != "" && (in.Len != len([]rune(thirdParty)) || in.Outcome != OutcomeUnknownSender ||
				strings.Contains(in.From, "99999999") || strings.Contains(in.From, "erika")) {
				t.Fatalf("stored %+v, want the length, outcome unknown_sender and a masked sender", in)
			}
		})
	}
}
