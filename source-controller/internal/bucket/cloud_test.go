package bucket

import (
	"crypto/tls"
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ferry-gitops/ferry/shared/cloud"
	"github.com/ferry-gitops/ferry/shared/testing/azureapi"
	"github.com/ferry-gitops/ferry/shared/testing/cloudtest"
	"github.com/ferry-gitops/ferry/shared/testing/gcpapi"
	"github.com/ferry-gitops/ferry/shared/testing/pki"
)

// trustedCert issues a server certificate for 127.0.0.1 of a new CA that the code under
// test trusts, through the CA hook of shared/cloud, besides the CAs it already trusts.
func trustedCert(t *testing.T) *tls.Certificate {
	t.Helper()
	c := pki.TrustedServer(t, cloud.TestCAFileEnv)
	return &c
}

// azureAccount starts a storage account over HTTPS, trusted through the test CA hook, whose
// container "c" holds objects, with an Entra ID authority for a service principal.
func azureAccount(t *testing.T, objects map[string]string) (*azureapi.Blob, *azureapi.Server) {
	t.Helper()
	cert := trustedCert(t)
	entra, err := azureapi.New(azureapi.Principal{TenantID: "tenant-1", ClientID: "app-1", ClientSecret: "s3cret"}, *cert)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(entra.Close)
	b := azureapi.NewBlob(t, azureapi.BlobOptions{Cert: cert, Entra: entra, PageSize: 2})
	b.PutBlobs("c", objects)
	return b, entra
}

// checkListAndDownload lists container "c" with cfg and downloads it, expecting objects.
func checkListAndDownload(t *testing.T, cfg Config, bucket string, want map[string]string) Index {
	t.Helper()
	c, err := NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx := ctxT(t)
	if err := c.BucketExists(ctx, bucket); err != nil {
		t.Fatal(err)
	}
	l, err := c.List(ctx, bucket, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := slices.Sorted(maps.Keys(l.Index)); !slices.Equal(got, slices.Sorted(maps.Keys(want))) {
		t.Fatalf("keys = %v, want those of %v", got, want)
	}
	dir := t.TempDir()
	if _, err := c.Download(ctx, bucket, dir, l.Index, nil, 2); err != nil {
		t.Fatal(err)
	}
	assertTree(t, dir, want)
	return l.Index
}

func TestAzure(t *testing.T) {
	objects := map[string]string{".sourceignore": "*.md\n", "a.yaml": "a", "dir/b.yaml": "b", "dir/c.yaml": "c", "README.md": "x"}
	want := map[string]string{"a.yaml": "a", "dir/b.yaml": "b", "dir/c.yaml": "c"}
	b, entra := azureAccount(t, objects)
	tests := []struct {
		name string
		auth func() AzureAuth
	}{
		{"shared key", func() AzureAuth { return AzureAuth{AccountKey: b.Key()} }},
		{"SAS token", func() AzureAuth {
			return AzureAuth{SASToken: "?" + b.ContainerSAS("c", "rl", time.Now().Add(time.Hour))}
		}},
		{"service principal", func() AzureAuth {
			return AzureAuth{TenantID: "tenant-1", ClientID: "app-1", ClientSecret: "s3cret", AuthorityHost: entra.URL() + "/"}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkListAndDownload(t, Config{Provider: ProviderAzure, Endpoint: b.URL(), Azure: tt.auth()}, "c", want)
		})
	}

	// The controller's identity: a workload identity of another authority.
	t.Run("controller identity", func(t *testing.T) {
		authority := cloudtest.AzureIdentity(t, cloud.TestCAFileEnv)
		acct := azureapi.NewBlob(t, azureapi.BlobOptions{Cert: trustedCert(t), Entra: authority})
		acct.PutBlobs("c", map[string]string{"a.yaml": "a"})
		checkListAndDownload(t, Config{Provider: ProviderAzure, Endpoint: acct.URL(), Identity: cloud.NewCache(0, 0)}, "c", map[string]string{"a.yaml": "a"})
	})
}

func TestAzureFailures(t *testing.T) {
	b, entra := azureAccount(t, map[string]string{"a.yaml": "a"})
	otherKey := azureapi.NewBlob(t, azureapi.BlobOptions{}).Key()
	tests := []struct {
		name    string
		auth    AzureAuth
		bucket  string
		wantErr string
	}{
		{"wrong key", AzureAuth{AccountKey: otherKey}, "c", "Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly including the signature (AuthenticationFailed)"},
		{"expired SAS", AzureAuth{SASToken: b.ContainerSAS("c", "rl", time.Now().Add(-time.Minute))}, "c", "(AuthenticationFailed)"},
		{"SAS without list", AzureAuth{SASToken: b.ContainerSAS("c", "r", time.Now().Add(time.Hour))}, "c", "(AuthorizationPermissionMismatch)"},
		{"SAS of another container", AzureAuth{SASToken: b.ContainerSAS("d", "rl", time.Now().Add(time.Hour))}, "c", "(AuthenticationFailed)"},
		{"wrong client secret", AzureAuth{TenantID: "tenant-1", ClientID: "app-1", ClientSecret: "wrong", AuthorityHost: entra.URL() + "/"}, "c", "AADSTS7000215"},
		{"anonymous", AzureAuth{}, "c", "(NoAuthenticationInformation)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := NewClient(Config{Provider: ProviderAzure, Endpoint: b.URL(), Azure: tt.auth})
			if err != nil {
				t.Fatal(err)
			}
			err = c.BucketExists(ctxT(t), tt.bucket)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || errors.Is(err, ErrBucketNotFound) {
				t.Fatalf("BucketExists = %v, want an error containing %q", err, tt.wantErr)
			}
			if strings.Contains(err.Error(), "\n") || strings.Contains(err.Error(), b.Key()) || strings.Contains(err.Error(), "s3cret") {
				t.Fatalf("BucketExists = %q: want one line without secrets", err)
			}
		})
	}
	c, err := NewClient(Config{Provider: ProviderAzure, Endpoint: b.URL(), Azure: AzureAuth{AccountKey: b.Key()}})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.BucketExists(ctxT(t), "missing"); !errors.Is(err, ErrBucketNotFound) || err.Error() != "bucket 'missing' not found" {
		t.Fatalf("BucketExists(missing) = %v, want ErrBucketNotFound", err)
	}
}

