package main

import (
	"context"

	"github.com/kaskade-bcm/kaskade/activation/ack"
	"github.com/kaskade-bcm/kaskade/config"
)

func (s *server) wireEmail(ctx context.Context, cfg *config.Config, set *channelSet, signer *ack.Signer) error {
	return nil
}

func (s *server) wireBoard(cfg *config.Config, set *channelSet) {}
