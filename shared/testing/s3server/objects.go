package s3server

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/minio/minio-go/v7"
)

// CreateBucket creates a bucket in the server's region.
func (s *Server) CreateBucket(ctx context.Context, name string) error {
	ctx, cancel := waitCtx(ctx)
	defer cancel()
	if err := s.Client.MakeBucket(ctx, name, minio.MakeBucketOptions{Region: s.Region}); err != nil {
		return fmt.Errorf("failed to create bucket %s: %w", name, err)
	}
	return nil
}

// PutObject writes an object and returns its ETag.
func (s *Server) PutObject(ctx context.Context, bucket, key string, data []byte) (string, error) {
	ctx, cancel := waitCtx(ctx)
	defer cancel()
	info, err := s.Client.PutObject(ctx, bucket, key, bytes.NewReader(data), int64(len(data)), minio.PutObjectOptions{})
	if err != nil {
		return "", fmt.Errorf("failed to put object %s/%s: %w", bucket, key, err)
	}
	return info.ETag, nil
}

// PutObjects writes objects (key to content), in key order.
func (s *Server) PutObjects(ctx context.Context, bucket string, objects map[string]string) error {
	for _, key := range slices.Sorted(maps.Keys(objects)) {
		if _, err := s.PutObject(ctx, bucket, key, []byte(objects[key])); err != nil {
			return err
		}
	}
	return nil
}

// DeleteObject removes an object.
func (s *Server) DeleteObject(ctx context.Context, bucket, key string) error {
	ctx, cancel := waitCtx(ctx)
	defer cancel()
	if err := s.Client.RemoveObject(ctx, bucket, key, minio.RemoveObjectOptions{}); err != nil {
		return fmt.Errorf("failed to delete object %s/%s: %w", bucket, key, err)
	}
	return nil
}
