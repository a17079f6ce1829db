//go:build tools

// Package tools pins the etcd server main package so that go.mod and go.sum
// list everything build.sh needs. It is never compiled.
package tools

import _ "go.etcd.io/etcd/server/v3"
