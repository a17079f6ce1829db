// Package storage is the source-controller's content-addressed artifact
// store and the read-only HTTP server in front of it.
//
// Artifacts live below one root directory (the --storage-path flag) at
// <kind>/<namespace>/<name>/<file>, where kind is the object's kind in
// lowercase and file is named after the artifact's digest, so that the
// same content always gets the same path. Every file is written to a
// temporary file in its final directory and renamed into place, so that
// the server never hands out a partial artifact. Artifact URLs are built
// from the advertised address (the --storage-adv-addr flag).
//
// The package holds no Kubernetes client: callers pass kinds, namespaces,
// names and fluxmeta.Artifact values. Methods that change an object's files
// (Archive, Store, Copy, GarbageCollect, RemoveAll) should be called with
// the object's lock held (Lock), so that two reconciles of one object do
// not interleave; different objects never share a directory, so work on
// different objects needs no coordination.
package storage
