#!/bin/sh
# hashcheck.sh records or compares the per-seed trace hashes of the sync
# (100 seeds), resets (50) and standard (10) scenarios.
#
#   scripts/hashcheck.sh record DIR    # write DIR/{sync,resets,standard}.hashes
#   scripts/hashcheck.sh compare DIR   # run again and diff against DIR
#
# Work meant not to change behaviour must leave every hash as it was.
set -eu
mode=${1:?record|compare}
dir=${2:?directory}
bin=$(mktemp -d)/simrun
go build -o "$bin" ./cmd/simrun
mkdir -p "$dir"
status=0
for sc in "sync 100" "resets 50" "standard 10"; do
	set -- $sc
	out=$(mktemp -d)
	"$bin" run --scenario "$1" --seeds "$2" --parallel "${PARALLEL:-1}" --views=false --out "$out" >/dev/null 2>&1 || true
	jq -r '.results[] | "\(.seed) \(.trace_hash)"' "$out/summary.json" >"$out/hashes"
	rm -rf "$out/traces" 2>/dev/null || true
	case $mode in
	record) cp "$out/hashes" "$dir/$1.hashes" ;;
	compare)
		if cmp -s "$out/hashes" "$dir/$1.hashes"; then
			echo "$1: $(wc -l <"$out/hashes") hashes identical"
		else
			echo "$1: HASHES DIFFER"; diff "$dir/$1.hashes" "$out/hashes" | head -20; status=1
		fi ;;
	esac
done
exit $status
