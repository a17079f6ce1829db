package cloud

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// AWS CodeCommit over HTTPS with IAM credentials, as the AWS CLI's credential helper
// (`aws codecommit credential-helper`) and git-remote-codecommit do it: no Git credentials
// of an IAM user, but an access key (temporary ones included) that signs, with Signature
// Version 4 for the service "codecommit" in the repository's region, the canonical request
// "GIT\n<path>\n\nhost:<host>\n\nhost\n" at a time; the signature is the Git HTTP basic
// password, sent with the access key ID as the username.
const (
	// codeCommitService is the service of the credential scope.
	codeCommitService = "codecommit"
	// codeCommitTimeFormat is the time of the signature: in the string to sign as is, and in
	// the password followed by "Z".
	codeCommitTimeFormat = "20060102T150405"
	// codeCommitSignatureLife is how long CodeCommit accepts a signature after its time, as
	// Signature Version 4 allows a request's time to be off.
	codeCommitSignatureLife = 15 * time.Minute
)

// codeCommitHost matches the Git hosts of AWS CodeCommit, plain or FIPS, in the aws and
// aws-cn partitions: git-codecommit[-fips].<region>.amazonaws.com[.cn]. The group is the
// region.
var codeCommitHost = regexp.MustCompile(`^git-codecommit(?:-fips)?\.([a-z0-9][a-z0-9-]*)\.amazonaws\.com(?:\.cn)?$`)

// codeCommitURLForm is the form of the URLs spec.provider aws takes, for messages.
const codeCommitURLForm = "https://git-codecommit.<region>.amazonaws.com/v1/repos/<name>"

// codeCommitRepo is an AWS CodeCommit repository as its HTTPS URL names it.
type codeCommitRepo struct {
	// host is the URL's host without a port, as signed.
	host string
	// region is the region of the host.
	region string
	// path is the URL's path, /v1/repos/<name>, as signed.
	path string
}

// parseCodeCommitURL reads the HTTPS URL of a CodeCommit repository.
func parseCodeCommitURL(repoURL string) (codeCommitRepo, error) {
	u, err := url.Parse(repoURL)
	if err != nil || u.Scheme == "" || u.Host == "" {
		if strings.HasPrefix(repoURL, "ssh://") || (!strings.Contains(repoURL, "://") && strings.Contains(repoURL, "@")) {
			return codeCommitRepo{}, errCodeCommitSSH
		}
		return codeCommitRepo{}, fmt.Errorf("spec.provider aws takes the HTTPS URL of an AWS CodeCommit repository (%s): the URL does not parse", codeCommitURLForm)
	}
	if u.Scheme == "ssh" {
		return codeCommitRepo{}, errCodeCommitSSH
	}
	shown := u.Redacted()
	m := codeCommitHost.FindStringSubmatch(u.Hostname())
	if u.Scheme != "https" || m == nil {
		return codeCommitRepo{}, fmt.Errorf("spec.provider aws logs in to AWS CodeCommit repositories (%s), not '%s': use spec.provider generic for other Git servers", codeCommitURLForm, shown)
	}
	path := u.EscapedPath()
	name, ok := strings.CutPrefix(path, "/v1/repos/")
	if !ok || name == "" || strings.Contains(strings.TrimSuffix(name, "/"), "/") {
		return codeCommitRepo{}, fmt.Errorf("'%s' is not the URL of an AWS CodeCommit repository: its path must be /v1/repos/<name> (%s)", shown, codeCommitURLForm)
	}
	return codeCommitRepo{host: u.Hostname(), region: m[1], path: strings.TrimSuffix(path, "/")}, nil
}

// errCodeCommitSSH refuses an SSH URL with spec.provider aws.
var errCodeCommitSSH = errors.New("spec.provider aws authenticates to AWS CodeCommit over HTTPS only: use the repository's HTTPS URL (" + codeCommitURLForm + "), or spec.provider generic with an SSH key in spec.secretRef")

