package artifact

import (
	"archive/tar"
	"bytes"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzExtract feeds arbitrary archives to Extract and checks that it never
// panics, never writes outside its destination (nor a link resolving outside it,
// nor special mode bits), leaves no more than the limits allow, and that an
// archive it accepts extracts again to the same tree.
//
// An input that starts like a gzip stream is passed to Extract as it is.
// Any other input is read as a compact description of an archive (see
// specArchive), so that most mutations change entry types, names and link
// targets rather than compressed bytes, and inputs stay small enough for the
// fuzzer to minimise quickly.
func FuzzExtract(f *testing.F) {
	specs := []string{
		"d|a/||\nf|a/f.yaml||kind: A\nx|run.sh||#!/bin/sh",
		"f|../escape||x\nf|/abs||x\nd|./||",
		"l|l|../sentinel|\nf|l/f||x",
		"l|a/up|..|\nl|a/m|up/../sentinel|",
		"l|ok|d/f|\nf|d/f||x\nh|h|d/f|\nl|c|ok|",
		"h|h|../sentinel|\np|p||\nc|c||\nb|b||",
		"f|a||1\nf|a/b||2\nl|a|.|",
	}
	for _, s := range specs {
		f.Add([]byte(s))
	}
	f.Add(tarGz(f, fileEntry("gz/f", "compressed"), dirEntry("gz/d/")))
	f.Add(tarGz(f, fileEntry("../escape", "x")))
	f.Add(tarGz(f, linkEntry(tar.TypeSymlink, "l", "../sentinel")))
	f.Add([]byte{0x1f, 0x8b, 0x08, 0x00})

	limits := Limits{MaxDownloadSize: 1 << 20, MaxSize: 1 << 20, MaxFileSize: 64 << 10, MaxFiles: 64}
	f.Fuzz(func(t *testing.T, data []byte) {
		if !bytes.HasPrefix(data, []byte{0x1f, 0x8b}) {
			data = gzipBytes(t, specArchive(data))
		}
		parent, dest, sentinel := newConfinedDir(t)
		err := Extract(bytes.NewReader(data), dest, limits)
		assertConfined(t, parent, dest, sentinel)
		assertWithinLimits(t, dest, limits)
		if err == nil {
			// An archive extracted once extracts again to the same tree.
			_, again, _ := newConfinedDir(t)
			if err := Extract(bytes.NewReader(data), again, limits); err != nil {
				t.Fatalf("the second extraction failed: %v", err)
			}
			if a, b := treeOf(t, dest), treeOf(t, again); !maps.Equal(a, b) {
				t.Fatalf("two extractions differ: %v, %v", a, b)
			}
		}
	})
}

// specArchive builds a tar stream from a description with one entry per
// line, "<type>|<name>|<link target>|<content>". Types are f (file), x
// (setuid executable), d (directory), l (symbolic link), h (hard link),
// c and b (devices) and p (FIFO); any other byte is used as the raw tar
// type flag. Entries that the tar writer refuses are left out.
func specArchive(spec []byte) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, line := range strings.Split(string(spec), "\n") {
		fields := strings.SplitN(line, "|", 4)
		for len(fields) < 4 {
			fields = append(fields, "")
		}
		if fields[0] == "" {
			continue
		}
		hdr := specHeader(fields[0][0], fields[1], fields[2])
		if hdr.Typeflag == tar.TypeReg || hdr.Typeflag >= 'A' {
			hdr.Size = int64(len(fields[3]))
		}
		if err := tw.WriteHeader(hdr); err != nil {
			continue
		}
		if hdr.Size > 0 {
			if _, err := tw.Write([]byte(fields[3])); err != nil {
				break
			}
		}
	}
	_ = tw.Close()
	return buf.Bytes()
}

func specHeader(typ byte, name, target string) *tar.Header {
	hdr := &tar.Header{Name: name, Linkname: target, Mode: 0o644, Devmajor: 1, Devminor: 3}
	switch typ {
	case 'f':
		hdr.Typeflag = tar.TypeReg
	case 'x':
		hdr.Typeflag, hdr.Mode = tar.TypeReg, 0o4755
	case 'd':
		hdr.Typeflag, hdr.Mode = tar.TypeDir, 0o755
	case 'l':
		hdr.Typeflag = tar.TypeSymlink
	case 'h':
		hdr.Typeflag = tar.TypeLink
	case 'c':
		hdr.Typeflag = tar.TypeChar
	case 'b':
		hdr.Typeflag = tar.TypeBlock
	case 'p':
		hdr.Typeflag = tar.TypeFifo
	default:
		hdr.Typeflag = typ
	}
	return hdr
}

// assertWithinLimits checks that what an extraction left in dest is within limits: at most
// MaxFiles entries, no file larger than MaxFileSize, at most MaxSize bytes in all.
func assertWithinLimits(t *testing.T, dest string, limits Limits) {
	t.Helper()
	var files int
	var total int64
	_ = filepath.WalkDir(dest, func(p string, d os.DirEntry, err error) error {
		if err != nil || p == dest {
			return nil
		}
		files++
		if info, err := d.Info(); err == nil && info.Mode().IsRegular() {
			if info.Size() > limits.MaxFileSize {
				t.Fatalf("%s holds %d bytes, over the limit of %d", p, info.Size(), limits.MaxFileSize)
			}
			total += info.Size()
		}
		return nil
	})
	if files > limits.MaxFiles || total > limits.MaxSize {
		t.Fatalf("extracted %d entries, %d bytes: over the limits %+v", files, total, limits)
	}
}

// treeOf maps every path below dir to its type and content (or link target).
func treeOf(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		switch {
		case d.Type()&os.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			out[rel] = "link:" + target
		case d.IsDir():
			out[rel] = "dir"
		default:
			b, _ := os.ReadFile(p)
			out[rel] = "file:" + string(b)
		}
		return nil
	})
	return out
}
