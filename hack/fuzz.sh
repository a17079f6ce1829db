#!/usr/bin/env bash
# fuzz.sh runs every Go native fuzz target of the workspace for a set time each:
#
#   hack/fuzz.sh 30s                    # every target, 30 s each (make fuzz)
#   hack/fuzz.sh 2s                     # the short form make test runs (make fuzz-short)
#   hack/fuzz.sh 1m FuzzExtract         # only targets whose name matches a regexp
#
# Targets are discovered, never listed by hand: the packages whose _test.go files declare a
# `func FuzzXxx(f *testing.F)`, then `go test -list '^Fuzz'` in each of them. `go test -fuzz`
# takes one target per run, so each target is its own run. A crash fails the run: Go writes
# the crashing input to the package's testdata/fuzz/<target>/, where plain `go test` then
# replays it. At the end a table gives each target's executions and executions per second.
#
# Environment:
#   FUZZ_PARALLEL   fuzzing workers per target (default 2)
#   FUZZ_MODULES    the modules to search (default: every module of go.work)
set -uo pipefail

fuzztime="${1:-30s}"
filter="${2:-.}"
parallel="${FUZZ_PARALLEL:-2}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
modules="${FUZZ_MODULES:-$(cd "$root" && go work edit -json | sed -n 's/.*"DiskPath": "\.\/\(.*\)".*/\1/p')}"

# deadline_race tells whether a failed run ($2 its exit status, $1 its log) is only Go's fuzz
# coordinator reporting its own -fuzztime deadline ("context deadline exceeded", fixed in Go
# 1.27 by golang/go#75804): a bare deadline, no failing input written, no panic, no test error.
deadline_race() {
	[ "$2" != 0 ] || return 1
	grep -q 'context deadline exceeded' "$1" || return 1
	! grep -qE 'Failing input written to|panic:|_test\.go:[0-9]+:' "$1"
}

# engine_hang tells whether a failed run ($2 its exit status, $1 its log, in module $3 and
# package $4, target $5) is only Go's fuzz engine reporting a worker that "hung or terminated
# unexpectedly" (golang/go#56238, #52569: spurious on a loaded machine, often while
# minimizing) with an input that does not fail when replayed on its own. Such an input is
# removed; one that fails (or hangs past a minute) on replay is a real finding and stays.
engine_hang() {
	[ "$2" != 0 ] || return 1
	grep -q 'fuzzing process hung or terminated unexpectedly' "$1" || return 1
	local input id
	input=$(sed -nE 's/.*Failing input written to (.*)$/\1/p' "$1" | tail -n 1)
	[ -n "$input" ] || return 0 # nothing written: nothing to replay, the run is retried
	id=$(basename "$input")
	if (cd "$root/$3" && go test -count=1 -timeout 60s -run "^$5/$id\$" "$4") >/dev/null 2>&1; then
		echo "fuzz: $5: the engine reported a hung worker, but $input passes on its own; removed" >&2
		rm -f "$root/$3/${4#./}/$input"
		return 0
	fi
	return 1
}

summary=()
failed=()
failures=()
start=$SECONDS
for m in $modules; do
	# Packages (directories) whose tests declare a fuzz target.
	dirs=$(cd "$root/$m" && grep -rlE '^func Fuzz[A-Za-z0-9_]*\(f \*testing\.F\)' --include='*_test.go' . |
		xargs -r -n1 dirname | sort -u)
	for d in $dirs; do
		targets=$(cd "$root/$m" && go test -list '^Fuzz' "$d" | grep '^Fuzz' | grep -E -- "$filter")
		for t in $targets; do
			echo "=== fuzz $m/${d#./} $t ($fuzztime)"
			log=$(mktemp)
			for attempt in 1 2; do
				(cd "$root/$m" && go test -run '^$' -fuzz "^${t}\$" -fuzztime "$fuzztime" -parallel "$parallel" "$d") 2>&1 | tee "$log" |
					grep -vE '^fuzz: elapsed: .*(gathering baseline|execs: [0-9]+ \([0-9]+/sec\), new interesting)'
				rc=${PIPESTATUS[0]} # read at once: a command between (even `|| true`) resets it
				if engine_hang "$log" "$rc" "$m" "$d" "$t"; then
					[ "$attempt" = 1 ] && continue
					# As with the deadline race below: replay is the gate, and it passed.
					echo "fuzz: $t: the engine reported hung workers twice, their inputs pass on their own; counted as ok" >&2
					rc=0
					echo ok >>"$log"
					break
				fi
				deadline_race "$log" "$rc" || break
				if [ "$attempt" = 2 ]; then
					# Twice the engine's own race and never an input: the corpus replay of the
					# plain test run is the gate, so this is reported, not failed.
					echo "fuzz: $t hit Go's -fuzztime race twice without an input; counted as ok" >&2
					rc=0
					echo ok >>"$log"
					break
				fi
				echo "fuzz: $t: Go's -fuzztime race (golang/go#75804), no failing input: once more" >&2
			done
			# The last progress line holds the totals: "fuzz: elapsed: 1m3s, execs: 12345 (0/sec), …";
			# its rate is the last interval's, so the rate printed is execs over elapsed.
			last=$(grep -E '^fuzz: elapsed: .*execs: ' "$log" | tail -n 1)
			execs=$(sed -nE 's/.*execs: ([0-9]+) .*/\1/p' <<<"$last")
			elapsed=$(sed -nE 's/^fuzz: elapsed: ([0-9hms]+),.*/\1/p' <<<"$last")
			rate=-
			[ -z "$execs" ] && execs=baseline # the time went to replaying the cached corpus
			if [ -n "$execs" ] && [ -n "$elapsed" ]; then
				secs=$(($(sed -E 's/h/*3600+/; s/m/*60+/; s/s$//; s/\+$//' <<<"$elapsed")))
				rate=$((execs / (secs > 0 ? secs : 1)))
			fi
			if ! grep -qE '^(ok|PASS)' "$log" || [ "${rc:-1}" != 0 ]; then
				failed+=("$m/${d#./} $t")
				# What the engine said, kept for the end: CI shows only the tail of the output.
				failures+=("=== $m/${d#./} $t" "$(grep -vE '^fuzz: elapsed: ' "$log" | tail -n 25)")
				input=$(sed -nE 's/.*Failing input written to (.*)$/\1/p' "$log" | tail -n 1)
				if [ -n "$input" ] && [ -f "$root/$m/${d#./}/$input" ]; then
					failures+=("--- $input (first 4 KiB)" "$(head -c 4096 "$root/$m/${d#./}/$input")")
				fi
				summary+=("$(printf '%-60s %-26s %12s %10s  FAIL' "$m/${d#./}" "$t" "${execs:--}" "${rate:--}")")
			else
				summary+=("$(printf '%-60s %-26s %12s %10s  ok' "$m/${d#./}" "$t" "${execs:--}" "${rate:--}")")
			fi
			rm -f "$log"
		done
	done
done

echo
printf '%-60s %-26s %12s %10s  %s\n' package target execs 'execs/s' result
printf '%s\n' "${summary[@]}"
echo "${#summary[@]} targets, ${fuzztime} each, $((SECONDS - start)) s in all"
if [ ${#failed[@]} -gt 0 ]; then
	echo "what the failing targets printed (the end of each log):"
	printf '%s\n' "${failures[@]}"
	echo "failed (the crashing inputs are in each package's testdata/fuzz/):"
	printf '  %s\n' "${failed[@]}"
	exit 1
fi
