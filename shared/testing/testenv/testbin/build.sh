#!/usr/bin/env bash
# build.sh builds the control-plane binaries that shared/testing/testenv runs
# (etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kwok), and
# kubectl for users of `make run`, from source through the Go module proxy, and
# caches them by version under
#
#   ${FERRY_TESTBIN_DIR:-<user cache dir>/ferry/testbin}/<name>-<version>/
#
# plus one assets directory of symlinks to all six (the KUBEBUILDER_ASSETS
# directory; tests need only the first five). kubectl has its own
# kubectl-<version> directory so that adding it did not rebuild the others.
# Progress goes to stderr; the assets directory is printed on stdout as the
# last line. A second run is a no-op that only prints the path.
#
# Environment:
#   FERRY_TESTBIN_DIR  cache root (default: Go's os.UserCacheDir()/ferry/testbin)
#   FERRY_TESTBIN_VERBOSE=1  pass -v to go build
set -euo pipefail

readonly ETCD_VERSION=3.6.8
readonly KUBE_VERSION=1.34.4
readonly KWOK_VERSION=0.7.0

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

log() { printf 'testbin: %s\n' "$*" >&2; }

# cache_root mirrors Go's os.UserCacheDir so that the Go package and this
# script agree on the default location.
cache_root() {
	if [[ -n "${FERRY_TESTBIN_DIR:-}" ]]; then
		printf '%s\n' "$FERRY_TESTBIN_DIR"
	elif [[ "$(uname -s)" == Darwin ]]; then
		printf '%s\n' "$HOME/Library/Caches/ferry/testbin"
	else
		printf '%s\n' "${XDG_CACHE_HOME:-$HOME/.cache}/ferry/testbin"
	fi
}

root="$(cache_root)"
mkdir -p "$root"
root="$(cd "$root" && pwd)"

# Every go command below runs outside the repository's workspace, with the
# wrapper modules' own go.mod and go.sum, and builds static binaries.
export GOWORK=off GOFLAGS=-mod=readonly CGO_ENABLED=0
vflag=()
[[ "${FERRY_TESTBIN_VERBOSE:-}" == 1 ]] && vflag=(-v)

# heartbeat <what>: logs every 30 s that <what> is still building, so a cold
# build (minutes of a silent go build) shows progress; stopped by stop_heartbeat.
heartbeat() {
	local start=$SECONDS s
	trap 'kill "$s" 2>/dev/null; exit 0' TERM
	while :; do
		sleep 30 &
		s=$!
		wait "$s"
		log "$1: still building ($((SECONDS - start))s)"
	done
}

