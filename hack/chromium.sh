#!/usr/bin/env bash
# chromium.sh finds the headless browser the browser stories of `ferry ui` drive
# (e2e/stories/ui_test.go, e2e/uibench) and prints its path. It takes
# $FERRY_CHROMIUM, or chromium, chromium-browser or google-chrome on PATH; when
# there is none and it runs as root on Debian or Ubuntu (as .ci/run does on a
# fresh machine), it installs Debian's chromium package with apt-get. Without a
# browser it fails: the browser stories are part of `make test`, never skipped.
set -euo pipefail

find_browser() {
	if [ -n "${FERRY_CHROMIUM:-}" ] && [ -x "$FERRY_CHROMIUM" ]; then
		echo "$FERRY_CHROMIUM"
		return 0
	fi
	for name in chromium chromium-browser google-chrome; do
		if command -v "$name" >/dev/null 2>&1; then
			command -v "$name"
			return 0
		fi
	done
	return 1
}

if find_browser; then
	exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
	echo "chromium: installing Debian's chromium package" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >&2
	apt-get install -y -qq --no-install-recommends chromium >&2
	find_browser && exit 0
fi
echo "chromium: no Chromium found; install it (apt-get install -y chromium) or set FERRY_CHROMIUM" >&2
exit 1
