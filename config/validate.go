package config

import (
	"encoding/hex"
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"regexp"
	"slices"
	"strings"
)

// validator checks a decoded Config and reports problems with the line of
// the YAML path they concern.
type validator struct {
	c    *Config
	file string
	// lineOf finds the line of a path or its nearest ancestor; nil for
	// configurations built in Go.
	lineOf     func(string) int
	peopleFile *peopleFile // where the people from a people file are; nil without one
	probs      *Problems
	longest    map[string]TemplateData // longestNames per language
	// nodePolicy is the policy a node runs under when it or an ancestor
	// names one (a node without a policy inherits its parent's, as the
	// engine's plan does); nodes under the tree's policy are not in it.
	nodePolicy map[*Node]string
}

func (v *validator) add(sev Severity, path, format string, args ...any) {
	p := Problem{File: v.file, Path: path, Severity: sev, Message: fmt.Sprintf(format, args...)}
	if line, col, column, ok := v.peopleFile.locate(path); ok {
		p.File, p.Line, p.Column, p.Path = v.peopleFile.name, line, col, column
	} else {
		p.Line = v.line(path)
	}
	*v.probs = append(*v.probs, p)
}

func (v *validator) errorf(path, format string, args ...any) { v.add(Error, path, format, args...) }
func (v *validator) warnf(path, format string, args ...any)  { v.add(Warning, path, format, args...) }

// at says where path is for a message about another entry at other: "line
// 12", or "people.csv:12" when the two are in different files.
func (v *validator) at(path, other string) string {
	line, _, _, inPeople := v.peopleFile.locate(path)
	_, _, _, otherInPeople := v.peopleFile.locate(other)
	switch {
	case !inPeople:
		line = v.line(path)
		if otherInPeople {
			return fmt.Sprintf("%s:%d", v.file, line)
		}
	case !otherInPeople:
		return fmt.Sprintf("%s:%d", v.peopleFile.name, line)
	}
	return fmt.Sprintf("line %d", line)
}

// line finds the line of path, or of its nearest ancestor that is in the
// file (a missing key is reported at the entry that lacks it).
func (v *validator) line(path string) int {
	if v.lineOf == nil {
		return 0
	}
	return v.lineOf(path)
}

// ids tracks the ids of one kind. Ids must be usable as NATS subject
// tokens, URL segments and metric labels, hence the token pattern.
type ids struct {
	kind string
	seen map[string]string // id → path of first use
}

func (v *validator) newIDs(kind string) *ids {
	return &ids{kind: kind, seen: map[string]string{}}
}

// isToken reports whether id matches ^[A-Za-z0-9_-]+$ (a loop, not a
// regexp: it runs for every person and node).
func isToken(id string) bool {
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return id != ""
}

// checkID reports a missing, malformed or repeated id.
func (v *validator) checkID(s *ids, path, id string) {
	switch {
	case id == "":
		v.errorf(path, "%s id is missing", s.kind)
		return
	case !isToken(id):
		v.errorf(path, "%s id %q may only contain letters, digits, _ and - (ids are used in NATS subjects and URLs)", s.kind, id)
	}
	if first, dup := s.seen[id]; dup {
		v.errorf(path, "duplicate %s id %q (first at %s)", s.kind, id, v.at(first, path))
		return
	}
	s.seen[id] = path
}

func (v *validator) validate() {
	c := v.c
	if c.Version != 1 {
		v.errorf("version", "version must be 1, got %d", c.Version)
	}
	v.people() // normalises mobiles and emails, which the index needs
	v.phones() // voice.go
	v.voiceFrom()
	packPeople(c.People)
	c.idx = buildIndex(c)

	v.defaults()
	v.server()
	v.nats()
	v.channels()
	v.tokens()
	v.functions()
	v.organisations()
	v.peopleRefs()
	v.policies()
	v.callTrees()
	v.readiness()
	v.neverAlerted()
	v.scenarios()
	v.systemTemplates()
	v.proposalRules()
}

func (v *validator) language(path, lang string) {
	if lang != LangDE && lang != LangEN {
		v.errorf(path, "language must be de or en, got %q", lang)
	}
}

func (v *validator) defaults() {
	d := v.c.Defaults
	v.language("defaults.language", d.Language)
	if !validRegion(d.Region) {
		v.errorf("defaults.region", "unknown phone region %q (use an ISO country code such as DE)", d.Region)
	}
	if d.Policy != "" {
		if _, ok := v.c.Policy(d.Policy); !ok {
			v.errorf("defaults.policy", "unknown policy %q", d.Policy)
		}
	}
	v.wait("defaults.wait", d.Wait)
}

