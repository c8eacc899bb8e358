package natsd

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nkeys"
)

// Roles of the identities other systems get.
const (
	RoleDeclarer = "declarer" // may request on its own declaration subject
	RoleObserver = "observer" // may read the person-free readiness feed
	RoleIntake   = "intake"   // may publish CAP warnings on its own subject
)

// User is one identity of another system: Kaskade keeps its public key
// only; the seed went to the system's operator in a credentials file.
type User struct {
	Name      string    `json:"name"`
	Role      string    `json:"role"`
	PublicKey string    `json:"public_key"`
	Created   time.Time `json:"created"`
}

var namePattern = regexp.MustCompile(`^[a-z0-9_-]{1,32}$`)

// Dir is the directory of NATS identities in a data directory.
func Dir(dataDir string) string { return filepath.Join(dataDir, "nats") }

// ServiceSeedFile holds the seed of Kaskade's own identity (mode 0600).
func ServiceSeedFile(dataDir string) string { return filepath.Join(Dir(dataDir), "service.nk") }

// UsersFile lists the identities of other systems (mode 0600).
func UsersFile(dataDir string) string { return filepath.Join(Dir(dataDir), "users.json") }

// ListUsers reads the identities; none when the file does not exist.
func ListUsers(dataDir string) ([]User, error) {
	data, err := os.ReadFile(UsersFile(dataDir))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("natsd: users: %w", err)
	}
	var users []User
	if err := json.Unmarshal(data, &users); err != nil {
		return nil, fmt.Errorf("natsd: %s: %w", UsersFile(dataDir), err)
	}
	for _, u := range users {
		if err := u.valid(); err != nil {
			return nil, fmt.Errorf("natsd: %s: %w", UsersFile(dataDir), err)
		}
	}
	return users, nil
}

func (u User) valid() error {
	if !namePattern.MatchString(u.Name) {
		return fmt.Errorf("name %q: use 1 to 32 of a-z, 0-9, '_', '-'", u.Name)
	}
	if u.Role != RoleDeclarer && u.Role != RoleObserver && u.Role != RoleIntake {
		return fmt.Errorf("user %s: role %q: use declarer, observer or intake", u.Name, u.Role)
	}
	if !nkeys.IsValidPublicUserKey(u.PublicKey) {
		return fmt.Errorf("user %s: not a public user nkey", u.Name)
	}
	return nil
}

// AddUser creates an identity: it writes the seed to seedFile (mode 0600,
// created anew, never over an existing file; required, so that the secret
// never lands in the working directory) and records the public key. The
// running server picks it up without a restart.
func AddUser(dataDir, name, role, seedFile string, now time.Time) (User, error) {
	users, err := ListUsers(dataDir)
	if err != nil {
		return User{}, err
	}
	if slices.ContainsFunc(users, func(u User) bool { return u.Name == name }) {
		return User{}, fmt.Errorf("natsd: user %s exists (revoke it first to issue a new key)", name)
	}
	kp, err := nkeys.CreateUser()
	if err != nil {
		return User{}, fmt.Errorf("natsd: nkey: %w", err)
	}
	defer kp.Wipe()
	pub, _ := kp.PublicKey()
	u := User{Name: name, Role: role, PublicKey: pub, Created: now.UTC().Truncate(time.Second)}
	if err := u.valid(); err != nil {
		return User{}, fmt.Errorf("natsd: %w", err)
	}
	if seedFile == "" {
		return User{}, errors.New("natsd: no credentials file given for the seed")
	}
	if within(dataDir, seedFile) {
		return User{}, fmt.Errorf("natsd: credentials file %s is in the data directory, which keeps public keys only and travels with every backup: write the seed elsewhere", seedFile)
	}
	seed, _ := kp.Seed()
	if err := writeNew(seedFile, append(seed, '\n')); err != nil {
		return User{}, fmt.Errorf("natsd: credentials file: %w", err)
	}
	if err := writeUsers(dataDir, append(users, u)); err != nil {
		_ = os.Remove(seedFile)
		return User{}, err
	}
	return u, nil
}

// Revoke removes an identity; the running server closes its connections.
func Revoke(dataDir, name string) error {
	users, err := ListUsers(dataDir)
	if err != nil {
		return err
	}
	kept := slices.DeleteFunc(slices.Clone(users), func(u User) bool { return u.Name == name })
	if len(kept) == len(users) {
		return fmt.Errorf("natsd: no user %s", name)
	}
	return writeUsers(dataDir, kept)
}

// within reports whether path (a file that need not exist) lies in dir,
// symbolic links of either resolved as far as they exist.
func within(dir, path string) bool {
	d, err := resolved(dir)
	if err != nil {
		return false
	}
	p, err := resolved(filepath.Dir(path))
	if err != nil {
		return false
	}
	rel, err := filepath.Rel(d, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// resolved is path absolute with its symbolic links resolved; a part that
// does not exist yet is kept as written.
func resolved(path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	if r, err := filepath.EvalSymlinks(abs); err == nil {
		return r, nil
	}
	parent := filepath.Dir(abs)
	if parent == abs {
		return abs, nil
	}
	r, err := resolved(parent)
	if err != nil {
		return "", err
	}
	return filepath.Join(r, filepath.Base(abs)), nil
}

// writeUsers replaces the users file atomically, so the server's reload
// never reads half of it.
func writeUsers(dataDir string, users []User) error {
	if users == nil {
		users = []User{}
	}
	data, err := json.MarshalIndent(users, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(Dir(dataDir), 0o700); err != nil {
		return fmt.Errorf("natsd: %w", err)
	}
	tmp, err := os.CreateTemp(Dir(dataDir), ".users-*.json")
	if err != nil {
		return fmt.Errorf("natsd: users: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append(data, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("natsd: users: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("natsd: users: %w", err)
	}
	if err := os.Rename(tmp.Name(), UsersFile(dataDir)); err != nil {
		return fmt.Errorf("natsd: users: %w", err)
	}
	return nil
}

// writeNew writes a secret to a file that must not exist yet.
func writeNew(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// serviceKey returns the public key of Kaskade's own identity, creating its
// seed on first start.
func serviceKey(dataDir string) (string, error) {
	if err := os.MkdirAll(Dir(dataDir), 0o700); err != nil {
		return "", fmt.Errorf("natsd: %w", err)
	}
	path := ServiceSeedFile(dataDir)
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		kp, err := nkeys.CreateUser()
		if err != nil {
			return "", fmt.Errorf("natsd: nkey: %w", err)
		}
		seed, _ := kp.Seed()
		if err := writeNew(path, append(seed, '\n')); err != nil {
			return "", fmt.Errorf("natsd: service seed: %w", err)
		}
		return kp.PublicKey()
	}
	if err != nil {
		return "", fmt.Errorf("natsd: service seed: %w", err)
	}
	kp, err := nkeys.ParseDecoratedNKey(data)
	if err != nil {
		return "", fmt.Errorf("natsd: service seed %s: %w", path, err)
	}
	defer kp.Wipe()
	pub, err := kp.PublicKey()
	if err != nil || !strings.HasPrefix(pub, "U") {
		return "", fmt.Errorf("natsd: service seed %s is not a user seed", path)
	}
	return pub, nil
}
