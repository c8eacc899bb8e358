package ack

import (
	"html/template"
	"io"
)

// page is the data of one rendered page.
type page struct {
	T        texts
	Nonce    string
	Exercise bool
	Title    string
	Person   string
	// Tone is ok, info or error; it colours the notice.
	Tone    string
	Notices []notice
	Current string
	Form    *form
}

// notice is a heading with an explanation, in one language.
type notice struct {
	Lang    string
	Heading string
	Detail  string
}

type form struct {
	Action    string
	Preselect string
	Minutes   []minuteOption
}

type minuteOption struct {
	Value    int
	Selected bool
}

const pageHTML = `<!DOCTYPE html>
<html lang="{{.T.Lang}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<title>{{if .Exercise}}{{.T.Exercise}} – {{end}}{{if .Title}}{{.Title}}{{else}}Kaskade{{end}}</title>
<style nonce="{{.Nonce}}">
*{box-sizing:border-box}
body{margin:0;font:17px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:#f3f4f6;color:#111}
main{max-width:34rem;margin:0 auto;padding:1rem}
.exercise{background:#f59e0b;color:#000;font-weight:700;text-align:center;padding:.5rem;letter-spacing:.1em}
h1{font-size:1.3rem;margin:.5rem 0 1rem}
.notice{border-radius:.5rem;padding:.75rem 1rem;margin:0 0 1rem;background:#fff;border-left:.4rem solid #6b7280}
.notice h2{font-size:1.1rem;margin:0 0 .25rem}
.notice p{margin:0}
.ok{border-color:#15803d}.info{border-color:#2563eb}.error{border-color:#b91c1c}
.current{margin:0 0 1rem}
form{display:grid;gap:.75rem}
button{width:100%;font:inherit;font-weight:600;padding:.9rem;border:0;border-radius:.5rem;color:#fff;cursor:pointer}
.available{background:#15803d}.delayed{background:#b45309}.unavailable{background:#b91c1c}
.pre{outline:.25rem solid #111;outline-offset:.15rem}
.later{display:grid;grid-template-columns:auto 1fr;gap:.5rem;align-items:center}
select{font:inherit;padding:.8rem;border-radius:.5rem}
.later-group{display:grid;gap:.5rem;margin:0;padding:.6rem;border:2px solid #b45309;border-radius:.5rem}
</style>
</head>
<body>
{{if .Exercise}}<div class="exercise">{{.T.Exercise}}</div>{{end}}
<main>
{{if .Title}}<h1>{{.Title}}</h1>{{end}}
{{range .Notices}}<div class="notice {{$.Tone}}" lang="{{.Lang}}"><h2>{{.Heading}}</h2>{{if .Detail}}<p>{{.Detail}}</p>{{end}}</div>
{{end}}
{{if .Current}}<p class="current">{{.Current}}</p>{{end}}
{{with .Form}}<form method="post" action="{{.Action}}">
<p>{{$.T.Prompt}}</p>
<button type="submit" name="answer" value="available" class="available{{if eq .Preselect "available"}} pre{{end}}">{{$.T.Available}}</button>
<fieldset class="later-group">
<button type="submit" name="answer" value="delayed" class="delayed{{if eq .Preselect "delayed"}} pre{{end}}">{{$.T.Delayed}}</button>
<div class="later">
<label for="minutes">{{$.T.MinutesLabel}}</label>
<select id="minutes" name="minutes">{{range .Minutes}}<option value="{{.Value}}"{{if .Selected}} selected{{end}}>{{.Value}} {{$.T.MinutesUnit}}</option>{{end}}</select>
</div>
</fieldset>
<button type="submit" name="answer" value="unavailable" class="unavailable{{if eq .Preselect "unavailable"}} pre{{end}}">{{$.T.Unavailable}}</button>
</form>{{end}}
</main>
</body>
</html>
`

// pages renders the one page template.
type pages struct{ tmpl *template.Template }

func newPages() pages {
	return pages{tmpl: template.Must(template.New("ack").Parse(pageHTML))}
}

func (p pages) render(w io.Writer, data page) error { return p.tmpl.Execute(w, data) }
