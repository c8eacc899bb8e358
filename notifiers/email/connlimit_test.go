package email

import (
	"bufio"
	"net"
	"net/textproto"
	"testing"
	"time"
)

// greet connects from local (an IP on loopback) and returns the greeting
// code; the connection stays open until the test ends or it is closed.
func greet(t *testing.T, addr, local string) (int, net.Conn) {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(local)}, Timeout: 2 * time.Second}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
	code, _, err := textproto.NewReader(bufio.NewReader(c)).ReadResponse(0)
	if err != nil && code == 0 {
		t.Fatalf("greeting from %s: %v", local, err)
	}
	return code, c
}

func TestListenerBoundsConnections(t *testing.T) {
	addr := serveListener(t, ListenerOptions{Sink: &fakeReplySink{}, MaxConnections: 3, MaxConnectionsPerIP: 2})
	steps := []struct {
		from string
		want int
	}{
		{"127.0.0.1", 220}, {"127.0.0.1", 220},
		{"127.0.0.1", 421}, // a third from the same address
		{"127.0.0.2", 220},
		{"127.0.0.2", 421}, // a fourth in all
	}
	var first net.Conn
	for i, s := range steps {
		code, c := greet(t, addr, s.from)
		if code != s.want {
			t.Fatalf("step %d from %s: greeting %d, want %d", i, s.from, code, s.want)
		}
		if i == 0 {
			first = c
		}
	}
	_ = first.Close()
	deadline := time.Now().Add(3 * time.Second)
	for {
		code, c := greet(t, addr, "127.0.0.3")
		if code == 220 {
			break
		}
		_ = c.Close()
		if time.Now().After(deadline) {
			t.Fatalf("slot not given back after close: greeting %d", code)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestConnLimitDefaults(t *testing.T) {
	l, err := NewListener(ListenerOptions{Domain: "x.de", Sink: &fakeReplySink{}})
	if err != nil {
		t.Fatal(err)
	}
	if l.o.MaxConnections != 200 || l.o.MaxConnectionsPerIP != 50 {
		t.Fatalf("defaults %d/%d", l.o.MaxConnections, l.o.MaxConnectionsPerIP)
	}
}