// wait checks a wait before deputies that is set (0 means not set here;
// a written 0 was refused by the decoder).
func (v *validator) wait(path string, w Duration) {
	switch {
	case w < 0:
		v.errorf(path, "wait must be positive")
	case w > 0 && w.D() < MinWait:
		v.errorf(path, "wait must be at least %s (the escalation timers count in seconds), got %s", MinWait, w)
	case w > 0 && w.D() < shortWait:
		v.warnf(path, "wait %s is shorter than %s: deputies are alerted before the primary can read and answer", w, shortWait)
	}
}

func (v *validator) httpURL(path, raw string) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		v.errorf(path, "%q is not an absolute http(s) URL", raw)
	}
}

func (v *validator) server() {
	if u := v.c.Server.PublicURL; u != "" {
		v.httpURL("server.public_url", u)
	} else if v.c.Channels.Twilio != nil {
		v.warnf("server.public_url", "public_url is not set; Twilio cannot deliver replies and status callbacks")
	}
	for i, p := range v.c.Server.TrustedProxies {
		if p != p.Masked() {
			v.errorf(fmt.Sprintf("server.trusted_proxies[%d]", i), "%s has bits set after the prefix; write %s", p, p.Masked())
		} else if p.Bits() == 0 {
			// Every client would be a proxy: its own X-Forwarded-For would
			// choose the address that the wrong-token limits count.
			v.warnf(fmt.Sprintf("server.trusted_proxies[%d]", i), "%s trusts every client as a proxy: anyone can set X-Forwarded-For "+
				"and evade the per-address limits on wrong tokens; list the reverse proxies' addresses", p)
		}
	}
	if b := v.c.Server.SMSSegmentBudget; b < 1 || b > MaxSMSSegments {
		v.errorf("server.sms_segment_budget", "must be between 1 and %d, got %d", MaxSMSSegments, b)
	}
	if d := v.c.Server.ProviderRetryFor.D(); d < minProviderRetryFor || d > maxProviderRetryFor {
		v.errorf("server.provider_retry_for", "must be between %v and %v, got %v (how long a provider outage is waited out before the next channel or deputy)",
			minProviderRetryFor, maxProviderRetryFor, d)
	}
}

func (v *validator) email(path, addr string) (string, bool) {
	a, err := mail.ParseAddress(addr)
	if err != nil {
		v.errorf(path, "%q is not an email address", addr)
		return "", false
	}
	return a.Address, true
}

// secretRequired reports a secret that was not written at all (a written
// one that failed to resolve was already reported by the decoder).
func (v *validator) secretRequired(path string, s Secret) {
	if !s.IsSet() && s.Env == "" && s.File == "" {
		v.errorf(path, "is required")
	}
}

