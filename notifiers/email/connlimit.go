package email

import (
	"net"
	"sync"
	"time"
)

// connLimit bounds the listener's open connections, in all and per remote
// IP: the listener faces the internet, and connections held open (slowly
// or by the thousand) must not use up the file descriptors that Kaskade's
// HTTP and NATS sides need. A connection over a bound is greeted with 421
// and closed; sending servers retry later.
type connLimit struct {
	net.Listener
	max, perIP int
	mu         sync.Mutex
	open       int
	byIP       map[string]int
}

func newConnLimit(ln net.Listener, max, perIP int) *connLimit {
	return &connLimit{Listener: ln, max: max, perIP: perIP, byIP: map[string]int{}}
}

// Accept returns the next connection within the bounds.
func (l *connLimit) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		ip := remoteIP(c)
		if l.take(ip) {
			return &limitedConn{Conn: c, release: sync.OnceFunc(func() { l.give(ip) })}, nil
		}
		go refuse(c)
	}
}

func (l *connLimit) take(ip string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.open >= l.max || l.byIP[ip] >= l.perIP {
		return false
	}
	l.open++
	l.byIP[ip]++
	return true
}

func (l *connLimit) give(ip string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.open--
	if l.byIP[ip]--; l.byIP[ip] <= 0 {
		delete(l.byIP, ip)
	}
}

func remoteIP(c net.Conn) string {
	host, _, err := net.SplitHostPort(c.RemoteAddr().String())
	if err != nil {
		return c.RemoteAddr().String()
	}
	return host
}

// refuse greets c with 421 (RFC 5321 4.3.2) and closes it.
func refuse(c net.Conn) {
	_ = c.SetWriteDeadline(time.Now().Add(5 * time.Second))
	_, _ = c.Write([]byte("421 4.7.0 Too many connections, try again later\r\n"))
	_ = c.Close()
}

// limitedConn gives its slot back when closed.
type limitedConn struct {
	net.Conn
	release func()
}

func (c *limitedConn) Close() error {
	c.release()
	return c.Conn.Close()
}
