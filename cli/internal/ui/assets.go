package ui

import (
	"embed"
	"html/template"
	"io/fs"
	"net/http"
)

// assets are the page's files, served from the binary: no CDN, clusters are often offline.
//
//go:embed assets/index.html assets/static
var assets embed.FS

// staticFS holds app.js and app.css.
var staticFS = mustSub(assets, "assets/static")

// indexPage is the page, with the token for the page's own requests.
var indexPage = template.Must(template.ParseFS(assets, "assets/index.html"))

// mustSub returns the sub-tree dir of an embedded tree, which exists by construction.
func mustSub(f fs.FS, dir string) fs.FS {
	sub, err := fs.Sub(f, dir)
	if err != nil {
		panic(err) // the directory is embedded above: this cannot happen at run time
	}
	return sub
}

// index serves the page.
func (s *Server) index(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = indexPage.Execute(w, struct{ Token string }{s.opts.Token})
}
