package server

import (
	"bytes"

	"github.com/kaskade-bcm/kaskade/activation/card"
)

// Card prints an organisation's emergency card for the board (board.CardSource).
func (b boardSource) Card(org, lang, size string) ([]byte, bool) {
	c, err := card.Build(b.cfg(), org, lang)
	if err != nil {
		return nil, false
	}
	var buf bytes.Buffer
	if err := card.Render(&buf, c, size); err != nil {
		return nil, false
	}
	return buf.Bytes(), true
}
