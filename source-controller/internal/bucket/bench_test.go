package bucket

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

// BenchmarkListAndDownload measures one reconcile's bucket work for 200 objects of 4 KiB
// on the local S3 server: listing alone (the unchanged case), a full download, and a
// download after one object changed, which reuses the other 199 files.
func BenchmarkListAndDownload(b *testing.B) {
	ctx := context.Background()
	const n = 200
	name := fmt.Sprintf("bench-%d", bucketSeq.Add(1))
	if err := server.CreateBucket(ctx, name); err != nil {
		b.Fatal(err)
	}
	content := strings.Repeat("x", 4<<10)
	objects := map[string]string{}
	for i := range n {
		objects[fmt.Sprintf("dir%d/obj%03d.yaml", i%10, i)] = content
	}
	if err := server.PutObjects(ctx, name, objects); err != nil {
		b.Fatal(err)
	}
	c, err := NewClient(Config{Endpoint: server.Endpoint, Insecure: true, Region: server.Region, AccessKey: server.AccessKey, SecretKey: server.SecretKey})
	if err != nil {
		b.Fatal(err)
	}
	l, err := c.List(ctx, name, "", nil)
	if err != nil || len(l.Index) != n {
		b.Fatalf("List = %d objects, %v", len(l.Index), err)
	}
	b.Run("list", func(b *testing.B) {
		for b.Loop() {
			if _, err := c.List(ctx, name, "", nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("full-download", func(b *testing.B) {
		for b.Loop() {
			if _, err := c.Download(ctx, name, b.TempDir(), l.Index, nil, 0); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("one-changed", func(b *testing.B) {
		dir := b.TempDir()
		if _, err := c.Download(ctx, name, dir, l.Index, nil, 0); err != nil {
			b.Fatal(err)
		}
		have := Index{}
		for k, v := range l.Index {
			have[k] = v
		}
		have["dir0/obj000.yaml"] = "stale"
		for b.Loop() {
			st, err := c.Download(ctx, name, dir, l.Index, have, 0)
			if err != nil || st.Fetched != 1 {
				b.Fatalf("Download = %+v, %v; want 1 fetched", st, err)
			}
		}
	})
}
