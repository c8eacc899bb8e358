package server

import (
	"bytes"
	"testing"

	"github.com/kaskade-bcm/kaskade/activation/board"
	"github.com/kaskade-bcm/kaskade/config"
)

func TestBoardSourcePrintsCards(t *testing.T) {
	cfg, _, err := config.LoadExample()
	if err != nil {
		t.Fatal(err)
	}
	var src board.Source = boardSource{cfg: func() *config.Config { return cfg }}
	cs, ok := src.(board.CardSource)
	if !ok {
		t.Fatal("the server's board source does not print emergency cards")
	}
	if page, ok := cs.Card("MF", "en", "a4"); !ok || !bytes.Contains(page, []byte("Ministry of Finance")) {
		t.Errorf("card for MF: %v %.200s", ok, page)
	}
	if _, ok := cs.Card("NOPE", "de", "a6"); ok {
		t.Error("a card for an unknown organisation")
	}
}
