package artifact

import (
	"archive/tar"
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestExtractAccepts(t *testing.T) {
	tests := []struct {
		name    string
		archive []byte
		check   func(t *testing.T, dest string)
	}{
		{
			name: "files and directories",
			archive: tarGz(t, dirEntry("a/"), fileEntry("a/f.yaml", "kind: A"),
				modeEntry("run.sh", "#!/bin/sh", 0o700), fileEntry("x/y/z.txt", "deep")),
			check: func(t *testing.T, dest string) {
				wantFile(t, dest, "a/f.yaml", "kind: A", 0o644)
				wantFile(t, dest, "run.sh", "#!/bin/sh", 0o755)
				wantFile(t, dest, "x/y/z.txt", "deep", 0o644)
			},
		},
		{
			name:    "root entry and dot-slash names",
			archive: tarGz(t, dirEntry("./"), dirEntry("./a/"), fileEntry("./a/f", "f")),
			check:   func(t *testing.T, dest string) { wantFile(t, dest, "a/f", "f", 0o644) },
		},
		{
			name:    "dot-dot that stays inside",
			archive: tarGz(t, fileEntry("a/../b", "b")),
			check:   func(t *testing.T, dest string) { wantFile(t, dest, "b", "b", 0o644) },
		},
		{
			name:    "setuid and other special bits are dropped",
			archive: tarGz(t, modeEntry("suid", "x", 0o6777), dirEntry("d/")),
			check:   func(t *testing.T, dest string) { wantFile(t, dest, "suid", "x", 0o755) },
		},
		{
			name: "global pax header is ignored",
			archive: tarGz(t, tarEntry{hdr: tar.Header{Typeflag: tar.TypeXGlobalHeader, Name: "pax_global_header",
				PAXRecords: map[string]string{"comment": "abc"}}}, fileEntry("f", "f")),
			check: func(t *testing.T, dest string) { wantFile(t, dest, "f", "f", 0o644) },
		},
		{
			name:    "symlink inside the root",
			archive: tarGz(t, linkEntry(tar.TypeSymlink, "a/l", "../b/f"), fileEntry("b/f", "f")),
			check:   func(t *testing.T, dest string) { wantFile(t, dest, "a/l", "f", 0o644) },
		},
		{
			name: "chained symlinks inside the root",
			archive: tarGz(t, linkEntry(tar.TypeSymlink, "l1", "l2"), linkEntry(tar.TypeSymlink, "l2", "d"),
				fileEntry("d/f", "f")),
			check: func(t *testing.T, dest string) { wantFile(t, dest, "l1/f", "f", 0o644) },
		},
		{
			name:    "hard link to an earlier file",
			archive: tarGz(t, fileEntry("f", "same"), linkEntry(tar.TypeLink, "d/h", "f")),
			check:   func(t *testing.T, dest string) { wantFile(t, dest, "d/h", "same", 0o644) },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			parent, dest, sentinel := newConfinedDir(t)
			if err := Extract(bytes.NewReader(tt.archive), dest, Limits{}); err != nil {
				t.Fatalf("Extract() error = %v", err)
			}
			assertConfined(t, parent, dest, sentinel)
			tt.check(t, dest)
		})
	}
}

// rejectCase is an archive that Extract must refuse.
type rejectCase struct {
	name    string
	archive []byte
	limits  Limits
	wantErr error  // sentinel the error must match, if any
	wantMsg string // substring of the error message
}