// gcsServer starts Cloud Storage with a bucket "b" holding objects, listed two at a time.
func gcsServer(t *testing.T, objects map[string]string) *gcpapi.Server {
	t.Helper()
	s, err := gcpapi.New("reader@ferry-test.iam.gserviceaccount.com")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	s.SetPageSize(2)
	s.PutObjects("b", objects)
	return s
}

func TestGoogle(t *testing.T) {
	objects := map[string]string{".sourceignore": "*.md\n", "a.yaml": "a", "dir/b.yaml": "b", "dir/c.yaml": "c", "README.md": "x"}
	want := map[string]string{"a.yaml": "a", "dir/b.yaml": "b", "dir/c.yaml": "c"}
	s := gcsServer(t, objects)
	first := checkListAndDownload(t, Config{Provider: ProviderGCP, Endpoint: s.URL(), GoogleServiceAccount: s.ServiceAccountJSON()}, "b", want)

	// A new generation changes the revision.
	s.PutObjects("b", map[string]string{"a.yaml": "a"})
	second := checkListAndDownload(t, Config{Provider: ProviderGCP, Endpoint: s.URL(), GoogleServiceAccount: s.ServiceAccountJSON()}, "b", want)
	if first.Revision() == second.Revision() {
		t.Fatal("a new generation must change the revision")
	}

	// The controller's identity: the metadata server's tokens.
	t.Run("controller identity", func(t *testing.T) {
		id := cloudtest.GCP(t)
		s.AcceptTokens(id.GCP.Valid)
		checkListAndDownload(t, Config{Provider: ProviderGCP, Endpoint: s.URL(), Identity: cloud.NewCache(0, 0)}, "b", want)
	})
}

func TestGoogleFailures(t *testing.T) {
	s := gcsServer(t, map[string]string{"a.yaml": "a"})
	tests := []struct {
		name    string
		key     []byte
		wantErr string
	}{
		{"foreign key", s.ForeignServiceAccountJSON(), "Invalid JWT Signature"},
		{"anonymous", nil, "Anonymous caller does not have storage.objects.list access"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := NewClient(Config{Provider: ProviderGCP, Endpoint: s.URL(), GoogleServiceAccount: tt.key})
			if err != nil {
				t.Fatal(err)
			}
			err = c.BucketExists(ctxT(t), "b")
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || errors.Is(err, ErrBucketNotFound) {
				t.Fatalf("BucketExists = %v, want an error containing %q", err, tt.wantErr)
			}
		})
	}
	if _, err := NewClient(Config{Provider: ProviderGCP, Endpoint: s.URL(), GoogleServiceAccount: []byte("{}")}); err == nil {
		t.Fatal("NewClient accepted a key that is not a service account's")
	}
	c, err := NewClient(Config{Provider: ProviderGCP, Endpoint: s.URL(), GoogleServiceAccount: s.ServiceAccountJSON()})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.BucketExists(ctxT(t), "missing"); !errors.Is(err, ErrBucketNotFound) {
		t.Fatalf("BucketExists(missing) = %v, want ErrBucketNotFound", err)
	}
}

func TestCheckEndpoint(t *testing.T) {
	tests := []struct {
		provider, endpoint string
		insecure           bool
		wantErr            string
	}{
		{ProviderAzure, "https://acct.blob.core.windows.net", false, ""},
		{ProviderAzure, "acct.blob.core.windows.net", false, ""},
		{ProviderAzure, "https://acct.blob.core.windows.net/?sv=x", false, ""},
		{ProviderAzure, "https://127.0.0.1:10000/devstoreaccount1", false, ""},
		{ProviderAzure, "https://acct.blob.core.windows.net/container", false, "expected no path"},
		{ProviderAzure, "https://127.0.0.1:10000", false, "only path element"},
		{ProviderAzure, "ftp://acct.blob.core.windows.net", false, "scheme"},
		{ProviderAzure, "", false, "it is empty"},
		{ProviderGCP, "storage.googleapis.com", false, ""},
		{ProviderGCP, "http://127.0.0.1:9000", false, ""},
		{ProviderGCP, "https://storage.googleapis.com/b", false, "expected only a host"},
		{ProviderGeneric, "https://s3.example.com/bucket", false, "expected only a host"},
	}
	for _, tt := range tests {
		t.Run(tt.provider+" "+tt.endpoint, func(t *testing.T) {
			err := CheckEndpoint(tt.provider, tt.endpoint, tt.insecure)
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.Is(err, ErrInvalidEndpoint)) {
				t.Fatalf("CheckEndpoint = %v, want error %q", err, tt.wantErr)
			}
		})
	}
	ep, err := parseAzureEndpoint("https://acct.blob.core.windows.net", false)
	if err != nil || ep.account != "acct" {
		t.Fatalf("account = %q, %v; want acct", ep.account, err)
	}
	if b, _ := googleBasePath("storage.googleapis.com", false); b != "" {
		t.Fatalf("base path of Google's endpoint = %q, want the default", b)
	}
}
