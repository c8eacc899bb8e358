package natsd

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/kaskade-bcm/kaskade/activation/engine"
)

// Options configure the embedded server.
type Options struct {
	DataDir string
	// Listen is the client address host:port ("…:0" picks a free port), or
	// "off" for in-process connections only.
	Listen string
	Layout engine.Layout // subject prefix for the permissions
	// TLSCert and TLSKey make the client port serve TLS; with TLSCA it also
	// requires client certificates signed by that CA.
	TLSCert, TLSKey, TLSCA string
	// ReloadEvery is how often the users file is checked for changes
	// (default 2 s); with SIGHUP a hang-up signal reloads it at once.
	ReloadEvery time.Duration
	SIGHUP      bool
	// StoreCipher encrypts the JetStream store: chacha (default), aes or
	// none. The key is StoreKey ($KASKADE_STORE_KEY), read from StoreKeyFile,
	// or generated into <data>/nats/store.key.
	StoreCipher, StoreKey, StoreKeyFile string
	// StoreOldKey ($KASKADE_STORE_OLD_KEY) is the previous key: the store
	// is re-encrypted with the new one at start.
	StoreOldKey string
	Logger      *slog.Logger
}

// UsageError is a mistake in the options (a flag to fix).
type UsageError struct{ Msg string }

func (e UsageError) Error() string { return e.Msg }

// Embedded is the embedded nats-server with Kaskade's identities.
type Embedded struct {
	opts    Options
	base    *server.Options
	service string // public key of Kaskade's own identity
	ns      *server.Server
	log     *slog.Logger

	mu    sync.Mutex // serialises reloads
	stamp fileStamp  // of the users file last applied

	// the client port's certificate: its dates and what was last reported
	certNotBefore, certNotAfter time.Time
	certState                   certState

	stop   chan struct{}
	done   chan struct{}
	unlock func() // releases the data directory's lock
}

// Start starts the embedded server with JetStream in <data>/jetstream.
// Every connection must authenticate: Kaskade's own identity is created on
// first start (<data>/nats/service.nk); other systems are in users.json.
// The data directory stays locked until Shutdown: a second Start on it, in
// any process (a backup while serve runs), fails with ErrDataDirInUse.
func Start(o Options) (*Embedded, error) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.ReloadEvery <= 0 {
		o.ReloadEvery = 2 * time.Second
	}
	unlock, err := lockDataDir(o.DataDir)
	if err != nil {
		return nil, err
	}
	e, err := start(o)
	if err != nil {
		unlock()
		return nil, err
	}
	e.unlock = unlock
	return e, nil
}

func start(o Options) (*Embedded, error) {
	service, err := serviceKey(o.DataDir)
	if err != nil {
		return nil, err
	}
	base := &server.Options{
		ServerName: "kaskade", JetStream: true, StoreDir: filepath.Join(o.DataDir, "jetstream"),
		NoSigs: true, MaxPayload: 8 << 20, DontListen: o.Listen == "off",
	}
	if !base.DontListen {
		if err := listenOptions(base, o.Listen); err != nil {
			return nil, err
		}
	}
	if err := tlsOptions(base, o); err != nil {
		return nil, err
	}
	if plainBeyondLoopback(base) {
		o.Logger.Warn("embedded NATS listens beyond loopback without TLS: keys authenticate, but declarations, answers and the log cross the network readable; set --nats-tls-cert and --nats-tls-key",
			"listen", o.Listen)
	}
	if err := storeEncryption(base, o); err != nil {
		return nil, err
	}
	e := &Embedded{opts: o, base: base, service: service, log: o.Logger, stop: make(chan struct{}), done: make(chan struct{})}
	e.certNotBefore, e.certNotAfter = certDates(e)
	e.checkCert(time.Now())
	users, stamp, err := e.readUsers()
	if err != nil {
		return nil, err
	}
	nopts := base.Clone()
	nopts.Nkeys = nkeyUsers(o.Layout, service, users)
	ns, err := server.NewServer(nopts)
	if err != nil {
		return nil, fmt.Errorf("embedded nats: %w", err)
	}
	ns.SetLoggerV2(logAdapter{o.Logger}, false, false, false)
	go ns.Start()
	if !ns.ReadyForConnections(15 * time.Second) {
		ns.Shutdown()
		return nil, errors.New("embedded nats did not start (is the port taken? try --nats-listen off)")
	}
	if err := finishRotation(base, o.DataDir, o.Logger); err != nil {
		ns.Shutdown()
		return nil, err
	}
	e.ns, e.stamp = ns, stamp
	go e.watch()
	return e, nil
}