func (v *validator) channels() {
	ch := v.c.Channels
	for i, as := range ch.Console.As {
		if as != ChannelSMS && as != ChannelEmail && as != ChannelVoice {
			v.errorf(fmt.Sprintf("channels.console.as[%d]", i), "must be sms, voice or email, got %q", as)
		}
	}
	if ch.Console.Disabled && ch.Twilio == nil && ch.Email == nil {
		v.errorf("channels", "no channel is configured: the console is disabled and neither twilio nor email is set")
	}
	if t := ch.Twilio; t != nil {
		const p = "channels.twilio"
		if !regexp.MustCompile(`^AC[0-9a-fA-F]{32}$`).MatchString(t.AccountSID) {
			v.errorf(p+".account_sid", "must be AC followed by 32 hex digits, got %q", t.AccountSID)
		}
		v.secretRequired(p+".auth_token", t.AuthToken)
		switch {
		case t.From == "" && t.MessagingServiceSID == "":
			v.errorf(p, "set from or messaging_service_sid")
		case t.MessagingServiceSID != "" && !regexp.MustCompile(`^MG[0-9a-fA-F]{32}$`).MatchString(t.MessagingServiceSID):
			v.errorf(p+".messaging_service_sid", "must be MG followed by 32 hex digits, got %q", t.MessagingServiceSID)
		}
		if t.From != "" && !regexp.MustCompile(`^(\+[1-9][0-9]{6,14}|[A-Za-z0-9 ]*[A-Za-z][A-Za-z0-9 ]*)$`).MatchString(t.From) {
			v.errorf(p+".from", "must be an E.164 number such as +4915100001234 or an alphanumeric sender id, got %q", t.From)
		} else if !strings.HasPrefix(t.From, "+") && len(t.From) > 11 {
			v.errorf(p+".from", "an alphanumeric sender id has at most 11 characters, got %q", t.From)
		}
		v.httpURL(p+".api_url", t.APIURL)
		// Twilio accepts a validity period of 1 to 36000 seconds.
		if t.ValidityPeriod.D().Seconds() < 1 || t.ValidityPeriod.D().Seconds() > 36000 {
			v.errorf(p+".validity_period", "must be between 1s and 10h, got %s", t.ValidityPeriod)
		}
		if t.RatePerSecond < 0 {
			v.errorf(p+".rate_per_second", "must not be negative")
		}
		if t.Concurrency < 1 {
			v.errorf(p+".concurrency", "must be at least 1, got %d", t.Concurrency)
		}
	}
	if e := ch.Email; e != nil {
		const p = "channels.email"
		if e.Host == "" {
			v.errorf(p+".host", "is required")
		}
		if e.Port < 1 || e.Port > 65535 {
			v.errorf(p+".port", "must be between 1 and 65535, got %d", e.Port)
		}
		if !slices.Contains([]string{"mandatory", "opportunistic", "none", "implicit"}, e.TLS) {
			v.errorf(p+".tls", "must be mandatory, opportunistic, none or implicit, got %q", e.TLS)
		}
		if e.Username != "" {
			v.secretRequired(p+".password", e.Password)
		}
		if e.From == "" {
			v.errorf(p+".from", "is required")
		} else {
			v.email(p+".from", e.From)
		}
		if e.ReplyTo != "" {
			v.email(p+".reply_to", e.ReplyTo)
		}
		if l := e.Listener; l != nil {
			if _, _, err := net.SplitHostPort(l.Addr); err != nil {
				v.errorf(p+".listener.addr", "must be host:port, got %q", l.Addr)
			}
			if l.Domain == "" {
				v.errorf(p+".listener.domain", "is required")
			}
			v.replyDomain(p, e.ReplyTo, l.Domain)
			if (l.TLSCertFile == "") != (l.TLSKeyFile == "") {
				v.errorf(p+".listener.tls_cert_file", "tls_cert_file and tls_key_file go together")
			}
			if l.RequireTLS && l.TLSCertFile == "" {
				v.errorf(p+".listener.require_tls", "needs tls_cert_file and tls_key_file (STARTTLS)")
			}
			if l.RequireAuthPass && l.AuthServID == "" {
				v.errorf(p+".listener.require_auth_pass", "needs authserv_id: whose Authentication-Results to trust")
			}
			if l.RejectLimit < 0 || l.RejectWindow < 0 {
				v.errorf(p+".listener.reject_limit", "reject_limit and reject_window must not be negative")
			}
		}
	}
}

// replyDomain checks that replies reach the listener: they go to
// reply_to plus-addresses, and the listener accepts only its domain's.
func (v *validator) replyDomain(p, replyTo, domain string) {
	if replyTo == "" {
		v.errorf(p+".reply_to", "is required with a listener: replies go to its plus-addresses")
		return
	}
	a, err := mail.ParseAddress(replyTo)
	if err != nil || domain == "" {
		return // reported already
	}
	if d := a.Address[strings.LastIndexByte(a.Address, '@')+1:]; !strings.EqualFold(d, domain) {
		v.errorf(p+".listener.domain", "%q is not the domain of reply_to (%q): the listener would refuse every reply", domain, d)
	}
}

func (v *validator) tokens() {
	names := v.newIDs("token name")
	hashes := map[string]string{}
	for i, t := range v.c.Tokens {
		p := fmt.Sprintf("tokens[%d]", i)
		v.checkID(names, p+".name", t.Name)
		switch t.Role {
		case RoleViewer, RoleDutyOfficer, RoleAdmin, RoleIntake:
		default:
			v.errorf(p+".role", "role must be viewer, duty_officer, admin or intake, got %q", t.Role)
		}
		if _, err := hex.DecodeString(t.SHA256); err != nil || len(t.SHA256) != 64 {
			v.errorf(p+".sha256", "must be 64 hex digits (sha256 of the token), got %d characters", len(t.SHA256))
		} else if first, dup := hashes[strings.ToLower(t.SHA256)]; dup {
			v.errorf(p+".sha256", "same hash as %s", first)
		} else {
			hashes[strings.ToLower(t.SHA256)] = p
		}
	}
}

func (v *validator) functions() {
	s := v.newIDs("function")
	for i, f := range v.c.Functions {
		p := fmt.Sprintf("functions[%d]", i)
		v.checkID(s, p+".id", f.ID)
		v.checkNames(p+".name", f.Name)
	}
}

func (v *validator) organisations() {
	s := v.newIDs("organisation")
	for i, o := range v.c.Organisations {
		p := fmt.Sprintf("organisations[%d]", i)
		v.checkID(s, p+".id", o.ID)
		v.checkNames(p+".name", o.Name)
		if !slices.Contains([]string{KindMinistry, KindMunicipality, KindAgency}, o.Kind) {
			v.errorf(p+".kind", "kind must be ministry, municipality or agency, got %q", o.Kind)
		}
		if o.CallTree != "" {
			t, ok := v.c.CallTree(o.CallTree)
			switch {
			case !ok:
				v.errorf(p+".call_tree", "unknown call tree %q", o.CallTree)
			case t.Organisation != o.ID:
				v.errorf(p+".call_tree", "call tree %q belongs to organisation %q", o.CallTree, t.Organisation)
			}
		}
	}
}