func TestExtractRejectsUnsafeEntries(t *testing.T) {
	runRejectCases(t, []rejectCase{
		{name: "absolute path", archive: tarGz(t, fileEntry("/etc/evil", "x")),
			wantErr: ErrUnsafeEntry, wantMsg: `entry "/etc/evil" has an absolute path`},
		{name: "dot-dot escape", archive: tarGz(t, fileEntry("../x", "x")),
			wantErr: ErrUnsafeEntry, wantMsg: `entry "../x" escapes the artifact root`},
		{name: "nested dot-dot escape", archive: tarGz(t, fileEntry("a/b/../../../x", "x")),
			wantErr: ErrUnsafeEntry, wantMsg: "escapes the artifact root"},
		{name: "directory escape", archive: tarGz(t, dirEntry("../d/")),
			wantErr: ErrUnsafeEntry, wantMsg: "escapes the artifact root"},
		{name: "file replacing the root", archive: tarGz(t, fileEntry(".", "x")),
			wantErr: ErrUnsafeEntry, wantMsg: "would replace the artifact root"},
		{name: "absolute symlink", archive: tarGz(t, linkEntry(tar.TypeSymlink, "l", "/etc/passwd")),
			wantErr: ErrUnsafeEntry, wantMsg: `points to the absolute path "/etc/passwd"`},
		{name: "symlink escaping the root", archive: tarGz(t, linkEntry(tar.TypeSymlink, "l", "../sentinel")),
			wantErr: ErrUnsafeEntry, wantMsg: "outside the artifact root"},
		{name: "symlink escaping from a subdirectory", archive: tarGz(t, linkEntry(tar.TypeSymlink, "a/b/l", "../../../x")),
			wantErr: ErrUnsafeEntry, wantMsg: "outside the artifact root"},
		{name: "symlink escaping through another symlink", archive: tarGz(t,
			linkEntry(tar.TypeSymlink, "a/up", ".."), linkEntry(tar.TypeSymlink, "a/m", "up/../sentinel")),
			wantErr: ErrUnsafeEntry, wantMsg: `through the symbolic link "a/up"`},
		{name: "symlink through a symlink declared later", archive: tarGz(t,
			linkEntry(tar.TypeSymlink, "m", "s/../x"), linkEntry(tar.TypeSymlink, "s", "d/e")),
			wantErr: ErrUnsafeEntry, wantMsg: `through the symbolic link "s"`},
		{name: "file written below a symlink", archive: tarGz(t, linkEntry(tar.TypeSymlink, "l", "."), fileEntry("l/f", "x")),
			wantErr: ErrUnsafeEntry, wantMsg: `entry "l/f" is below "l", which is not a directory`},
		{name: "symlink replacing a directory", archive: tarGz(t, fileEntry("a/f", "x"), linkEntry(tar.TypeSymlink, "a", "..")),
			wantErr: ErrUnsafeEntry, wantMsg: `entry "a" appears more than once`},
		{name: "duplicate file", archive: tarGz(t, fileEntry("f", "1"), fileEntry("f", "2")),
			wantErr: ErrUnsafeEntry, wantMsg: `entry "f" appears more than once`},
		{name: "hard link outside the root", archive: tarGz(t, linkEntry(tar.TypeLink, "h", "../sentinel")),
			wantErr: ErrUnsafeEntry, wantMsg: "outside the artifact root"},
		{name: "hard link to an absolute path", archive: tarGz(t, linkEntry(tar.TypeLink, "h", "/etc/passwd")),
			wantErr: ErrUnsafeEntry, wantMsg: "outside the artifact root"},
		{name: "hard link to a missing file", archive: tarGz(t, linkEntry(tar.TypeLink, "h", "nope")),
			wantErr: ErrUnsafeEntry, wantMsg: "not a regular file earlier in the artifact"},
		{name: "hard link to a symlink", archive: tarGz(t, linkEntry(tar.TypeSymlink, "l", "x"), linkEntry(tar.TypeLink, "h", "l")),
			wantErr: ErrUnsafeEntry, wantMsg: "not a regular file earlier in the artifact"},
		{name: "character device", archive: tarGz(t, specialEntry(tar.TypeChar, "null")),
			wantErr: ErrUnsafeEntry, wantMsg: `entry "null" is a device file`},
		{name: "block device", archive: tarGz(t, specialEntry(tar.TypeBlock, "sda")),
			wantErr: ErrUnsafeEntry, wantMsg: `entry "sda" is a device file`},
		{name: "fifo", archive: tarGz(t, specialEntry(tar.TypeFifo, "pipe")),
			wantErr: ErrUnsafeEntry, wantMsg: `entry "pipe" is a FIFO`},
	})
}