// CheckCodeCommitURL returns why repoURL is not the HTTPS URL of an AWS CodeCommit
// repository (https://git-codecommit[-fips].<region>.amazonaws.com[.cn]/v1/repos/<name>), the
// only URLs spec.provider aws of a GitRepository logs in to, or nil. The message names the
// URL without its user information.
func CheckCodeCommitURL(repoURL string) error {
	_, err := parseCodeCommitURL(repoURL)
	return err
}

// CodeCommitLogin returns the Git HTTP basic credentials for the AWS CodeCommit repository
// at repoURL (see CheckCodeCommitURL) of the AWS identity of sa, the role of its
// eks.amazonaws.com/role-arn annotation assumed with its tokens (object-level workload
// identity), or of the controller's own identity when sa is nil (the default chain of the AWS
// SDK): the username is the access key ID, followed by "%" and the session token of temporary
// credentials, and the password is "<time>Z<signature>", the Signature Version 4 of the
// repository's path and host, as CodeCommit takes them from its credential helper. They are
// cached in c, apart for every repository and identity, until shortly before the signature
// (15 minutes) or the credentials expire; a nil Cache caches nothing.
func (c *Cache) CodeCommitLogin(ctx context.Context, repoURL string, sa *ServiceAccount) (Login, error) {
	repo, err := parseCodeCommitURL(repoURL)
	if err != nil {
		return Login{}, err
	}
	key := AWS + "/codecommit/" + repo.host + repo.path + sa.cacheKey()
	if l, ok := c.get(key); ok {
		return l, nil
	}
	creds, err := awsCredentials{region: repo.region, sa: sa}.Retrieve(ctx)
	if err != nil {
		return Login{}, err
	}
	if creds.AccessKeyID == "" || creds.SecretAccessKey == "" {
		return Login{}, fmt.Errorf("failed to sign in to AWS CodeCommit with %s: the credentials have no access key", sa.identity("AWS"))
	}
	l := signCodeCommit(creds, repo, time.Now())
	c.put(key, l)
	return l, nil
}

// SignCodeCommit returns the Git HTTP basic credentials of creds for the AWS CodeCommit
// repository at repoURL (see CheckCodeCommitURL), signed at t as CodeCommitLogin signs them,
// valid until 15 minutes after t or until the credentials expire, whichever comes first.
func SignCodeCommit(creds aws.Credentials, repoURL string, t time.Time) (Login, error) {
	repo, err := parseCodeCommitURL(repoURL)
	if err != nil {
		return Login{}, err
	}
	return signCodeCommit(creds, repo, t), nil
}

// signCodeCommit returns the credentials of creds for repo signed at t, valid until the
// signature or the credentials expire.
func signCodeCommit(creds aws.Credentials, repo codeCommitRepo, t time.Time) Login {
	t = t.UTC()
	stamp := t.Format(codeCommitTimeFormat)
	day := stamp[:8]
	canonical := "GIT\n" + repo.path + "\n\nhost:" + repo.host + "\n\nhost\n"
	sum := sha256.Sum256([]byte(canonical))
	scope := day + "/" + repo.region + "/" + codeCommitService + "/aws4_request"
	toSign := "AWS4-HMAC-SHA256\n" + stamp + "\n" + scope + "\n" + hex.EncodeToString(sum[:])
	key := []byte("AWS4" + creds.SecretAccessKey)
	for _, part := range []string{day, repo.region, codeCommitService, "aws4_request"} {
		key = hmacSum(key, part)
	}
	user := creds.AccessKeyID
	if creds.SessionToken != "" {
		user += "%" + creds.SessionToken
	}
	l := Login{Username: user, Password: stamp + "Z" + hex.EncodeToString(hmacSum(key, toSign)),
		Expiry: t.Add(codeCommitSignatureLife)}
	if creds.CanExpire && creds.Expires.Before(l.Expiry) {
		l.Expiry = creds.Expires
	}
	return l
}

// hmacSum is the HMAC-SHA256 of data with key.
func hmacSum(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}
