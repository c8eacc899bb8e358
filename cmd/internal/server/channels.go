package server

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/kaskade-bcm/kaskade/activation/answer"
	"github.com/kaskade-bcm/kaskade/activation/answer/ack"
	"github.com/kaskade-bcm/kaskade/activation/compose"
	"github.com/kaskade-bcm/kaskade/alerting/httpapi"
	"github.com/kaskade-bcm/kaskade/config"
	"github.com/kaskade-bcm/kaskade/notifiers"
	"github.com/kaskade-bcm/kaskade/notifiers/console"
)

// channelSet is everything channel-specific the server wires: notifiers,
// the composer, inbound routes (webhooks, ack pages, board) and background
// listeners.
type channelSet struct {
	notifiers  map[string]notifiers.Notifier
	composer   *compose.Composer
	sessions   httpapi.Sessions
	routes     []func(mux *http.ServeMux)
	signer     *ack.Signer
	publicURL  string
	background []func(ctx context.Context) error
	outbox     func(person string) ([]json.RawMessage, error) // the console outbox, for person exports
	outboxFile *console.Notifier                              // the console channel's outbox (nil when off), for erasure and retention
}

func (c *channelSet) register(mux *http.ServeMux) {
	for _, r := range c.routes {
		r(mux)
	}
}

func (s *Server) channels(ctx context.Context, cfg *config.Config, o Options, reg prometheus.Registerer, auth *httpapi.Auth) (*channelSet, error) {
	set := &channelSet{notifiers: map[string]notifiers.Notifier{}}
	signer, err := ackSigner(cfg, o.DataDir)
	if err != nil {
		return nil, err
	}
	publicURL := strings.TrimRight(cmp.Or(o.PublicURL, cfg.Server.PublicURL), "/")
	if publicURL == "" {
		publicURL = "http://" + o.HTTPAddr
	}
	set.signer, set.publicURL = signer, publicURL
	s.inbound().ReplyTags = signer // email reply tags are signed with the ack keys
	set.composer = compose.New(compose.Options{Config: cfg, Signer: signer, PublicURL: publicURL,
		EmailReplies: cfg.Channels.Email != nil && cfg.Channels.Email.Listener != nil})

	outbox := filepath.Join(o.DataDir, "outbox.jsonl")
	// Files of an earlier run with the console on are still the person's data.
	set.outbox = func(person string) ([]json.RawMessage, error) {
		return console.PersonLines(outbox, console.DefaultKeep, person)
	}
	if !cfg.Channels.Console.Disabled {
		out, err := console.New(console.Options{OutboxPath: outbox, Logger: s.log.With("component", "outbox")})
		if err != nil {
			return nil, err
		}
		set.outbox, set.outboxFile = out.PersonLines, out
		set.notifiers[config.ChannelConsole] = out
		for _, ch := range cfg.Channels.Console.As {
			set.notifiers[ch] = out
		}
	}
	if err := s.wireTwilio(ctx, cfg, set, reg, publicURL); err != nil {
		return nil, err
	}
	if err := s.wireVoice(cfg, set, reg, publicURL); err != nil { // wire_voice.go
		return nil, err
	}
	if err := s.wireEmail(cfg, set, reg); err != nil {
		return nil, err
	}
	for ch, n := range o.Notifiers {
		set.notifiers[ch] = n
	}
	s.wireBoard(cfg, set, auth, publicURL, reg)
	acks := ack.NewHandler(ack.HandlerOptions{Signer: signer, Sink: answer.Ack{Service: s.inbound()}, Logger: s.log.With("component", "ack")})
	set.routes = append(set.routes, func(mux *http.ServeMux) {
		mux.Handle("GET /ack/{token}", acks)
		mux.Handle("POST /ack/{token}", acks)
	})
	channels := make([]string, 0, len(set.notifiers))
	for ch := range set.notifiers {
		channels = append(channels, ch)
	}
	slices.Sort(channels)
	s.log.Info("channels ready", "channels", strings.Join(channels, ","))
	return set, nil
}

// ackSigner uses the configured keys, or a key generated once per data
// directory so links stay valid across restarts.
func ackSigner(cfg *config.Config, dataDir string) (*ack.Signer, error) {
	var keys [][]byte
	for _, k := range cfg.Server.AckKeys {
		if k.IsSet() {
			keys = append(keys, []byte(k.Value()))
		}
	}
	if len(keys) == 0 {
		path := filepath.Join(dataDir, "ack.key")
		data, err := os.ReadFile(path)
		if errors.Is(err, os.ErrNotExist) {
			b := make([]byte, 32)
			_, _ = rand.Read(b)
			data = []byte(hex.EncodeToString(b))
			if err := os.WriteFile(path, data, 0o600); err != nil {
				return nil, fmt.Errorf("ack key: %w", err)
			}
		} else if err != nil {
			return nil, fmt.Errorf("ack key: %w", err)
		}
		keys = append(keys, []byte(strings.TrimSpace(string(data))))
	}
	return ack.NewSigner(keys, cfg.Server.AckTTL.D(), nil)
}

func maskNumber(n string) string { return notifiers.MaskNumber(n) }
