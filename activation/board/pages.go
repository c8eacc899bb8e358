package board

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"html/template"
	"io/fs"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/kaskade-bcm/kaskade/activation"
	"github.com/kaskade-bcm/kaskade/activation/web"
)

//go:embed assets templates
var files embed.FS

var templates = template.Must(template.New("").Funcs(template.FuncMap{"join": join, "facts": facts}).ParseFS(files, "templates/*.html"))

type asset struct {
	body  []byte
	etag  string
	ctype string
}

var (
	assets       = map[string]asset{}
	assetVersion string // hash over all assets, for cache busting
)

func init() {
	all := sha256.New()
	err := fs.WalkDir(files, "assets", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := files.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(body)
		all.Write(sum[:])
		ct := mime.TypeByExtension(path.Ext(p))
		if ct == "" {
			ct = http.DetectContentType(body)
		}
		assets[strings.TrimPrefix(p, "assets/")] = asset{body: body, etag: `"` + hex.EncodeToString(sum[:8]) + `"`, ctype: ct}
		return nil
	})
	if err != nil {
		panic(err)
	}
	assetVersion = hex.EncodeToString(all.Sum(nil)[:6])
}

// serveAsset serves an embedded file; the path has /assets/ stripped.
func serveAsset(w http.ResponseWriter, r *http.Request) {
	a, ok := assets[r.URL.Path]
	if !ok {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", a.ctype)
	h.Set("ETag", a.etag)
	h.Set("X-Content-Type-Options", "nosniff")
	if r.URL.Query().Get("v") == assetVersion {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "no-cache")
	}
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(a.body))
}

const csp = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; font-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

func pageHeaders(w http.ResponseWriter) { web.SecureHTML(w.Header(), csp) }

// langOf returns "en" for ?lang=en and "de" otherwise.
func langOf(r *http.Request) string {
	if r.URL.Query().Get("lang") == "en" || r.FormValue("lang") == "en" {
		return "en"
	}
	return "de"
}

type pageData struct {
	Lang    string
	Wall    bool
	Name    string
	Role    string
	CanAct  bool
	CSRF    string
	Version string
	// Proposals counts the open proposals from warning systems (for the link).
	Proposals int
}

func (b *Board) handlePage(w http.ResponseWriter, r *http.Request) {
	s, ok := b.sessionFor(r)
	if !ok {
		next := "/"
		if r.URL.RawQuery != "" {
			next += "?" + r.URL.RawQuery
		}
		q := url.Values{"next": {next}}
		if langOf(r) == "en" {
			q.Set("lang", "en")
		}
		http.Redirect(w, r, "/login?"+q.Encode(), http.StatusSeeOther)
		return
	}
	q := r.URL.Query()
	d := pageData{
		Lang:    langOf(r),
		Wall:    q.Get("wall") == "1" || q.Get("wall") == "true",
		Name:    s.name,
		Role:    string(s.role),
		CanAct:  canAct(s.role),
		CSRF:    s.csrf,
		Version: assetVersion,
	}
	if ps, ok := b.src.(ProposalSource); ok {
		for _, p := range ps.Proposals() {
			if p.Status == activation.ProposalOpen {
				d.Proposals++
			}
		}
	}
	b.render(w, http.StatusOK, "index.html", d)
}

type loginData struct {
	Lang    string
	T       map[string]string
	Next    string
	Error   string
	Version string
	Other   string // URL of the page in the other language
}

func (b *Board) handleLoginPage(w http.ResponseWriter, r *http.Request) {
	b.renderLogin(w, http.StatusOK, langOf(r), safeNext(r.URL.Query().Get("next")), "")
}

func (b *Board) renderLogin(w http.ResponseWriter, status int, lang, next, errMsg string) {
	other := "en"
	if lang == "en" {
		other = "de"
	}
	q := url.Values{"lang": {other}}
	if next != "/" {
		q.Set("next", next)
	}
	b.render(w, status, "login.html", loginData{
		Lang: lang, T: loginText[lang], Next: next, Error: errMsg, Version: assetVersion,
		Other: "/login?" + q.Encode(),
	})
}

func (b *Board) render(w http.ResponseWriter, status int, name string, data any) {
	var buf bytes.Buffer
	if err := templates.ExecuteTemplate(&buf, name, data); err != nil {
		b.log.Error("board template", "template", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	pageHeaders(w)
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}