func TestExtractEnforcesLimits(t *testing.T) {
	small := Limits{MaxSize: 10, MaxFileSize: 8, MaxFiles: 3}
	runRejectCases(t, []rejectCase{
		{name: "too many files", archive: tarGz(t, fileEntry("a", ""), fileEntry("b", ""), fileEntry("c", ""), fileEntry("d", "")),
			limits: small, wantErr: ErrLimitExceeded, wantMsg: "artifact exceeds the limit of 3 files"},
		{name: "implicit directories count as files", archive: tarGz(t, fileEntry("a/b/c/d", "")),
			limits: small, wantErr: ErrLimitExceeded, wantMsg: "artifact exceeds the limit of 3 files"},
		{name: "file over the per-file limit", archive: tarGz(t, fileEntry("big", "123456789")),
			limits: small, wantErr: ErrLimitExceeded, wantMsg: `entry "big" is 9 bytes, over the per-file limit of 8 bytes`},
		{name: "total over the size limit", archive: tarGz(t, fileEntry("a", "123456"), fileEntry("b", "123456")),
			limits: small, wantErr: ErrLimitExceeded, wantMsg: "artifact exceeds the size limit of 10 bytes"},
		{name: "decompressed stream over its limit", archive: gzipBytes(t, append(tarBytes(t, fileEntry("a", "1")), make([]byte, 1<<20)...)),
			limits: small, wantErr: ErrLimitExceeded, wantMsg: "bytes of decompressed tar data"},
		{name: "not gzip", archive: []byte("plain text"), wantMsg: "failed to read artifact as gzip"},
		{name: "truncated archive", archive: tarGz(t, fileEntry("f", "0123456789"))[:40], wantMsg: "failed to"},
		{name: "unsupported entry type", archive: tarGz(t, tarEntry{hdr: tar.Header{Typeflag: tar.TypeCont, Name: "c"}}),
			wantErr: ErrUnsafeEntry, wantMsg: "unsupported tar type"},
	})
}

func runRejectCases(t *testing.T, tests []rejectCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			parent, dest, sentinel := newConfinedDir(t)
			err := Extract(bytes.NewReader(tt.archive), dest, tt.limits)
			assertConfined(t, parent, dest, sentinel)
			if err == nil {
				t.Fatalf("Extract() succeeded, want error %q", tt.wantMsg)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("Extract() error = %q, want it to contain %q", err, tt.wantMsg)
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("Extract() error = %v, want it to match %v", err, tt.wantErr)
			}
		})
	}
}

func TestExtractIntoNonEmptyDestination(t *testing.T) {
	dest := t.TempDir()
	writeTree(t, dest, map[string]string{"f": "old"})
	err := Extract(bytes.NewReader(tarGz(t, fileEntry("f", "new"))), dest, Limits{})
	if err == nil {
		t.Fatal("Extract() overwrote an existing file")
	}
	wantFile(t, dest, "f", "old", 0o644)
}

func wantFile(t *testing.T, dest, name, content string, perm os.FileMode) {
	t.Helper()
	p := filepath.Join(dest, filepath.FromSlash(name))
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("failed to read %s: %v", name, err)
	}
	if string(b) != content {
		t.Errorf("%s = %q, want %q", name, b, content)
	}
	info, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	// Compare the owner bits and the type only, so that the umask of the
	// test run does not matter.
	const mask = os.ModeType | os.ModeSetuid | os.ModeSetgid | os.ModeSticky | 0o700
	if info.Mode()&mask != perm&mask {
		t.Errorf("mode of %s = %v, want %v", name, info.Mode(), perm)
	}
}

func TestExtractWithInsecurePathCheckOfTheTarReader(t *testing.T) {
	t.Setenv("GODEBUG", "tarinsecurepath=0")
	err := Extract(bytes.NewReader(tarGz(t, fileEntry("../x", "x"))), t.TempDir(), Limits{})
	if !errors.Is(err, ErrUnsafeEntry) || !strings.Contains(err.Error(), `entry "../x" escapes the artifact root`) {
		t.Fatalf("Extract() error = %v, want the escape reported", err)
	}
	if err := Extract(bytes.NewReader(tarGz(t, fileEntry("ok", "x"))), t.TempDir(), Limits{}); err != nil {
		t.Fatalf("Extract() error = %v", err)
	}
}