stop_heartbeat() {
	kill "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

# install_dir <name> <version> <builder>: runs "<builder> <tmpdir>" unless
# <root>/<name>-<version> exists, then renames tmpdir into place atomically.
install_dir() {
	local name="$1" version="$2" builder="$3"
	local final="$root/$name-$version"
	if [[ -d "$final" ]]; then
		log "$name $version: cached in $final"
		return 0
	fi
	local tmp start
	tmp="$(mktemp -d "$root/.tmp-$name-$version.XXXXXX")"
	start=$SECONDS
	log "$name $version: building (this takes a few minutes on a cold cache)"
	heartbeat "$name $version" &
	local beat=$!
	if ! "$builder" "$tmp"; then
		stop_heartbeat "$beat"
		rm -rf "$tmp"
		log "$name $version: build failed"
		return 1
	fi
	stop_heartbeat "$beat"
	chmod 0755 "$tmp"
	if ! mv -T "$tmp" "$final" 2>/dev/null; then
		rm -rf "$tmp" # someone else won the race; theirs is as good
	fi
	log "$name $version: done in $((SECONDS - start))s"
}

build_etcd() {
	(cd "$here/etcd" && go build "${vflag[@]}" -trimpath -ldflags='-s -w' \
		-o "$1/etcd" go.etcd.io/etcd/server/v3)
}

# kube_ldflags prints the linker flags that stamp KUBE_VERSION into a binary
# (what `kubectl version` and the API server's /version report).
kube_ldflags() {
	local major="${KUBE_VERSION%%.*}" rest="${KUBE_VERSION#*.}"
	local minor="${rest%%.*}" date ldflags="-s -w" pkg
	date="$(cd "$here/kubernetes" && go list -m -f '{{if .Time}}{{.Time.UTC.Format "2006-01-02T15:04:05Z"}}{{end}}' k8s.io/kubernetes 2>/dev/null || true)"
	for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
		ldflags+=" -X $pkg.gitVersion=v$KUBE_VERSION -X $pkg.gitMajor=$major"
		ldflags+=" -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
		[[ -n "$date" ]] && ldflags+=" -X $pkg.buildDate=$date"
	done
	printf '%s\n' "$ldflags"
}

build_kubernetes() {
	(cd "$here/kubernetes" && go build "${vflag[@]}" -trimpath -ldflags="$(kube_ldflags)" -o "$1/" \
		k8s.io/kubernetes/cmd/kube-apiserver \
		k8s.io/kubernetes/cmd/kube-controller-manager \
		k8s.io/kubernetes/cmd/kube-scheduler)
}

build_kubectl() {
	(cd "$here/kubernetes" && go build "${vflag[@]}" -trimpath -ldflags="$(kube_ldflags)" -o "$1/" \
		k8s.io/kubernetes/cmd/kubectl)
}

build_kwok() {
	# kwok has no replace directives, so go install with a version works and
	# uses kwok's own go.sum. GOFLAGS must not carry -mod here.
	(cd "$1" && GOFLAGS= GOBIN="$1" go install "${vflag[@]}" -trimpath -ldflags='-s -w' \
		"sigs.k8s.io/kwok/cmd/kwok@v$KWOK_VERSION")
}

# link_assets makes the assets directory: symlinks to every binary, so that
# one path can be handed to envtest as BinaryAssetsDirectory.
link_assets() {
	local assets="$root/assets-k8s-$KUBE_VERSION-etcd-$ETCD_VERSION-kwok-$KWOK_VERSION-kubectl"
	if [[ ! -d "$assets" ]]; then
		local tmp
		tmp="$(mktemp -d "$root/.tmp-assets.XXXXXX")"
		ln -s "../etcd-$ETCD_VERSION/etcd" "$tmp/etcd"
		for bin in kube-apiserver kube-controller-manager kube-scheduler; do
			ln -s "../kubernetes-$KUBE_VERSION/$bin" "$tmp/$bin"
		done
		ln -s "../kwok-$KWOK_VERSION/kwok" "$tmp/kwok"
		ln -s "../kubectl-$KUBE_VERSION/kubectl" "$tmp/kubectl"
		chmod 0755 "$tmp"
		mv -T "$tmp" "$assets" 2>/dev/null || rm -rf "$tmp"
	fi
	printf '%s\n' "$assets"
}

main() {
	command -v go >/dev/null || { log "go is not on PATH"; exit 1; }
	# One builder at a time per cache root: concurrent test packages wait for
	# the first build instead of repeating it.
	if command -v flock >/dev/null; then
		exec 9>"$root/.lock"
		if ! flock -n 9; then
			log "waiting for another build in $root"
			flock 9
		fi
		# Only the lock holder builds, so any temporary directory left now
		# belongs to an interrupted build.
		rm -rf "$root"/.tmp-*
	else
		log "flock not found: building without a lock"
	fi
	log "cache root: $root"
	install_dir etcd "$ETCD_VERSION" build_etcd
	install_dir kubernetes "$KUBE_VERSION" build_kubernetes
	install_dir kwok "$KWOK_VERSION" build_kwok
	install_dir kubectl "$KUBE_VERSION" build_kubectl
	link_assets
}

main "$@"
