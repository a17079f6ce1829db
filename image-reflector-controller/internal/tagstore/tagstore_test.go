package tagstore

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	. "github.com/onsi/gomega"
)

func TestPutAndTags(t *testing.T) {
	g := NewWithT(t)
	s, err := Open(filepath.Join(t.TempDir(), "store"))
	g.Expect(err).NotTo(HaveOccurred())
	rev, err := s.Put("ns", "app", []string{"1.1.0", "1.0.0", "latest", "1.0.0"}, "")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(rev).To(MatchRegexp(`^sha256:[0-9a-f]{64}$`))
	g.Expect(rev).To(Equal(Revision([]string{"latest", "1.0.0", "1.1.0"})), "the revision depends on the set of tags only")
	g.Expect(s.Has("ns", "app", rev)).To(BeTrue())
	g.Expect(s.Tags("ns", "app", rev)).To(Equal([]string{"1.0.0", "1.1.0", "latest"}))

	again, err := s.Put("ns", "app", []string{"latest", "1.1.0", "1.0.0"}, rev)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(again).To(Equal(rev))

	empty, err := s.Put("ns", "empty", nil, "")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(s.Tags("ns", "empty", empty)).To(BeEmpty())

	// A new store on the same directory (a restarted controller) reads what was stored.
	reopened, err := Open(s.Root())
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(reopened.Tags("ns", "app", rev)).To(HaveLen(3))
}

// TestPutKeepsTwoLists: storing a new list removes the older ones but the one the status
// still names, and what an interrupted write left behind.
func TestPutKeepsTwoLists(t *testing.T) {
	g := NewWithT(t)
	s, err := Open(t.TempDir())
	g.Expect(err).NotTo(HaveOccurred())
	r1, _ := s.Put("ns", "app", []string{"1"}, "")
	r2, _ := s.Put("ns", "app", []string{"1", "2"}, r1)
	g.Expect(os.WriteFile(filepath.Join(s.Root(), "ns", "app", tmpPrefix+"123"), []byte("half"), 0o600)).To(Succeed())
	r3, err := s.Put("ns", "app", []string{"1", "2", "3"}, r2)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(s.Has("ns", "app", r1)).To(BeFalse())
	g.Expect(s.Has("ns", "app", r2)).To(BeTrue())
	g.Expect(s.Has("ns", "app", r3)).To(BeTrue())
	entries, err := os.ReadDir(filepath.Join(s.Root(), "ns", "app"))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(entries).To(HaveLen(2))
	_, err = s.Tags("ns", "app", r1)
	g.Expect(errors.Is(err, ErrNotFound)).To(BeTrue())
}

func TestDamagedAndInvalid(t *testing.T) {
	g := NewWithT(t)
	s, err := Open(t.TempDir())
	g.Expect(err).NotTo(HaveOccurred())
	rev, _ := s.Put("ns", "app", []string{"1.0.0"}, "")
	file, _ := s.file("ns", "app", rev)
	g.Expect(os.WriteFile(file, []byte("2.0.0\n"), 0o600)).To(Succeed())
	_, err = s.Tags("ns", "app", rev)
	g.Expect(err).To(MatchError(ErrNotFound))
	g.Expect(err.Error()).To(ContainSubstring("the stored copy is damaged"))

	_, err = s.Tags("ns", "app", "sha256:nothex")
	g.Expect(err).To(MatchError(ContainSubstring("is not a revision of the store")))
	g.Expect(s.Has("ns", "app", "../../etc")).To(BeFalse())
	_, err = s.Put("..", "app", []string{"x"}, "")
	g.Expect(err).To(MatchError(ContainSubstring("not a Kubernetes name")))
	_, err = s.Put("ns", "a/b", []string{"x"}, "")
	g.Expect(err).To(MatchError(ContainSubstring("not a Kubernetes name")))
}

func TestDelete(t *testing.T) {
	g := NewWithT(t)
	s, err := Open(t.TempDir())
	g.Expect(err).NotTo(HaveOccurred())
	rev, _ := s.Put("ns", "app", []string{"1"}, "")
	g.Expect(s.Delete("ns", "app")).To(Succeed())
	g.Expect(s.Has("ns", "app", rev)).To(BeFalse())
	g.Expect(filepath.Join(s.Root(), "ns")).NotTo(BeADirectory())
	g.Expect(s.Delete("ns", "app")).To(Succeed(), "deleting twice is fine")
}

// BenchmarkPutAndRead stores and reads back lists of 1,000 and 10,000 tags, reporting the
// bytes a list takes on disk.
func BenchmarkPutAndRead(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		tags := make([]string, n)
		for i := range tags {
			tags[i] = fmt.Sprintf("1.%d.%d-build.%07x", i/100, i%100, i*7919)
		}
		b.Run(fmt.Sprintf("tags=%d", n), func(b *testing.B) {
			s, err := Open(b.TempDir())
			if err != nil {
				b.Fatal(err)
			}
			var size int64
			for i := 0; b.Loop(); i++ {
				tags[0] = fmt.Sprintf("0.0.%d", i) // a new list each time
				rev, err := s.Put("ns", "app", tags, "")
				if err != nil {
					b.Fatal(err)
				}
				got, err := s.Tags("ns", "app", rev)
				if err != nil || len(got) != n {
					b.Fatalf("read %d tags: %v", len(got), err)
				}
				file, _ := s.file("ns", "app", rev)
				if fi, err := os.Stat(file); err == nil {
					size = fi.Size()
				}
			}
			b.ReportMetric(float64(size), "bytes-on-disk")
		})
	}
}
