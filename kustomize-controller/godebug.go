// GOMAXPROCS follows the CPU limit read at start; Go's re-read of the cgroup limit every
// second is a fifth of an idle controller's CPU time (docs/development.md, "Idle cost").
//go:debug updatemaxprocs=0

package main
