# bench/common.sh: what bench/run.sh and bench/curve.sh share, sourced by
# both: a temporary directory removed on exit together with any program
# still running in the background (add its pid to bg_pids), and the two
# programs built into it: thr (bench/c/thr.c on libzmq) and gothr.
# Sets here (bench/), root (the module) and tmp.

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
tmp=$(mktemp -d)
bg_pids=()
cleanup() {
	local p
	for p in "${bg_pids[@]}"; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	rm -rf "$tmp"
}
trap cleanup EXIT

echo "building into $tmp" >&2
# shellcheck disable=SC2046 # pkg-config output is meant to be split
gcc -O2 -Wall "$here/c/thr.c" -o "$tmp/thr" $(pkg-config --cflags --libs libzmq)
(cd "$root" && go build -o "$tmp/gothr" ./bench/gothr)
