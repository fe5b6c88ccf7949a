#!/usr/bin/env bash
# bench/curve.sh: CURVE over tcp://127.0.0.1, the go engine beside the
# libzmq engine and plain C (bench/c/thr.c) in the same run:
#   - throughput, PUSH -> PULL, per message size, CURVE on both sides;
#   - handshake rate: new CURVE connections per second, each a new REQ
#     socket that connects, makes one round trip with a REP and closes.
# Programs: C (thr with THR_CURVE=1; its server runs no ZAP handler, so
# libzmq admits any client without asking), Go (bench/gothr -curve on the go
# engine) and Lz (the same gothr on the libzmq engine); both gothr servers
# ask an authenticator (auth.AllowAnyCurve) about every client.
#
# Usage: bench/curve.sh        (from anywhere; needs gcc, pkg-config, libzmq, go)
# Knobs (environment):
#   REPS=3                     repetitions of every run
#   SIZES="16 256"             message sizes in bytes (throughput)
#   COUNTS="1000000 500000"    messages per throughput run, per size
#   CONNS=1000                 connections per handshake-rate run; 0 skips them
#   RUN_TIMEOUT=120            seconds any one program may run
#
# The tables give medians over the repetitions and their ratios to C->C
# (throughput, connections per second) and, for the handshake rate, the
# CPU time per connection of the connecting program.
set -euo pipefail

REPS=${REPS:-3}
SIZES=(${SIZES:-16 256})
COUNTS=(${COUNTS:-1000000 500000})
CONNS=${CONNS:-1000}
RUN_TIMEOUT=${RUN_TIMEOUT:-120}

if ((${#SIZES[@]} != ${#COUNTS[@]})); then
	echo "curve.sh: SIZES and COUNTS must have the same length" >&2
	exit 2
fi

# shellcheck source=bench/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

# bin C|Go|Lz: the command of one side.
bin() {
	case $1 in
	C) echo "env THR_CURVE=1 $tmp/thr" ;;
	Go) echo "env ZMQ_ENGINE=go $tmp/gothr -curve" ;;
	Lz) echo "env ZMQ_ENGINE=libzmq $tmp/gothr -curve" ;;
	esac
}

await() {
	local rc=0
	wait "$1" || rc=$?
	if ((rc != 0)); then
		echo "curve.sh: $2 failed (exit status $rc)" >&2
		[[ -n ${3:-} ]] && cat "$3" >&2
		exit 1
	fi
}

