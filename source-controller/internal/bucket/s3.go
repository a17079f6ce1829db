package bucket

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// s3Store is the Store of S3-compatible APIs (providers generic and aws), with minio-go.
type s3Store struct {
	mc *minio.Client
}

// newS3Store returns the Store of an S3 endpoint.
func newS3Store(cfg Config, tr http.RoundTripper) (*s3Store, error) {
	host, secure, err := ParseEndpoint(cfg.Endpoint, cfg.Insecure)
	if err != nil {
		return nil, err
	}
	mc, err := minio.New(host, &minio.Options{
		Creds:     credentialsFor(cfg),
		Secure:    secure,
		Region:    cfg.Region,
		Transport: tr,
		// Failures are retried by the controller with back-off; a few quick retries here
		// only smooth over dropped connections.
		MaxRetries: 3,
	})
	if err != nil {
		return nil, fmt.Errorf("failed to create S3 client for %q: %w: %w", cfg.Endpoint, ErrInvalidEndpoint, err)
	}
	return &s3Store{mc: mc}, nil
}

// credentialsFor returns static credentials, those of an LDAP user from MinIO's STS, those
// of a ServiceAccount's AWS identity or of the controller's from a given STS, the
// environment's IAM credentials (aws without keys) or anonymous access.
func credentialsFor(cfg Config) *credentials.Credentials {
	switch {
	case cfg.AccessKey != "" || cfg.SecretKey != "":
		return credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, "")
	case cfg.STS != nil && cfg.STS.Provider == STSProviderLDAP:
		return ldapCredentials(cfg)
	case cfg.Provider == ProviderAWS && (cfg.STS != nil || cfg.ServiceAccount != nil):
		return awsIdentityCredentials(cfg)
	case cfg.Provider == ProviderAWS:
		return credentials.NewIAM("")
	}
	return credentials.New(&credentials.Static{Value: credentials.Value{SignerType: credentials.SignatureAnonymous}})
}

// Exists lists at most one object rather than asking with HEAD, whose answers carry no
// error code to tell a missing bucket from refused credentials.
func (s *s3Store) Exists(ctx context.Context, name string) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // stops the listing after its first answer
	for obj := range s.mc.ListObjects(ctx, name, minio.ListObjectsOptions{MaxKeys: 1}) {
		switch {
		case obj.Err == nil:
		case minio.ToErrorResponse(obj.Err).Code == "NoSuchBucket":
			return bucketNotFound(name)
		default:
			return s3Error{obj.Err}
		}
		break
	}
	return nil
}

// List lists the objects below prefix, recursively.
func (s *s3Store) List(ctx context.Context, bucket, prefix string, fn func(Object) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // stops the listing when fn fails
	for obj := range s.mc.ListObjects(ctx, bucket, minio.ListObjectsOptions{Prefix: prefix, Recursive: true}) {
		if obj.Err != nil {
			return s3Error{obj.Err}
		}
		if err := fn(Object{Key: obj.Key, ETag: obj.ETag, Size: obj.Size}); err != nil {
			return err
		}
	}
	return nil
}

// Get returns the object's content; minio-go asks the server on the first read, whose
// errors are classified too.
func (s *s3Store) Get(ctx context.Context, bucket, key string) (io.ReadCloser, error) {
	obj, err := s.mc.GetObject(ctx, bucket, key, minio.GetObjectOptions{})
	if err != nil {
		return nil, classifyS3(err)
	}
	return s3Object{obj}, nil
}

// s3Object classifies the errors of reading an object.
type s3Object struct{ *minio.Object }

// Read reads the object's content.
func (o s3Object) Read(p []byte) (int, error) {
	n, err := o.Object.Read(p)
	if err != nil && err != io.EOF {
		err = classifyS3(err)
	}
	return n, err
}

// classifyS3 returns err described, matching ErrObjectNotFound when the server says the
// object does not exist.
func classifyS3(err error) error {
	if minio.ToErrorResponse(err).Code == "NoSuchKey" {
		return objectNotFound(describe(err))
	}
	return s3Error{err}
}

// s3Error is an S3 error worded for users (see describe).
type s3Error struct{ err error }

// Error returns the description of the error.
func (e s3Error) Error() string { return describe(e.err) }

// Unwrap returns the client's error.
func (e s3Error) Unwrap() error { return e.err }

// describe returns a user-facing text of an S3 error: the server's message and code when
// it answered, otherwise the client's error.
func describe(err error) string {
	resp := minio.ToErrorResponse(err)
	if resp.Code == "" {
		return err.Error()
	}
	msg := resp.Message
	if msg == "" {
		msg = err.Error()
	}
	return fmt.Sprintf("%s (%s)", strings.TrimSuffix(msg, "."), resp.Code)
}
