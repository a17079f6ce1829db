package workspace

import (
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// Edit is given the slash path (from the repository root) and content of each file Rewrite
// selects, and returns the new content and whether it changed.
type Edit func(path string, data []byte) ([]byte, bool, error)

// Select says whether Rewrite reads the file at a slash path.
type Select func(path string) bool

// Rewrite edits the regular files that sel selects below dir (a slash path, "" for the root)
// in the tree of commit, and returns the hash of the new root tree, and whether any file
// changed. Nothing is written but new Git objects; symbolic links and submodules are left
// alone.
func (r *Repo) Rewrite(commit plumbing.Hash, dir string, sel Select, edit Edit) (plumbing.Hash, bool, error) {
	c, err := r.repo.CommitObject(commit)
	if err != nil {
		return plumbing.ZeroHash, false, fmt.Errorf("failed to read commit '%s': %w", commit, err)
	}
	root, err := c.Tree()
	if err != nil {
		return plumbing.ZeroHash, false, fmt.Errorf("failed to read the tree of '%s': %w", commit, err)
	}
	var parts []string
	if clean := path.Clean("/" + dir); clean != "/" {
		parts = strings.Split(strings.TrimPrefix(clean, "/"), "/")
	}
	return r.rewriteAt(root, parts, "", sel, edit)
}

// rewriteAt descends through the directories parts to rewrite the tree there, and returns the
// hash of tree with the rewritten subtree in place.
func (r *Repo) rewriteAt(tree *object.Tree, parts []string, prefix string, sel Select, edit Edit) (plumbing.Hash, bool, error) {
	if len(parts) == 0 {
		return r.rewriteTree(tree, prefix, sel, edit)
	}
	for i, e := range tree.Entries {
		if e.Name != parts[0] {
			continue
		}
		if e.Mode != filemode.Dir {
			break
		}
		sub, err := r.repo.TreeObject(e.Hash)
		if err != nil {
			return plumbing.ZeroHash, false, fmt.Errorf("failed to read directory '%s': %w", prefix+e.Name, err)
		}
		h, changed, err := r.rewriteAt(sub, parts[1:], prefix+e.Name+"/", sel, edit)
		if err != nil || !changed {
			return tree.Hash, false, err
		}
		return r.replaceEntry(tree, i, h)
	}
	return plumbing.ZeroHash, false, fmt.Errorf("path '%s' is not a directory of the repository", strings.TrimSuffix(prefix+strings.Join(parts, "/"), "/"))
}

// rewriteTree edits every selected file below tree and returns the new tree's hash.
func (r *Repo) rewriteTree(tree *object.Tree, prefix string, sel Select, edit Edit) (plumbing.Hash, bool, error) {
	entries := tree.Entries
	changedAny := false
	for i, e := range tree.Entries {
		p := prefix + e.Name
		var h plumbing.Hash
		var changed bool
		var err error
		switch {
		case e.Mode == filemode.Dir:
			sub, terr := r.repo.TreeObject(e.Hash)
			if terr != nil {
				return plumbing.ZeroHash, false, fmt.Errorf("failed to read directory '%s': %w", p, terr)
			}
			h, changed, err = r.rewriteTree(sub, p+"/", sel, edit)
		case (e.Mode == filemode.Regular || e.Mode == filemode.Executable) && sel(p):
			h, changed, err = r.rewriteBlob(e.Hash, p, edit)
		}
		if err != nil {
			return plumbing.ZeroHash, false, err
		}
		if changed {
			if !changedAny {
				entries = append([]object.TreeEntry(nil), tree.Entries...)
				changedAny = true
			}
			entries[i].Hash = h
		}
	}
	if !changedAny {
		return tree.Hash, false, nil
	}
	h, err := r.storeTree(entries)
	return h, true, err
}

// rewriteBlob edits one file and stores its new content.
func (r *Repo) rewriteBlob(hash plumbing.Hash, p string, edit Edit) (plumbing.Hash, bool, error) {
	blob, err := r.repo.BlobObject(hash)
	if err != nil {
		return plumbing.ZeroHash, false, fmt.Errorf("failed to read '%s': %w", p, err)
	}
	rd, err := blob.Reader()
	if err != nil {
		return plumbing.ZeroHash, false, fmt.Errorf("failed to read '%s': %w", p, err)
	}
	data, err := io.ReadAll(rd)
	_ = rd.Close()
	if err != nil {
		return plumbing.ZeroHash, false, fmt.Errorf("failed to read '%s': %w", p, err)
	}
	out, changed, err := edit(p, data)
	if err != nil || !changed {
		return hash, false, err
	}
	obj := r.repo.Storer.NewEncodedObject()
	obj.SetType(plumbing.BlobObject)
	w, err := obj.Writer()
	if err == nil {
		_, err = w.Write(out)
		err = closeAfter(w, err)
	}
	if err != nil {
		return plumbing.ZeroHash, false, fmt.Errorf("failed to write '%s': %w", p, err)
	}
	h, err := r.repo.Storer.SetEncodedObject(obj)
	return h, err == nil, err
}

// replaceEntry stores tree with entry i pointing at h.
func (r *Repo) replaceEntry(tree *object.Tree, i int, h plumbing.Hash) (plumbing.Hash, bool, error) {
	entries := append([]object.TreeEntry(nil), tree.Entries...)
	entries[i].Hash = h
	nh, err := r.storeTree(entries)
	return nh, err == nil, err
}

// storeTree stores a tree of entries, in their order.
func (r *Repo) storeTree(entries []object.TreeEntry) (plumbing.Hash, error) {
	obj := r.repo.Storer.NewEncodedObject()
	if err := (&object.Tree{Entries: entries}).Encode(obj); err != nil {
		return plumbing.ZeroHash, fmt.Errorf("failed to encode a tree: %w", err)
	}
	h, err := r.repo.Storer.SetEncodedObject(obj)
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("failed to store a tree: %w", err)
	}
	return h, nil
}

// closeAfter closes c, returning err or else the error of closing.
func closeAfter(c io.Closer, err error) error {
	if cerr := c.Close(); err == nil {
		err = cerr
	}
	return err
}
