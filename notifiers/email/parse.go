package email

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"regexp"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/htmlindex"
)

// maxFirstLine bounds the answer line handed to the sink.
const maxFirstLine = 200

// maxPartDepth bounds nesting of multipart bodies.
const maxPartDepth = 5

// parsedReply is what the listener extracts from one message.
type parsedReply struct {
	from       string
	subject    string
	messageID  string
	references []string // In-Reply-To first, then References
	// authResults are the Authentication-Results headers, topmost first.
	authResults []string
	firstLine   string
	auto        bool // auto-reply, bulk or list mail: never an answer
}

// replyParser holds what parsing needs besides the message.
type replyParser struct {
	words *mime.WordDecoder
	tags  *regexp.Regexp
}

func newReplyParser() *replyParser {
	return &replyParser{
		words: &mime.WordDecoder{CharsetReader: charsetReader},
		tags:  htmlTokens(),
	}
}

func charsetReader(charset string, r io.Reader) (io.Reader, error) {
	cs := strings.ToLower(strings.TrimSpace(charset))
	if cs == "" || cs == "utf-8" || cs == "utf8" || cs == "us-ascii" {
		return r, nil
	}
	enc, err := htmlindex.Get(cs)
	if err != nil {
		return nil, fmt.Errorf("charset %q: %w", charset, err)
	}
	return enc.NewDecoder().Reader(r), nil
}

func (p *replyParser) parse(raw []byte) (parsedReply, error) {
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return parsedReply{}, fmt.Errorf("read message: %w", err)
	}
	h := msg.Header
	var r parsedReply
	if len(h["From"]) > 1 {
		// Which one the receiving server authenticated is unknown.
		return parsedReply{}, errors.New("more than one From header")
	}
	if addrs, err := (&mail.AddressParser{WordDecoder: p.words}).ParseList(h.Get("From")); err == nil && len(addrs) > 0 {
		if len(addrs) > 1 {
			return parsedReply{}, errors.New("more than one From address")
		}
		r.from = addrs[0].Address
	}
	if s, err := p.words.DecodeHeader(h.Get("Subject")); err == nil {
		r.subject = s
	} else {
		r.subject = h.Get("Subject")
	}
	r.messageID = strings.TrimSpace(h.Get("Message-Id"))
	r.references = append(msgIDs(h.Get("In-Reply-To")), msgIDs(h.Get("References"))...)
	r.auto = isAutomatic(h, r.from, r.subject)
	r.authResults = h["Authentication-Results"]

	text, err := p.bodyText(h, msg.Body, 0)
	if err != nil {
		return r, err
	}
	r.firstLine = firstLine(text)
	return r, nil
}

// headerGetter is the part of mail.Header and textproto.MIMEHeader we use.
type headerGetter interface{ Get(string) string }

// bodyText returns the body as UTF-8 text, preferring text/plain over
// text/html in multipart messages.
func (p *replyParser) bodyText(h headerGetter, body io.Reader, depth int) (string, error) {
	ct := h.Get("Content-Type")
	if ct == "" {
		ct = "text/plain"
	}
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil {
		mt, params = "text/plain", nil
	}
	if strings.HasPrefix(mt, "multipart/") {
		if depth >= maxPartDepth {
			return "", errors.New("multipart nested too deep")
		}
		return p.multipartText(body, params["boundary"], depth)
	}
	if mt != "text/plain" && mt != "text/html" {
		return "", nil
	}
	text, err := p.decode(h.Get("Content-Transfer-Encoding"), params["charset"], body)
	if err != nil {
		return "", err
	}
	switch {
	case mt == "text/html":
		text = p.htmlToText(text)
	case strings.EqualFold(params["format"], "flowed"):
		text = unflow(text, strings.EqualFold(params["delsp"], "yes"))
	}
	return text, nil
}

