#!/usr/bin/env bash
# bench/run.sh: throughput (PUSH -> PULL) and latency (REQ <-> REP) of the
# Go binding against plain libzmq over tcp://127.0.0.1, in all four
# combinations of a C peer (bench/c/thr.c) and a Go peer (bench/gothr).
#
# Usage: bench/run.sh            (from anywhere; needs gcc, pkg-config, libzmq, go)
# Knobs (environment):
#   REPS=3                       repetitions of every run
#   SIZES="16 256 4096 65536"    message sizes in bytes
#   COUNTS="3000000 1500000 200000 30000"  messages per throughput run, per size
#   LAT_COUNT=5000               round trips per latency run (16-byte messages);
#                                0 skips the latency runs
#   GOTHR_FLAGS=                 extra flags for every gothr run (e.g. -v)
#
# Each throughput run starts the receiver on tcp://127.0.0.1:* (it prints
# the endpoint it bound as its first line on stderr), then the sender. The
# receiver times the first to the last message. Runs of the four
# combinations alternate C and Go within every repetition. The first table
# gives per size and combination (sender->receiver) the median, min and max
# msgs/s over the repetitions and the ratio of the median to the C->C median;
# the second the CPU time per message that each program (all its threads)
# spent as receiver and as sender, Go against C.
set -euo pipefail

REPS=${REPS:-3}
SIZES=(${SIZES:-16 256 4096 65536})
COUNTS=(${COUNTS:-3000000 1500000 200000 30000})
LAT_COUNT=${LAT_COUNT:-5000}
GOTHR_FLAGS=${GOTHR_FLAGS:-}
RUN_TIMEOUT=${RUN_TIMEOUT:-60}

