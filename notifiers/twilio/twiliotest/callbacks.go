package twiliotest

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// callbacks posts status callbacks from a queue with a fixed pool of
// workers, so a fan-out of many messages does not start a goroutine each.
type callbacks struct {
	s      *Server
	ctx    context.Context
	cancel context.CancelFunc

	mu      sync.Mutex
	queue   []Message
	wake    chan struct{}
	started bool
	wg      sync.WaitGroup
}

func newCallbacks(s *Server) *callbacks {
	ctx, cancel := context.WithCancel(context.Background())
	return &callbacks{s: s, ctx: ctx, cancel: cancel, wake: make(chan struct{}, 1)}
}

func (c *callbacks) enqueue(m Message) {
	c.mu.Lock()
	if c.ctx.Err() != nil {
		c.mu.Unlock()
		return
	}
	c.queue = append(c.queue, m)
	if !c.started {
		c.started = true
		for range c.s.opts.CallbackWorkers {
			c.wg.Add(1)
			go c.work()
		}
	}
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

func (c *callbacks) close() {
	c.cancel()
	c.wg.Wait()
}

func (c *callbacks) next() (Message, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.queue) == 0 {
		return Message{}, false
	}
	m := c.queue[0]
	c.queue[0] = Message{}
	c.queue = c.queue[1:]
	if len(c.queue) > 0 {
		// Let another worker pick up the rest.
		select {
		case c.wake <- struct{}{}:
		default:
		}
	}
	return m, true
}

func (c *callbacks) work() {
	defer c.wg.Done()
	for {
		m, ok := c.next()
		if !ok {
			select {
			case <-c.ctx.Done():
				return
			case <-c.wake:
				continue
			}
		}
		c.deliver(m)
	}
}

// deliver sends the callbacks of one message: sent, then its outcome.
func (c *callbacks) deliver(m Message) {
	if d := c.s.opts.CallbackDelay; d > 0 {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-c.ctx.Done():
			t.Stop()
			return
		}
	}
	out, ok := c.s.opts.Outcomes[m.To]
	if !ok || out.Status == "" {
		out.Status = "delivered"
	}
	steps := []Outcome{{Status: "sent"}, out}
	if c.s.opts.CallbacksOutOfOrder {
		steps[0], steps[1] = steps[1], steps[0]
	}
	for _, st := range steps {
		c.s.setStatus(m.SID, st.Status, st.ErrorCode)
		times := 1
		if c.s.opts.CallbacksTwice {
			times = 2
		}
		for range times {
			c.post(m, st)
		}
	}
}

func (c *callbacks) post(m Message, st Outcome) {
	form := url.Values{
		"AccountSid":    {m.AccountSID},
		"ApiVersion":    {"2010-04-01"},
		"From":          {m.From},
		"MessageSid":    {m.SID},
		"MessageStatus": {st.Status},
		"SmsSid":        {m.SID},
		"SmsStatus":     {st.Status},
		"To":            {m.To},
	}
	if m.MessagingServiceSID != "" {
		form.Set("MessagingServiceSid", m.MessagingServiceSID)
	}
	if st.ErrorCode != 0 {
		form.Set("ErrorCode", strconv.Itoa(st.ErrorCode))
	}
	for attempt := 0; attempt <= max(0, c.s.opts.CallbackRetries); attempt++ {
		if attempt > 0 {
			t := time.NewTimer(time.Duration(attempt) * 50 * time.Millisecond)
			select {
			case <-t.C:
			case <-c.ctx.Done():
				t.Stop()
				return
			}
		}
		resp, err := c.s.postSigned(c.ctx, m.StatusCallback, form)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode < 300 {
				c.s.cbOK.Add(1)
				return
			}
			if resp.StatusCode < 500 {
				c.s.opts.Logger.Warn("twiliotest: status callback refused",
					slog.String("sid", m.SID), slog.Int("status", resp.StatusCode))
				return
			}
		}
		if c.ctx.Err() != nil {
			return
		}
	}
	c.s.opts.Logger.Warn("twiliotest: status callback not delivered", slog.String("sid", m.SID))
}

// postSigned posts form to target with X-Twilio-Signature.
func (s *Server) postSigned(ctx context.Context, target string, form url.Values) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Twilio-Signature", Signature(s.opts.AuthToken, target, form))
	req.Header.Set("User-Agent", "TwilioProxy/1.1")
	return s.opts.Client.Do(req)
}

// SendInbound posts a signed inbound SMS from → to with body to Kaskade's
// SMS webhook at webhookURL, as Twilio does. The caller closes the body.
func (s *Server) SendInbound(ctx context.Context, webhookURL, from, to, body string) (*http.Response, error) {
	sid := newSID("SM")
	form := url.Values{
		"AccountSid":    {s.opts.AccountSID},
		"ApiVersion":    {"2010-04-01"},
		"Body":          {body},
		"From":          {from},
		"MessageSid":    {sid},
		"NumMedia":      {"0"},
		"NumSegments":   {"1"},
		"SmsMessageSid": {sid},
		"SmsSid":        {sid},
		"SmsStatus":     {"received"},
		"To":            {to},
	}
	return s.postSigned(ctx, webhookURL, form)
}
