package server

import (
	"github.com/kaskade-bcm/kaskade/cmd/internal/simulate"
)

// simulator builds the simulated responders (serve --simulate).
func (s *Server) simulator(o Options, set *channelSet) (*simulate.Simulator, error) {
	mix, err := simulate.ParseMix(o.SimulateMix)
	if err != nil {
		return nil, &UsageError{err.Error()}
	}
	lo, hi, err := simulate.ParseDelay(o.SimulateDelay)
	if err != nil {
		return nil, &UsageError{err.Error()}
	}
	token := ""
	if tc := s.Config.Channels.Twilio; tc != nil {
		token = tc.AuthToken.Value()
	}
	return simulate.New(simulate.Options{NC: s.nc, Subject: s.Layout.NotificationFilter(), Packs: s.Layout.PackFilter(), Engine: s.Engine, Config: s.Config,
		BaseURL: s.URL, PublicURL: set.publicURL, TwilioToken: token, Signer: set.signer, Mix: mix, DelayMin: lo, DelayMax: hi,
		Logger: s.log.With("component", "simulate")}), nil
}