if ((${#SIZES[@]} != ${#COUNTS[@]})); then
	echo "run.sh: SIZES and COUNTS must have the same length" >&2
	exit 2
fi

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
tmp=$(mktemp -d)
server_pid=
cleanup() {
	if [[ -n $server_pid ]]; then
		kill "$server_pid" 2>/dev/null || true
		wait "$server_pid" 2>/dev/null || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT

echo "building into $tmp" >&2
# shellcheck disable=SC2046 # pkg-config output is meant to be split
gcc -O2 -Wall "$here/c/thr.c" -o "$tmp/thr" $(pkg-config --cflags --libs libzmq)
(cd "$root" && go build -o "$tmp/gothr" ./bench/gothr)

# bin C|Go: the program of one side.
bin() {
	if [[ $1 == C ]]; then
		echo "$tmp/thr"
	else
		echo "$tmp/gothr $GOTHR_FLAGS"
	fi
}

# pair SERVER-SIDE CLIENT-SIDE SERVER-MODE CLIENT-MODE COUNT SIZE: starts the
# binding side, waits for its endpoint, runs the connecting side, and sets
# srv_line and cli_line to their outputs. It runs in this shell, not in
# $(...), so that the EXIT trap can stop a server left behind by a failure.
pair() {
	local srv=$1 cli=$2 smode=$3 cmode=$4 count=$5 size=$6 ep
	: >"$tmp/ep"
	# shellcheck disable=SC2046
	timeout "$RUN_TIMEOUT" $(bin "$srv") "$smode" 'tcp://127.0.0.1:*' "$count" "$size" \
		>"$tmp/srv.out" 2>"$tmp/ep" &
	server_pid=$!
	for _ in $(seq 1000); do
		[[ -s $tmp/ep ]] && break
		if ! kill -0 "$server_pid" 2>/dev/null; then break; fi
		sleep 0.01
	done
	ep=$(head -n 1 "$tmp/ep")
	if [[ $ep != tcp://* ]]; then
		echo "run.sh: $srv $smode did not report an endpoint: $(cat "$tmp/ep")" >&2
		exit 1
	fi
	# shellcheck disable=SC2046
	timeout "$RUN_TIMEOUT" $(bin "$cli") "$cmode" "$ep" "$count" "$size" >"$tmp/cli.out"
	wait "$server_pid"
	server_pid=
	srv_line=$(<"$tmp/srv.out") cli_line=$(<"$tmp/cli.out")
}

# field NAME LINE: the value of NAME=value in LINE.
field() { sed -n "s/.*\b$1=\([0-9.]*\).*/\1/p" <<<"$2"; }

# stats FILE KEY...: "median min max" of the values in FILE whose line
# starts with the keys.
stats() {
	local file=$1
	shift
	awk -v key="$*" 'index($0, key " ") == 1 { print $NF }' "$file" | sort -g |
		awk '{ v[NR] = $1 } END {
			if (NR == 0) { print "nan nan nan"; exit }
			m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			printf "%s %s %s\n", m, v[1], v[NR]
		}'
}

# Sender->receiver; the order alternates C and Go programs from run to run.
combos=("C C" "Go Go" "C Go" "Go C")
results=$tmp/results
: >"$results"
start=$SECONDS

for i in "${!SIZES[@]}"; do
	size=${SIZES[$i]} count=${COUNTS[$i]}
	for rep in $(seq "$REPS"); do
		for c in "${combos[@]}"; do
			read -r snd rcv <<<"$c"
			pair "$rcv" "$snd" recv send "$count" "$size"
			{
				echo "thr $size $snd->$rcv $(field msgs_per_s "$srv_line")"
				echo "rcpu $size $rcv $(field cpu_ns_per_msg "$srv_line")"
				echo "scpu $size $snd $(field cpu_ns_per_msg "$cli_line")"
			} >>"$results"
			printf '  %-6s %-7s rep %d: %s | sender %s\n' "$size" "$snd->$rcv" "$rep" "$srv_line" "$cli_line" >&2
		done
	done
done

if ((LAT_COUNT > 0)); then
	for rep in $(seq "$REPS"); do
		for c in "${combos[@]}"; do
			read -r cli srv <<<"$c"
			pair "$srv" "$cli" rep req "$LAT_COUNT" 16
			line=$cli_line
			echo "p50 16 $cli->$srv $(field rtt_us_p50 "$line")" >>"$results"
			echo "mean 16 $cli->$srv $(field rtt_us_mean "$line")" >>"$results"
			echo "p99 16 $cli->$srv $(field rtt_us_p99 "$line")" >>"$results"
			printf '  lat    %-7s rep %d: %s\n' "$cli->$srv" "$rep" "$line" >&2
		done
	done
fi

echo
echo "PUSH->PULL throughput over tcp://127.0.0.1, $REPS runs each (sender->receiver)"
printf '%8s  %-7s %12s %12s %12s %10s %8s\n' size combo "median msg/s" min max "median MB/s" "vs C->C"
for i in "${!SIZES[@]}"; do
	size=${SIZES[$i]}
	read -r base _ _ <<<"$(stats "$results" thr "$size" 'C->C')"
	for c in "${combos[@]}"; do
		read -r snd rcv <<<"$c"
		read -r med lo hi <<<"$(stats "$results" thr "$size" "$snd->$rcv")"
		awk -v s="$size" -v c="$snd->$rcv" -v m="$med" -v lo="$lo" -v hi="$hi" -v b="$base" \
			'BEGIN { printf "%8d  %-7s %12.0f %12.0f %12.0f %10.1f %8.2f\n", s, c, m, lo, hi, m * s / 1e6, (b > 0 ? m / b : 0) }'
	done
done

echo
echo "CPU time per message of each program (all its threads, user+system; ns), median over every run"
echo "in which it had that role; less sensitive than msgs/s to other load on the machine"
printf '%8s  %-8s %10s %10s %8s\n' size role C Go "Go / C"
for size in "${SIZES[@]}"; do
	for role in rcpu scpu; do
		read -r c _ _ <<<"$(stats "$results" "$role" "$size" C)"
		read -r g _ _ <<<"$(stats "$results" "$role" "$size" Go)"
		awk -v s="$size" -v r="$([[ $role == rcpu ]] && echo receiver || echo sender)" -v c="$c" -v g="$g" \
			'BEGIN { printf "%8d  %-8s %10.1f %10.1f %8.2f\n", s, r, c, g, (c > 0 ? g / c : 0) }'
	done
done

if ((LAT_COUNT > 0)); then
	echo
	echo "REQ->REP round trip, 16 bytes, $LAT_COUNT round trips, $REPS runs each (client->server), microseconds"
	printf '%-7s %10s %8s %8s %10s %10s %8s\n' combo "median p50" min max "med mean" "med p99" "p50 vs C"
	read -r base _ _ <<<"$(stats "$results" p50 16 'C->C')"
	for c in "${combos[@]}"; do
		read -r cli srv <<<"$c"
		read -r med lo hi <<<"$(stats "$results" p50 16 "$cli->$srv")"
		read -r mmean _ _ <<<"$(stats "$results" mean 16 "$cli->$srv")"
		read -r mp99 _ _ <<<"$(stats "$results" p99 16 "$cli->$srv")"
		awk -v c="$cli->$srv" -v m="$med" -v lo="$lo" -v hi="$hi" -v mm="$mmean" -v p="$mp99" -v b="$base" \
			'BEGIN { printf "%-7s %10.1f %8.1f %8.1f %10.1f %10.1f %8.2f\n", c, m, lo, hi, mm, p, (b > 0 ? m / b : 0) }'
	done
fi
echo
echo "total $((SECONDS - start)) s; $(nproc) CPUs; load average now $(cut -d' ' -f1-3 /proc/loadavg);" \
	"$(go version | cut -d' ' -f3); libzmq $(pkg-config --modversion libzmq);" \
	"commit $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$root" diff --quiet HEAD -- '*.go' '*.h' 2>/dev/null || echo ' + local changes')"
