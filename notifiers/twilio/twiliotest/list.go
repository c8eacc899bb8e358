package twiliotest

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// listPage is api.v2010.account.message's list answer (ListMessageResponse).
type listPage struct {
	Messages        []messageJSON `json:"messages"`
	End             int           `json:"end"`
	FirstPageURI    string        `json:"first_page_uri"`
	NextPageURI     *string       `json:"next_page_uri"`
	Page            int           `json:"page"`
	PageSize        int           `json:"page_size"`
	PreviousPageURI *string       `json:"previous_page_uri"`
	Start           int           `json:"start"`
	URI             string        `json:"uri"`
}

// listFilter is the query of a Read Multiple Messages request.
type listFilter struct {
	to, from          string
	on, after, before time.Time // zero: not given
}

// list answers GET Messages.json: newest first, filtered by To, From and
// DateSent (=, <, >; inclusive, as Twilio documents <= and >=; messages not
// yet sent have no date and match no DateSent filter), paged by PageSize
// (default 50), Page and PageToken with next_page_uri as Twilio does.
func (s *Server) list(w http.ResponseWriter, r *http.Request, account string) {
	q := r.URL.Query()
	f, ok := parseListFilter(q)
	if !ok {
		s.fail(w, Failure{Status: 400, Code: 20001, Message: "Invalid DateSent filter"}, 0)
		return
	}
	size, page, offset := 50, 0, 0
	if v := q.Get("PageSize"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			s.fail(w, Failure{Status: 400, Code: 20001, Message: "PageSize must be between 1 and 1000"}, 0)
			return
		}
		size = n
	}
	if v := q.Get("Page"); v != "" {
		page, _ = strconv.Atoi(v)
	}
	if v, ok := strings.CutPrefix(q.Get("PageToken"), "PA"); ok {
		offset, _ = strconv.Atoi(v)
	} else {
		offset = page * size
	}
	match := s.matching(account, f)
	p := listPage{Messages: []messageJSON{}, Page: page, PageSize: size, Start: offset}
	for i := offset; i < len(match) && i < offset+size; i++ {
		p.Messages = append(p.Messages, resource(match[i]))
	}
	p.End = max(offset+len(p.Messages)-1, offset)
	base := "/2010-04-01/Accounts/" + account + "/Messages.json"
	pageURI := func(page, offset int) string {
		v := url.Values{}
		for _, k := range []string{"To", "From", "DateSent", "DateSent<", "DateSent>"} {
			if q.Has(k) {
				v.Set(k, q.Get(k))
			}
		}
		v.Set("PageSize", strconv.Itoa(size))
		v.Set("Page", strconv.Itoa(page))
		if offset > 0 {
			v.Set("PageToken", "PA"+strconv.Itoa(offset))
		}
		return base + "?" + v.Encode()
	}
	p.URI, p.FirstPageURI = pageURI(page, offset), pageURI(0, 0)
	if offset+size < len(match) {
		next := pageURI(page+1, offset+size)
		p.NextPageURI = &next
	}
	if offset > 0 {
		prev := pageURI(max(page-1, 0), max(offset-size, 0))
		p.PreviousPageURI = &prev
	}
	writeJSON(w, http.StatusOK, p)
}

func parseListFilter(q url.Values) (listFilter, bool) {
	f := listFilter{to: q.Get("To"), from: q.Get("From")}
	ok := true
	for k, dst := range map[string]*time.Time{"DateSent": &f.on, "DateSent>": &f.after, "DateSent<": &f.before} {
		v := q.Get(k)
		if v == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			t, err = time.Parse(time.DateOnly, v)
		}
		ok = ok && err == nil
		*dst = t.UTC()
	}
	return f, ok
}

// matching returns copies of the account's messages that pass f, newest first.
func (s *Server) matching(account string, f listFilter) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Message
	for i := len(s.messages) - 1; i >= 0; i-- {
		m := s.messages[i]
		if m.AccountSID == account && f.passes(m) {
			out = append(out, *m)
		}
	}
	return out
}

func (f listFilter) passes(m *Message) bool {
	if (f.to != "" && m.To != f.to) || (f.from != "" && m.From != f.from) {
		return false
	}
	if f.on.IsZero() && f.after.IsZero() && f.before.IsZero() {
		return true
	}
	sent, ok := dateSent(*m)
	if !ok {
		return false
	}
	sent = sent.Truncate(time.Second)
	switch {
	case !f.on.IsZero() && !sameDay(sent, f.on):
		return false
	case !f.after.IsZero() && sent.Before(f.after.Truncate(time.Second)):
		return false
	case !f.before.IsZero() && sent.After(f.before):
		return false
	}
	return true
}

// dateSent is when a message left the queue; queued and accepted ones have none.
func dateSent(m Message) (time.Time, bool) {
	if m.Status == "queued" || m.Status == "accepted" {
		return time.Time{}, false
	}
	return m.Updated.UTC(), true
}

func sameDay(a, b time.Time) bool {
	ay, am, ad := a.Date()
	by, bm, bd := b.Date()
	return ay == by && am == bm && ad == bd
}