func listenOptions(o *server.Options, listen string) error {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return UsageError{"--nats-listen: " + err.Error()}
	}
	o.Host = host
	if o.Port, err = strconv.Atoi(port); err != nil {
		return UsageError{"--nats-listen port: " + err.Error()}
	}
	if o.Port == 0 {
		o.Port = server.RANDOM_PORT
	}
	return nil
}

// plainBeyondLoopback reports a client port other hosts can reach that
// serves no TLS.
func plainBeyondLoopback(o *server.Options) bool {
	if o.DontListen || o.TLSConfig != nil || o.Host == "localhost" {
		return false
	}
	ip := net.ParseIP(o.Host)
	return ip == nil || !ip.IsLoopback() // a host name, an interface's address, or every interface
}

// Server is the running nats-server.
func (e *Embedded) Server() *server.Server { return e.ns }

// ClientURL is the client port's URL, or "embedded" without a listener.
func (e *Embedded) ClientURL() string {
	if e.base.DontListen {
		return "embedded"
	}
	return e.ns.ClientURL() // tls:// when the port serves TLS
}

// Connect opens an in-process connection as Kaskade's own identity.
func (e *Embedded) Connect(opts ...nats.Option) (*nats.Conn, error) {
	auth, err := nats.NkeyOptionFromSeed(ServiceSeedFile(e.opts.DataDir))
	if err != nil {
		return nil, fmt.Errorf("natsd: service identity: %w", err)
	}
	all := append([]nats.Option{auth, nats.CustomInboxPrefix(ServiceInboxPrefix)}, opts...)
	nc, err := nats.Connect("", append(all, nats.InProcessServer(e.ns))...)
	if err != nil {
		return nil, fmt.Errorf("nats in-process: %w", err)
	}
	return nc, nil
}

// Shutdown stops the reloads and the server.
func (e *Embedded) Shutdown() {
	select {
	case <-e.stop:
	default:
		close(e.stop)
		<-e.done
	}
	e.ns.Shutdown()
	e.ns.WaitForShutdown()
	if e.unlock != nil {
		e.unlock()
		e.unlock = nil
	}
}

// Reload applies the users file now.
func (e *Embedded) Reload() error { return e.reload(true) }

// reload applies the users file when forced or when it changed since it
// was last applied.
func (e *Embedded) reload(force bool) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if !force && stat(UsersFile(e.opts.DataDir)) == e.stamp {
		return nil
	}
	users, stamp, err := e.readUsers()
	if err != nil {
		return err
	}
	nopts := e.base.Clone()
	nopts.Nkeys = nkeyUsers(e.opts.Layout, e.service, users)
	if err := e.ns.ReloadOptions(nopts); err != nil {
		return fmt.Errorf("natsd: reload identities: %w", err)
	}
	e.stamp = stamp
	e.log.Info("nats identities reloaded", "users", len(users))
	return nil
}

func (e *Embedded) readUsers() ([]User, fileStamp, error) {
	stamp := stat(UsersFile(e.opts.DataDir))
	users, err := ListUsers(e.opts.DataDir)
	return users, stamp, err
}

func (e *Embedded) watch() {
	defer close(e.done)
	t := time.NewTicker(e.opts.ReloadEvery)
	defer t.Stop()
	hup := make(chan os.Signal, 1)
	if e.opts.SIGHUP {
		signal.Notify(hup, syscall.SIGHUP)
		defer signal.Stop(hup)
	}
	for {
		select {
		case <-e.stop:
			return
		case now := <-t.C:
			e.reloadLogged(false)
			e.checkCert(now)
		case <-hup:
			e.reloadLogged(true)
		}
	}
}

func (e *Embedded) reloadLogged(force bool) {
	if err := e.reload(force); err != nil {
		// The identities in force stay; a broken file is fixed and picked up then.
		e.log.Error("nats identities not reloaded", "err", err)
	}
}