# pair SERVER CLIENT SERVER-MODE CLIENT-MODE COUNT SIZE: runs the binding
# side, then the connecting one; sets srv_line and cli_line.
pair() {
	local srv=$1 cli=$2 smode=$3 cmode=$4 count=$5 size=$6
	: >"$tmp/ep"
	# shellcheck disable=SC2046
	timeout "$RUN_TIMEOUT" $(bin "$srv") "$smode" 'tcp://127.0.0.1:*' "$count" "$size" >"$tmp/srv.out" 2>"$tmp/ep" &
	local server_pid=$!
	bg_pids+=("$server_pid")
	for _ in $(seq 1000); do
		[[ -s $tmp/ep ]] && break
		kill -0 "$server_pid" 2>/dev/null || break
		sleep 0.01
	done
	local ep
	ep=$(head -n 1 "$tmp/ep")
	if [[ $ep != tcp://* ]]; then
		echo "curve.sh: $srv $smode did not report an endpoint: $(cat "$tmp/ep")" >&2
		exit 1
	fi
	# shellcheck disable=SC2046
	timeout "$RUN_TIMEOUT" $(bin "$cli") "$cmode" "$ep" "$count" "$size" >"$tmp/cli.out" &
	bg_pids+=($!)
	await $! "$cli $cmode (against $srv $smode)"
	await "$server_pid" "$srv $smode (against $cli $cmode)" "$tmp/ep"
	bg_pids=()
	srv_line=$(<"$tmp/srv.out") cli_line=$(<"$tmp/cli.out")
}

field() { sed -n "s/.*\b$1=\([0-9.]*\).*/\1/p" <<<"$2"; }

# median FILE KEY...: the median of the values in FILE whose line starts
# with the keys.
median() {
	local file=$1
	shift
	awk -v key="$*" 'index($0, key " ") == 1 { print $NF }' "$file" | sort -g |
		awk '{ v[NR] = $1 } END {
			if (NR == 0) { print "nan"; exit }
			print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		}'
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }

# Sender->receiver, client->server.
combos=("C C" "Go Go" "Lz Lz" "C Go" "Go C")
results=$tmp/results
: >"$results"
start=$SECONDS

for i in "${!SIZES[@]}"; do
	size=${SIZES[$i]} count=${COUNTS[$i]}
	for rep in $(seq "$REPS"); do
		for c in "${combos[@]}"; do
			read -r snd rcv <<<"$c"
			pair "$rcv" "$snd" recv send "$count" "$size"
			echo "thr $size $snd->$rcv $(field msgs_per_s "$srv_line")" >>"$results"
			echo "rcpu $size $snd->$rcv $(field cpu_ns_per_msg "$srv_line")" >>"$results"
			printf '  thr %-5s %-6s rep %d: %s | sender %s\n' "$size" "$snd->$rcv" "$rep" "$srv_line" "$cli_line" >&2
		done
	done
done
if ((CONNS > 0)); then
	for rep in $(seq "$REPS"); do
		for c in "${combos[@]}"; do
			read -r cli srv <<<"$c"
			pair "$srv" "$cli" rep conn "$CONNS" 16
			echo "conn $cli->$srv $(field conns_per_s "$cli_line")" >>"$results"
			echo "ccpu $cli->$srv $(field cpu_us_per_conn "$cli_line")" >>"$results"
			printf '  conn %-6s rep %d: %s\n' "$cli->$srv" "$rep" "$cli_line" >&2
		done
	done
fi

echo
echo "CURVE PUSH->PULL throughput over tcp://127.0.0.1, $REPS runs each (sender->receiver; C: libzmq in C," \
	"Go: the go engine, Lz: the libzmq engine, both through this module's API)"
printf '%6s  %-7s %14s %8s %16s\n' size combo "median msg/s" "vs C->C" "rcv ns/msg (CPU)"
for size in "${SIZES[@]}"; do
	base=$(median "$results" thr "$size" 'C->C')
	for c in "${combos[@]}"; do
		read -r snd rcv <<<"$c"
		m=$(median "$results" thr "$size" "$snd->$rcv")
		printf '%6d  %-7s %14.0f %8s %16.1f\n' "$size" "$snd->$rcv" "$m" "$(ratio "$m" "$base")" \
			"$(median "$results" rcpu "$size" "$snd->$rcv")"
	done
done
if ((CONNS > 0)); then
	echo
	echo "New CURVE connections per second, $CONNS per run, one after another: a new REQ socket connects," \
		"makes one 16-byte round trip with a REP and closes (client->server); CPU: the client process's per connection"
	printf '%-7s %14s %8s %18s\n' combo "median conns/s" "vs C->C" "client us/conn (CPU)"
	base=$(median "$results" conn 'C->C')
	for c in "${combos[@]}"; do
		read -r cli srv <<<"$c"
		m=$(median "$results" conn "$cli->$srv")
		printf '%-7s %14.1f %8s %18.1f\n' "$cli->$srv" "$m" "$(ratio "$m" "$base")" "$(median "$results" ccpu "$cli->$srv")"
	done
fi
echo
echo "total $((SECONDS - start)) s; $(nproc) CPUs; load average now $(cut -d' ' -f1-3 /proc/loadavg);" \
	"$(go version | cut -d' ' -f3); libzmq $(pkg-config --modversion libzmq);" \
	"commit $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$root" diff --quiet HEAD -- '*.go' '*.c' 2>/dev/null || echo ' + local changes')"
