package server

import (
	"net/http"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/kaskade-bcm/kaskade/activation"
	"github.com/kaskade-bcm/kaskade/activation/board"
	"github.com/kaskade-bcm/kaskade/activation/engine"
	"github.com/kaskade-bcm/kaskade/alerting/httpapi"
	"github.com/kaskade-bcm/kaskade/config"
)

// boardSource serves the board from the engine's projection.
type boardSource struct {
	*engine.Engine
	cfg       func() *config.Config // the configuration in force
	connected func() bool           // the NATS connection is up
}

// Ready tells the board whether its data is current: the log replayed and
// NATS reachable; otherwise open boards show the connection loss.
func (b boardSource) Ready() bool { return b.Engine.Ready() && b.connected() }

func (b boardSource) Scenarios() []activation.ScenarioInfo { return httpapi.Scenarios(b.cfg()) }

// wireBoard adds the situation centre's board, its login and live stream.
func (s *Server) wireBoard(cfg *config.Config, set *channelSet, auth *httpapi.Auth, publicURL string, reg prometheus.Registerer) {
	b := board.New(board.Options{Source: boardSource{Engine: s.Engine, cfg: s.CurrentConfig, connected: func() bool { return s.nc == nil || s.nc.IsConnected() }}, Auth: auth, // the board answers intake tokens 403 itself
		Logger: s.log.With("component", "board"), SecureCookies: strings.HasPrefix(publicURL, "https://"), Registerer: reg,
		TrustedProxies: cfg.Server.TrustedProxies})
	set.sessions = b
	s.board = b
	set.routes = append(set.routes, func(mux *http.ServeMux) { b.Register(mux) })
}