func (p *replyParser) multipartText(body io.Reader, boundary string, depth int) (string, error) {
	if boundary == "" {
		return "", errors.New("multipart without boundary")
	}
	mr := multipart.NewReader(body, boundary)
	var htmlText string
	for {
		part, err := mr.NextRawPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", fmt.Errorf("multipart: %w", err)
		}
		if isAttachment(part.Header.Get("Content-Disposition")) {
			continue // a log or form attached is not what the person wrote
		}
		mt, _, _ := mime.ParseMediaType(part.Header.Get("Content-Type"))
		if mt == "" {
			mt = "text/plain"
		}
		switch {
		case mt == "text/plain" || strings.HasPrefix(mt, "multipart/"):
			text, err := p.bodyText(part.Header, part, depth+1)
			if err != nil {
				return "", err
			}
			if strings.TrimSpace(text) != "" {
				return text, nil
			}
		case mt == "text/html" && htmlText == "":
			text, err := p.bodyText(part.Header, part, depth+1)
			if err != nil {
				return "", err
			}
			htmlText = text
		}
	}
	return htmlText, nil
}

// isAttachment reports a Content-Disposition of "attachment".
func isAttachment(cd string) bool {
	d, _, _ := strings.Cut(cd, ";")
	return strings.EqualFold(strings.TrimSpace(d), "attachment")
}

// decode undoes the transfer encoding and converts the charset to UTF-8.
func (p *replyParser) decode(cte, charset string, body io.Reader) (string, error) {
	raw, err := io.ReadAll(body)
	if err != nil {
		return "", fmt.Errorf("decode body: %w", err)
	}
	switch strings.ToLower(strings.TrimSpace(cte)) {
	case "quoted-printable":
		raw, err = io.ReadAll(quotedprintable.NewReader(bytes.NewReader(raw)))
		if err != nil {
			return "", fmt.Errorf("decode body: %w", err)
		}
	case "base64":
		raw = lenientBase64(raw)
	}
	return string(toUTF8(charset, raw)), nil
}

// lenientBase64 decodes what it can: white space anywhere (indented or
// space-padded lines) is ignored, and a corrupt tail is dropped rather than
// the whole reply.
func lenientBase64(raw []byte) []byte {
	clean := bytes.Map(func(r rune) rune {
		if r == ' ' || r == '\t' || r == '\r' || r == '\n' {
			return -1
		}
		return r
	}, raw)
	if i := bytes.IndexByte(clean, '='); i >= 0 {
		clean = clean[:i] // padding ends the data
	}
	out := make([]byte, base64.RawStdEncoding.DecodedLen(len(clean)))
	n, err := base64.RawStdEncoding.Decode(out, clean)
	var corrupt base64.CorruptInputError
	if errors.As(err, &corrupt) {
		valid := int(corrupt) / 4 * 4
		n, _ = base64.RawStdEncoding.Decode(out, clean[:valid])
	}
	return out[:n]
}

// toUTF8 converts b from charset. An unknown charset ("unknown-8bit", a
// typo) does not lose the reply: b is kept if it is UTF-8 and read as
// Windows-1252 otherwise.
func toUTF8(charset string, b []byte) []byte {
	r, err := charsetReader(charset, bytes.NewReader(b))
	if err != nil {
		if utf8.Valid(b) {
			return b
		}
		r, _ = charsetReader("windows-1252", bytes.NewReader(b))
	}
	out, err := io.ReadAll(r)
	if err != nil {
		out = b
	}
	if !utf8.Valid(out) {
		out = bytes.ToValidUTF8(out, []byte("\uFFFD"))
	}
	return out
}

// msgIDs splits a header of <id> tokens.
func msgIDs(v string) []string {
	var ids []string
	for {
		i := strings.IndexByte(v, '<')
		if i < 0 {
			return ids
		}
		j := strings.IndexByte(v[i:], '>')
		if j < 0 {
			return ids
		}
		ids = append(ids, v[i:i+j+1])
		v = v[i+j+1:]
	}
}

func truncateUTF8(s string, n int) string {
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