// people validates ids and contact points and normalises mobiles to E.164
// and emails to bare addresses. References are checked in peopleRefs once
// the index exists.
func (v *validator) people() {
	s := v.newIDs("person")
	mobiles := map[string]string{}
	emails := map[string]string{}
	normalised := normaliseAll(v.c.People, v.c.Defaults.Region)
	for i := range v.c.People {
		pe := &v.c.People[i]
		p := fmt.Sprintf("people[%d]", i)
		v.checkID(s, p+".id", pe.ID)
		v.checkName(p+".name", pe.Name, true, "name is required")
		v.language(p+".language", pe.Language)
		if pe.Mobile == "" && pe.Email == "" && pe.Phone == "" {
			v.errorf(p, "person %q has neither mobile nor email and cannot be alerted", pe.ID)
		}
		if pe.Mobile != "" {
			e164, err := normalised[i].e164, normalised[i].err
			if err != nil {
				v.errorf(p+".mobile", "%v", err)
			} else if first, dup := mobiles[e164]; dup {
				// Inbound SMS replies are matched by number, so it must be unique.
				v.errorf(p+".mobile", "%s is also the mobile of %s; replies could not be told apart", e164, first)
			} else {
				mobiles[e164] = pe.ID
				pe.Mobile = e164
			}
		}
		if pe.Email != "" {
			if addr, ok := v.email(p+".email", pe.Email); ok {
				pe.Email = addr
				key := strings.ToLower(addr)
				if first, dup := emails[key]; dup {
					v.warnf(p+".email", "%s is also the email of %s", addr, first)
				} else {
					emails[key] = pe.ID
				}
			}
		}
	}
}

// packPeople copies each person's own texts (id, name, mobile, email, phone)
// into one shared string, fewer objects for the collector (docs/BENCHMARKS.md).
// Call tree nodes take their person ids from here, so it runs before they are checked.
func packPeople(people []Person) {
	n := 0
	for i := range people {
		p := &people[i]
		n += len(p.ID) + len(p.Name) + len(p.Mobile) + len(p.Email) + len(p.Phone)
	}
	var b strings.Builder
	b.Grow(n)
	for i := range people {
		p := &people[i]
		b.WriteString(p.ID)
		b.WriteString(p.Name)
		b.WriteString(p.Mobile)
		b.WriteString(p.Email)
		b.WriteString(p.Phone)
	}
	all := b.String()
	take := func(s *string) {
		*s, all = all[:len(*s)], all[len(*s):]
	}
	for i := range people {
		p := &people[i]
		take(&p.ID)
		take(&p.Name)
		take(&p.Mobile)
		take(&p.Email)
		take(&p.Phone)
	}
}

func (v *validator) peopleRefs() {
	for i, pe := range v.c.People {
		p := fmt.Sprintf("people[%d]", i)
		if pe.Organisation == "" {
			v.errorf(p+".organisation", "organisation is required")
		} else if _, ok := v.c.Organisation(pe.Organisation); !ok {
			v.errorf(p+".organisation", "unknown organisation %q", pe.Organisation)
		}
		for j, f := range pe.Functions {
			if _, ok := v.c.Function(f); !ok {
				v.errorf(fmt.Sprintf("%s.functions[%d]", p, j), "unknown function %q", f)
			}
		}
	}
}

func (v *validator) policies() {
	s := v.newIDs("policy")
	for i, pol := range v.c.Policies {
		p := fmt.Sprintf("policies[%d]", i)
		v.checkID(s, p+".id", pol.ID)
		if len(pol.Steps) == 0 {
			v.errorf(p+".steps", "a policy needs at least one step")
		}
		var last Duration
		for j, st := range pol.Steps {
			sp := fmt.Sprintf("%s.steps[%d]", p, j)
			if !slices.Contains(stepChannels, st.Channel) {
				v.errorf(sp+".channel", "channel must be sms, voice, email or console, got %q", st.Channel)
			}
			if st.If != IfNoAnswer && st.If != IfNotDelivered {
				v.errorf(sp+".if", "if must be empty, no_answer or not_delivered, got %q", st.If)
			}
			if st.After < last {
				v.errorf(sp+".after", "steps must be in time order: %s is earlier than the step before (%s)", st.After, last)
			}
			last = max(last, st.After)
		}
		v.wait(p+".wait", pol.Wait)
	}
}
