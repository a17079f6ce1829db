package git

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// The Secret keys of a GitHub App's credentials, as Flux names them for spec.provider github.
const (
	GitHubAppIDKey             = "githubAppID"
	GitHubAppInstallationIDKey = "githubAppInstallationID"
	GitHubAppPrivateKeyKey     = "githubAppPrivateKey"
	GitHubAppBaseURLKey        = "githubAppBaseURL"
)

// gitHubAPI is the API of github.com; GitHub Enterprise Server's is <host>/api/v3, given in
// githubAppBaseURL.
const gitHubAPI = "https://api.github.com"

// GitHubAppUsername is the user name GitHub expects with an installation token over HTTPS.
const GitHubAppUsername = "x-access-token"

// gitHubApp is a GitHub App installation whose access tokens authenticate Git over HTTPS.
type gitHubApp struct {
	appID          string
	installationID int64
	key            []byte
	baseURL        string
}

// gitHubAppFromSecret reads a GitHub App's credentials from a Secret's data.
func gitHubAppFromSecret(data map[string][]byte) (*gitHubApp, error) {
	app := &gitHubApp{appID: strings.TrimSpace(string(data[GitHubAppIDKey])), key: data[GitHubAppPrivateKeyKey],
		baseURL: strings.TrimSuffix(strings.TrimSpace(string(data[GitHubAppBaseURLKey])), "/")}
	var missing []string
	for _, k := range []string{GitHubAppIDKey, GitHubAppInstallationIDKey, GitHubAppPrivateKeyKey} {
		if len(data[k]) == 0 {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("failed to authenticate as a GitHub App: the secret has no %s", strings.Join(missing, ", "))
	}
	id, err := strconv.ParseInt(strings.TrimSpace(string(data[GitHubAppInstallationIDKey])), 10, 64)
	if err != nil || id <= 0 {
		return nil, fmt.Errorf("failed to authenticate as a GitHub App: %s must be a number", GitHubAppInstallationIDKey)
	}
	app.installationID = id
	if app.baseURL == "" {
		app.baseURL = gitHubAPI
	}
	if !strings.HasPrefix(app.baseURL, "https://") {
		return nil, fmt.Errorf("failed to authenticate as a GitHub App: %s must be an https URL", GitHubAppBaseURLKey)
	}
	return app, nil
}

// cacheKey identifies the installation and key, without holding the key itself.
func (a *gitHubApp) cacheKey() string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%d\x00%s\x00", a.appID, a.installationID, a.baseURL)
	h.Write(a.key)
	return hex.EncodeToString(h.Sum(nil))
}

// appJWT is the JSON Web Token that authenticates the App itself: RS256, issued by the App's
// ID, valid for nine minutes (GitHub accepts at most ten) from a minute ago (clock drift).
func (a *gitHubApp) appJWT(now time.Time) (string, error) {
	key, err := jwt.ParseRSAPrivateKeyFromPEM(a.key)
	if err != nil {
		return "", fmt.Errorf("failed to authenticate as a GitHub App: %s is not a PEM RSA private key: %w", GitHubAppPrivateKeyKey, err)
	}
	claims := jwt.RegisteredClaims{
		Issuer:    a.appID,
		IssuedAt:  jwt.NewNumericDate(now.Add(-time.Minute)),
		ExpiresAt: jwt.NewNumericDate(now.Add(9 * time.Minute)),
	}
	return jwt.NewWithClaims(jwt.SigningMethodRS256, claims).SignedString(key)
}

// installationToken exchanges the App's JWT for an installation access token, as GitHub's
// REST API documents: POST /app/installations/{installation_id}/access_tokens.
func (a *gitHubApp) installationToken(ctx context.Context, hc *http.Client) (string, time.Time, error) {
	signed, err := a.appJWT(time.Now())
	if err != nil {
		return "", time.Time{}, err
	}
	url := fmt.Sprintf("%s/app/installations/%d/access_tokens", a.baseURL, a.installationID)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, nil)
	if err != nil {
		return "", time.Time{}, err
	}
	req.Header.Set("Authorization", "Bearer "+signed)
	req.Header.Set("Accept", "application/vnd.github+json")
	req.Header.Set("X-GitHub-Api-Version", "2022-11-28")
	resp, err := hc.Do(req)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("failed to get a GitHub App installation token: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", time.Time{}, fmt.Errorf("failed to get a GitHub App installation token: %w", err)
	}
	if resp.StatusCode != http.StatusCreated {
		var e struct {
			Message string `json:"message"`
		}
		_ = json.Unmarshal(body, &e)
		return "", time.Time{}, fmt.Errorf("failed to get a GitHub App installation token: %s answered %s: %s", url, resp.Status, e.Message)
	}
	var tok struct {
		Token     string    `json:"token"`
		ExpiresAt time.Time `json:"expires_at"`
	}
	if err := json.Unmarshal(body, &tok); err != nil || tok.Token == "" {
		return "", time.Time{}, errors.New("failed to get a GitHub App installation token: the answer holds no token")
	}
	return tok.Token, tok.ExpiresAt, nil
}

// tokenMargin is how long before its expiry a cached installation token is replaced.
const tokenMargin = 5 * time.Minute

// gitHubTokens caches installation tokens (GitHub issues them for an hour) by installation
// and key, so that reconciles do not ask for one each.
var gitHubTokens = struct {
	sync.Mutex
	m map[string]cachedToken
}{m: map[string]cachedToken{}}

type cachedToken struct {
	token   string
	expires time.Time
}

// token returns a valid installation token of a, from the cache or from GitHub.
func (a *gitHubApp) token(ctx context.Context, hc *http.Client) (string, error) {
	key := a.cacheKey()
	gitHubTokens.Lock()
	c, ok := gitHubTokens.m[key]
	gitHubTokens.Unlock()
	if ok && time.Until(c.expires) > tokenMargin {
		return c.token, nil
	}
	tok, expires, err := a.installationToken(ctx, hc)
	if err != nil {
		return "", err
	}
	gitHubTokens.Lock()
	for k, c := range gitHubTokens.m {
		if time.Now().After(c.expires) {
			delete(gitHubTokens.m, k)
		}
	}
	gitHubTokens.m[key] = cachedToken{token: tok, expires: expires}
	gitHubTokens.Unlock()
	return tok, nil
}
