#!/usr/bin/env bash
# tools.sh builds, or finds in the cache, the tools pinned in the tools/ Go
# module (servers and CLIs that tests run as separate processes, such as the
# versitygw S3 server), and prints the path of each binary, the last one on
# the last line:
#
#   hack/tools.sh versitygw        # -> .../ferry/tools/versitygw-v1.8.0/versitygw
#
# A tool is named by the last element of its package path in the `tool`
# directives of tools/go.mod; its version is its module's version there. The
# binaries are cached under
#
#   ${FERRY_TOOLS_DIR:-<user cache dir>/ferry/tools}/<name>-<version>/<name>
#
# so a second run is a no-op that only prints the path. Progress goes to
# stderr.
#
# Environment:
#   FERRY_TOOLS_DIR       cache root (default: Go's os.UserCacheDir()/ferry/tools)
#   FERRY_TOOLS_VERBOSE=1 pass -v to go build
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
module="$here/../tools"

log() { printf 'tools: %s\n' "$*" >&2; }

# cache_root mirrors Go's os.UserCacheDir so that the Go test helpers and
# this script agree on the default location.
cache_root() {
	if [[ -n "${FERRY_TOOLS_DIR:-}" ]]; then
		printf '%s\n' "$FERRY_TOOLS_DIR"
	elif [[ "$(uname -s)" == Darwin ]]; then
		printf '%s\n' "$HOME/Library/Caches/ferry/tools"
	else
		printf '%s\n' "${XDG_CACHE_HOME:-$HOME/.cache}/ferry/tools"
	fi
}

# The tools module is not part of go.work: build with its own go.mod/go.sum,
# static binaries.
export GOWORK=off GOFLAGS=-mod=readonly CGO_ENABLED=0
vflag=()
[[ "${FERRY_TOOLS_VERBOSE:-}" == 1 ]] && vflag=(-v)

# lookup <name>: prints "<package> <version>" of the tool called name.
lookup() {
	local name="$1" pkg version
	while read -r pkg version; do
		if [[ "${pkg##*/}" == "$name" ]]; then
			printf '%s %s\n' "$pkg" "$version"
			return 0
		fi
	done < <(cd "$module" && go list -f '{{.ImportPath}} {{.Module.Version}}' tool)
	return 1
}

# install <name>: builds the tool unless cached and prints the binary's path.
install() {
	local name="$1" pkg version
	if ! read -r pkg version < <(lookup "$name"); then
		log "no tool named $name in $module/go.mod (tool directives: $(cd "$module" && go list tool | tr '\n' ' '))"
		return 1
	fi
	local final="$root/$name-$version"
	if [[ -x "$final/$name" ]]; then
		log "$name $version: cached in $final"
		printf '%s\n' "$final/$name"
		return 0
	fi
	local tmp start
	tmp="$(mktemp -d "$root/.tmp-$name-$version.XXXXXX")"
	start=$SECONDS
	log "$name $version: building $pkg (a minute or two on a cold cache)"
	if ! (cd "$module" && go build "${vflag[@]}" -trimpath -ldflags='-s -w' -o "$tmp/$name" "$pkg"); then
		rm -rf "$tmp"
		log "$name $version: build failed"
		return 1
	fi
	chmod 0755 "$tmp"
	rm -rf "$final" # an incomplete directory left by hand
	mv -T "$tmp" "$final"
	log "$name $version: done in $((SECONDS - start))s"
	printf '%s\n' "$final/$name"
}

main() {
	if [[ $# -eq 0 ]]; then
		log "usage: hack/tools.sh <tool>... (tools: $(cd "$module" && GOWORK=off go list tool | sed 's|.*/||' | tr '\n' ' '))"
		exit 2
	fi
	command -v go >/dev/null || { log "go is not on PATH"; exit 1; }
	root="$(cache_root)"
	mkdir -p "$root"
	root="$(cd "$root" && pwd)"
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
	local name
	for name in "$@"; do
		install "$name"
	done
}

main "$@"
