package console

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
)

// The cookies of a browser: its session, for the CSRF token, and its
// choices of account and language. Each browser acts as its own account:
// two browsers (or a private window) can play both sides of a peering at
// once.
const (
	sessionCookie = "vpcsim_session"
	accountCookie = "vpcsim_account"
	langCookie    = "vpcsim_lang"
	// csrfField is the form field, and csrfHeader the header of script
	// requests, that carry the session's CSRF token.
	csrfField  = "csrf"
	csrfHeader = "X-Csrf-Token"
	// maxForm bounds the body of a form.
	maxForm = 64 << 10
)

// session returns the browser's session id, starting a session when the
// browser has none.
func session(w http.ResponseWriter, r *http.Request) string {
	if ck, err := r.Cookie(sessionCookie); err == nil && validSession(ck.Value) {
		return ck.Value
	}
	id := rand.Text()
	setCookie(w, sessionCookie, id)
	// Later reads within this request see the new session.
	r.AddCookie(&http.Cookie{Name: sessionCookie, Value: id})
	return id
}

// validSession reports whether s looks like a session id of rand.Text.
func validSession(s string) bool {
	if len(s) < 16 || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if !('A' <= c && c <= 'Z' || '2' <= c && c <= '7') {
			return false
		}
	}
	return true
}

// setCookie sets a cookie of the console: for its pages only, not for
// scripts, and never sent along with another site's requests.
func setCookie(w http.ResponseWriter, name, value string) {
	http.SetCookie(w, &http.Cookie{
		Name: name, Value: value, Path: "/", MaxAge: 365 * 24 * 3600,
		HttpOnly: true, SameSite: http.SameSiteStrictMode,
	})
}

// csrfToken returns the CSRF token of a session: a MAC of its id under the
// console's key. Pages carry it in every form; a request that changes
// anything must bring it back.
func (c *Console) csrfToken(sess string) string {
	m := hmac.New(sha256.New, c.key[:])
	m.Write([]byte("vpcsim console csrf\x00"))
	m.Write([]byte(sess))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// checkCSRF reports whether r carries the CSRF token of the session its
// cookie names, in the form field or the header. r's body must be limited
// first (it is parsed).
func (c *Console) checkCSRF(r *http.Request) bool {
	ck, err := r.Cookie(sessionCookie)
	if err != nil || !validSession(ck.Value) {
		return false
	}
	tok := r.Header.Get(csrfHeader)
	if tok == "" {
		tok = r.PostFormValue(csrfField)
	}
	return tok != "" && hmac.Equal([]byte(tok), []byte(c.csrfToken(ck.Value)))
}

// language returns the browser's language: its cookie's, else the first
// of its Accept-Language the console speaks, else the default.
func language(r *http.Request) *Text {
	if ck, err := r.Cookie(langCookie); err == nil {
		for _, t := range texts {
			if t.Lang == ck.Value {
				return t
			}
		}
	}
	for _, part := range strings.Split(r.Header.Get("Accept-Language"), ",") {
		tag, _, _ := strings.Cut(strings.TrimSpace(part), ";")
		base, _, _ := strings.Cut(strings.ToLower(tag), "-")
		for _, t := range texts {
			if t.Lang == base {
				return t
			}
		}
	}
	return texts[0]
}

// localPath returns p if it is a path of this console ("/peerings?vpc=x"),
// else fallback: a form's "back" field must not send the browser away.
func localPath(p, fallback string) string {
	u, err := url.Parse(p)
	if err != nil || p == "" || p[0] != '/' || strings.HasPrefix(p, "//") || strings.HasPrefix(p, "/\\") ||
		u.Scheme != "" || u.Host != "" {
		return fallback
	}
	return p
}
