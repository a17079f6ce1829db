package bucket

import (
	"context"
	"errors"
	"io"
)

// ErrObjectNotFound is matched by errors about an object that does not exist.
var ErrObjectNotFound = errors.New("object not found")

// Object is an object of a listing.
type Object struct {
	// Key is the object's key (name), the path of its file.
	Key string
	// ETag tells the object's content apart from any other content it had or will have.
	ETag string
	// Size is the object's length in bytes.
	Size int64
}

// Store is the API of one provider's object storage, all that the listing, ignore rules,
// revision and incremental download of a Client need: S3 (generic and aws), Azure Blob
// Storage (azure) and Google Cloud Storage (gcp) each implement it. Errors are worded for
// users (the server's message and code), without secrets.
type Store interface {
	// Exists returns nil when the bucket exists, an error matching ErrBucketNotFound when
	// it does not, and another error when the server cannot tell (unreachable, refused
	// credentials).
	Exists(ctx context.Context, bucket string) error
	// List calls fn with every object of bucket whose key starts with prefix, in any order,
	// and returns fn's first error.
	List(ctx context.Context, bucket, prefix string, fn func(Object) error) error
	// Get returns the content of an object; its error matches ErrObjectNotFound, when it
	// is returned or when the content is read, if the object does not exist.
	Get(ctx context.Context, bucket, key string) (io.ReadCloser, error)
}

// bucketNotFound is the error of a missing bucket.
func bucketNotFound(name string) error {
	return &classified{class: ErrBucketNotFound, msg: "bucket '" + name + "' not found"}
}

// objectNotFound is the error of a missing object, with the server's description.
func objectNotFound(desc string) error {
	return &classified{class: ErrObjectNotFound, msg: desc}
}
