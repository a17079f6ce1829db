#!/usr/bin/env bash
# testbin.sh builds, or finds in the cache, the control-plane binaries that
# tests run (etcd, kube-apiserver, kube-controller-manager, kube-scheduler,
# kwok) and prints their directory as its last line:
#
#   export KUBEBUILDER_ASSETS="$(hack/testbin.sh)"
#
# See shared/testing/testenv/testbin/build.sh.
exec "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/../shared/testing/testenv/testbin/build.sh" "$@"
