package board

import (
	"net/http"
	"net/url"

	"github.com/kaskade-bcm/kaskade/activation/web"
)

// CardSource is implemented by a Source that prints emergency cards
// (Notfallkarte); without it GET /card/{org} answers 404.
type CardSource interface {
	// Card renders org's card as one HTML page in lang (de, en) and size
	// (a6, a4); false for an unknown organisation.
	Card(org, lang, size string) ([]byte, bool)
}

// handleCard serves GET /card/{org} (?lang=en, ?size=a4) to anyone logged
// in, viewers included: the card holds names and functions, no numbers of staff.
func (b *Board) handleCard(w http.ResponseWriter, r *http.Request) {
	if _, hasBearer := bearer(r); !hasBearer {
		if _, ok := b.sessionFor(r); !ok {
			q := url.Values{"next": {r.URL.RequestURI()}}
			if langOf(r) == "en" {
				q.Set("lang", "en")
			}
			http.Redirect(w, r, "/login?"+q.Encode(), http.StatusSeeOther)
			return
		}
	} else if _, ok := b.authenticate(w, r); !ok {
		return
	}
	cs, ok := b.src.(CardSource)
	if !ok {
		web.WriteError(w, http.StatusNotFound, "not_found", "emergency cards are not available on this server")
		return
	}
	size := r.URL.Query().Get("size")
	if size != "a4" {
		size = "a6"
	}
	page, ok := cs.Card(r.PathValue("org"), langOf(r), size)
	if !ok {
		web.WriteError(w, http.StatusNotFound, "not_found", "unknown organisation")
		return
	}
	web.SecureHTML(w.Header(), web.DocumentCSP)
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(page)
}
