#!/usr/bin/env bash
# bench/run.sh: the Go binding against plain libzmq over tcp://127.0.0.1,
# with a C peer (bench/c/thr.c) and a Go peer (bench/gothr) on either side:
#   - throughput, PUSH -> PULL, per message size; also with "GoB", the Go
#     program on its fast paths: sending with SendBatch, BATCH messages per
#     call, and receiving with RecvInto into one reused message
#     (combinations GoB->GoB, C->GoB and GoB->C; the fan-out runs add the
#     same, GoB publishing with SendBatch and subscribing with RecvInto);
#   - round trip, REQ <-> REP and DEALER <-> ROUTER, per message size;
#   - fan-out, one XPUB (no-drop) process -> FAN_SUBS SUB processes.
#
# Usage: bench/run.sh            (from anywhere; needs gcc, pkg-config, libzmq, go)
# Knobs (environment):
#   REPS=3                       repetitions of every run
#   SIZES="16 256 4096 65536"    message sizes in bytes (throughput)
#   COUNTS="3000000 1500000 200000 30000"  messages per throughput run, per size
#   LAT_COUNT=5000               round trips per latency run; 0 skips the latency runs
#   LAT_SIZES="16 1024"          message sizes of the latency runs
#   FAN_COUNT=500000             messages per fan-out run; 0 skips the fan-out runs
#   FAN_SIZE=256                 fan-out message size (at least 8: the sequence number)
#   FAN_SUBS=4                   subscriber processes per fan-out run
#   BATCH=256                    messages per SendBatch call of GoB in the
#                                throughput runs; 0 leaves the GoB combinations out
#   GOTHR_FLAGS=                 extra flags for every gothr run (e.g. -v)
#   RUN_TIMEOUT=60               seconds any one program may run
#
# Each two-party run starts the binding side on tcp://127.0.0.1:* (it prints
# the endpoint it bound as its first line on stderr), then the connecting
# side. A throughput receiver times the first to the last message; both
# sides report their process's CPU time per message. A latency client times
# every round trip and reports mean, p50 and p99. A fan-out run starts the
# publisher, then FAN_SUBS subscribers; the publisher waits until every one
# has subscribed, then sends FAN_COUNT sequence-numbered messages; every
# subscriber reports its msgs/s and the sequence numbers it never saw (with
# the no-drop option there must be none). Runs of the four combinations
# alternate C and Go within every repetition; in the throughput runs the
# GoB combinations come each after its unbatched counterpart.
#
# The tables: throughput per size and combination (sender->receiver), the
# median, min and max msgs/s over the repetitions, the ratio of the median
# to the C->C median, and the median CPU time per message of the sender and
# the receiver; CPU time per message per role, Go (and GoB) against C, over
# all throughput runs;
# round trips per pattern, size and combination (client->server), p50 and
# p99 medians and their ratios to C->C; fan-out per combination
# (publisher->subscribers), the slowest and the mean subscriber's msgs/s
# (medians over the repetitions) and their ratios to C->C, the messages
# lost over all runs, and the CPU time per message of the publisher and of
# a subscriber.
set -euo pipefail

REPS=${REPS:-3}
SIZES=(${SIZES:-16 256 4096 65536})
COUNTS=(${COUNTS:-3000000 1500000 200000 30000})
LAT_COUNT=${LAT_COUNT:-5000}
LAT_SIZES=(${LAT_SIZES:-16 1024})
FAN_COUNT=${FAN_COUNT:-500000}
FAN_SIZE=${FAN_SIZE:-256}
FAN_SUBS=${FAN_SUBS:-4}
BATCH=${BATCH:-256}
GOTHR_FLAGS=${GOTHR_FLAGS:-}
RUN_TIMEOUT=${RUN_TIMEOUT:-60}

if ((${#SIZES[@]} != ${#COUNTS[@]})); then
	echo "run.sh: SIZES and COUNTS must have the same length" >&2
	exit 2
fi
if [[ ! $BATCH =~ ^[0-9]+$ ]]; then
	echo "run.sh: BATCH must be a number (0: no GoB runs)" >&2
	exit 2
fi
if ((FAN_COUNT > 0 && FAN_SIZE < 8)); then
	echo "run.sh: FAN_SIZE must be at least 8" >&2
	exit 2
fi

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
tmp=$(mktemp -d)
bg_pids=() # programs running in the background, for cleanup
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

# bin C|Go|GoB: the program of one side; GoB is gothr with SendBatch and
# RecvInto (the flags only change the send and recv modes).
bin() {
	case $1 in
	C) echo "$tmp/thr" ;;
	Go) echo "$tmp/gothr $GOTHR_FLAGS" ;;
	GoB) echo "$tmp/gothr $GOTHR_FLAGS -batch $BATCH -into" ;;
	esac
}

# await PID WHAT [ERRFILE]: waits for a background program; a failure ends
# the run, with ERRFILE (the program's stderr) shown.
await() {
	local rc=0
	wait "$1" || rc=$?
	if ((rc != 0)); then
		echo "run.sh: $2 failed (exit status $rc$( ((rc == 124)) && echo ", timed out after $RUN_TIMEOUT s"))" >&2
		[[ -n ${3:-} ]] && cat "$3" >&2
		exit 1
	fi
}

# start_bound SIDE MODE ARGS...: starts the binding side in the background
# with its stdout in $tmp/srv.out, waits for the endpoint it bound, and sets
# server_pid and ep.
start_bound() {
	local side=$1 mode=$2
	shift 2
	: >"$tmp/ep"
	# shellcheck disable=SC2046
	timeout "$RUN_TIMEOUT" $(bin "$side") "$mode" 'tcp://127.0.0.1:*' "$@" \
		>"$tmp/srv.out" 2>"$tmp/ep" &
	server_pid=$!
	bg_pids+=("$server_pid")
	for _ in $(seq 1000); do
		[[ -s $tmp/ep ]] && break
		if ! kill -0 "$server_pid" 2>/dev/null; then break; fi
		sleep 0.01
	done
	ep=$(head -n 1 "$tmp/ep")
	if [[ $ep != tcp://* ]]; then
		echo "run.sh: $side $mode did not report an endpoint: $(cat "$tmp/ep")" >&2
		exit 1
	fi
}

# pair SERVER-SIDE CLIENT-SIDE SERVER-MODE CLIENT-MODE COUNT SIZE: starts the
# binding side, waits for its endpoint, runs the connecting side, and sets
# srv_line and cli_line to their outputs. It runs in this shell, not in
# $(...), so that the EXIT trap can stop a server left behind by a failure.
pair() {
	local srv=$1 cli=$2 smode=$3 cmode=$4 count=$5 size=$6
	start_bound "$srv" "$smode" "$count" "$size"
	# shellcheck disable=SC2046
	timeout "$RUN_TIMEOUT" $(bin "$cli") "$cmode" "$ep" "$count" "$size" >"$tmp/cli.out" &
	bg_pids+=($!)
	await $! "$cli $cmode (against $srv $smode)"
	await "$server_pid" "$srv $smode (against $cli $cmode)" "$tmp/ep"
	bg_pids=()
	srv_line=$(<"$tmp/srv.out") cli_line=$(<"$tmp/cli.out")
}

# fan PUB-SIDE SUB-SIDE: one fan-out run, publisher and FAN_SUBS
# subscribers; sets pub_line and sub_lines (one line per subscriber).
fan() {
	local pub=$1 sub=$2 k
	local -a subs=()
	start_bound "$pub" pub "$FAN_COUNT" "$FAN_SIZE" "$FAN_SUBS"
	for k in $(seq "$FAN_SUBS"); do
		# shellcheck disable=SC2046
		timeout "$RUN_TIMEOUT" $(bin "$sub") sub "$ep" "$FAN_COUNT" "$FAN_SIZE" >"$tmp/sub$k.out" &
		subs+=($!)
		bg_pids+=($!)
	done
	for k in "${!subs[@]}"; do
		await "${subs[$k]}" "$sub sub $((k + 1)) (from $pub pub)"
	done
	await "$server_pid" "$pub pub (to $sub subs)" "$tmp/ep"
	bg_pids=()
	pub_line=$(<"$tmp/srv.out")
	sub_lines=$(cat "$tmp"/sub*.out)
	rm -f "$tmp"/sub*.out
}

# field NAME LINE: the value of NAME=value in LINE (in every line of LINE).
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

# sum FILE KEY...: the sum of the values in FILE whose line starts with the keys.
sum() {
	local file=$1
	shift
	awk -v key="$*" 'index($0, key " ") == 1 { s += $NF; n++ } END { print (n ? s : "nan") }' "$file"
}

# ratio A B: A / B, or 0 when B is not a positive number.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }

# Sender->receiver (client->server, publisher->subscribers); the order
# alternates C and Go programs from run to run.
combos=("C C" "Go Go" "C Go" "Go C")
# The throughput runs add GoB, each after its unbatched counterpart.
thr_combos=("${combos[@]}")
cw=7 # width of the throughput table's combination column
# So do the fan-out runs.
fan_combos=("${combos[@]}")
if ((BATCH > 0)); then
	thr_combos=("C C" "Go Go" "GoB GoB" "C Go" "C GoB" "Go C" "GoB C")
	fan_combos=("${thr_combos[@]}")
	cw=8
fi
patterns=("REQ->REP rep req" "DEALER->ROUTER router dealer")
results=$tmp/results
: >"$results"
start=$SECONDS

for i in "${!SIZES[@]}"; do
	size=${SIZES[$i]} count=${COUNTS[$i]}
	for rep in $(seq "$REPS"); do
		for c in "${thr_combos[@]}"; do
			read -r snd rcv <<<"$c"
			pair "$rcv" "$snd" recv send "$count" "$size"
			rc=$(field cpu_ns_per_msg "$srv_line") sc=$(field cpu_ns_per_msg "$cli_line")
			{
				echo "thr $size $snd->$rcv $(field msgs_per_s "$srv_line")"
				echo "trcpu $size $snd->$rcv $rc"
				echo "tscpu $size $snd->$rcv $sc"
				echo "rcpu $size $rcv $rc"
				echo "scpu $size $snd $sc"
			} >>"$results"
			printf "  %-6s %-${cw}s rep %d: %s | sender %s\n" "$size" "$snd->$rcv" "$rep" "$srv_line" "$cli_line" >&2
		done
	done
done

if ((LAT_COUNT > 0)); then
	for rep in $(seq "$REPS"); do
		for p in "${patterns[@]}"; do
			read -r pat smode cmode <<<"$p"
			for size in "${LAT_SIZES[@]}"; do
				for c in "${combos[@]}"; do
					read -r cli srv <<<"$c"
					pair "$srv" "$cli" "$smode" "$cmode" "$LAT_COUNT" "$size"
					line=$cli_line
					{
						echo "p50 $pat $size $cli->$srv $(field rtt_us_p50 "$line")"
						echo "mean $pat $size $cli->$srv $(field rtt_us_mean "$line")"
						echo "p99 $pat $size $cli->$srv $(field rtt_us_p99 "$line")"
					} >>"$results"
					printf '  %-14s %-5s %-7s rep %d: %s\n' "$pat" "$size" "$cli->$srv" "$rep" "$line" >&2
				done
			done
		done
	done
fi

if ((FAN_COUNT > 0)); then
	for rep in $(seq "$REPS"); do
		for c in "${fan_combos[@]}"; do
			read -r pub sub <<<"$c"
			fan "$pub" "$sub"
			rates=$(field msgs_per_s "$sub_lines")
			{
				echo "fmin $pub->$sub $(sort -g <<<"$rates" | head -n 1)"
				echo "fmean $pub->$sub $(awk '{ s += $1 } END { printf "%.1f", s / NR }' <<<"$rates")"
				echo "flost $pub->$sub $(field lost "$sub_lines" | awk '{ s += $1 } END { print s }')"
				echo "fscpu $pub->$sub $(field cpu_ns_per_msg "$sub_lines" | awk '{ s += $1 } END { printf "%.1f", s / NR }')"
				echo "fpcpu $pub->$sub $(field cpu_ns_per_msg "$pub_line")"
			} >>"$results"
			printf '  fan-out %-7s rep %d: publisher %s\n' "$pub->$sub" "$rep" "$pub_line" >&2
			sed 's/^/                         subscriber /' <<<"$sub_lines" >&2
		done
	done
fi

echo
echo "PUSH->PULL throughput over tcp://127.0.0.1, $REPS runs each (sender->receiver);" \
	"CPU: median ns of CPU time (all threads, user+system) per message, of the sender and of the receiver"
if ((BATCH > 0)); then
	echo "GoB: our binding's fast paths, SendBatch with $BATCH messages per call and RecvInto into one reused message (Go: one Send/Recv per message)"
fi
printf "%8s  %-${cw}s %12s %12s %12s %10s %8s %10s %10s\n" size combo "median msg/s" min max "median MB/s" "vs C->C" \
	"snd ns/msg" "rcv ns/msg"
for i in "${!SIZES[@]}"; do
	size=${SIZES[$i]}
	read -r base _ _ <<<"$(stats "$results" thr "$size" 'C->C')"
	for c in "${thr_combos[@]}"; do
		read -r snd rcv <<<"$c"
		read -r med lo hi <<<"$(stats "$results" thr "$size" "$snd->$rcv")"
		read -r sc _ _ <<<"$(stats "$results" tscpu "$size" "$snd->$rcv")"
		read -r rc _ _ <<<"$(stats "$results" trcpu "$size" "$snd->$rcv")"
		awk -v s="$size" -v c="$snd->$rcv" -v m="$med" -v lo="$lo" -v hi="$hi" -v b="$base" -v sc="$sc" -v rc="$rc" -v cw="$cw" \
			'BEGIN { printf "%8d  %-" cw "s %12.0f %12.0f %12.0f %10.1f %8.2f %10.1f %10.1f\n", s, c, m, lo, hi, m * s / 1e6, (b > 0 ? m / b : 0), sc, rc }'
	done
done

echo
echo "CPU time per message of each program (all its threads, user+system; ns), median over every run"
echo "in which it had that role; less sensitive than msgs/s to other load on the machine"
if ((BATCH > 0)); then
	printf '%8s  %-8s %10s %10s %10s %8s %8s\n' size role C Go GoB "Go / C" "GoB / C"
else
	printf '%8s  %-8s %10s %10s %8s\n' size role C Go "Go / C"
fi
for size in "${SIZES[@]}"; do
	for role in rcpu scpu; do
		read -r c _ _ <<<"$(stats "$results" "$role" "$size" C)"
		read -r g _ _ <<<"$(stats "$results" "$role" "$size" Go)"
		r=$([[ $role == rcpu ]] && echo receiver || echo sender)
		if ((BATCH > 0)); then
			read -r gb _ _ <<<"$(stats "$results" "$role" "$size" GoB)"
			awk -v s="$size" -v r="$r" -v c="$c" -v g="$g" -v gb="$gb" \
				'BEGIN { printf "%8d  %-8s %10.1f %10.1f %10.1f %8.2f %8.2f\n", s, r, c, g, gb, (c > 0 ? g / c : 0), (c > 0 ? gb / c : 0) }'
		else
			awk -v s="$size" -v r="$r" -v c="$c" -v g="$g" \
				'BEGIN { printf "%8d  %-8s %10.1f %10.1f %8.2f\n", s, r, c, g, (c > 0 ? g / c : 0) }'
		fi
	done
done

if ((LAT_COUNT > 0)); then
	echo
	echo "Round trip (REQ->REP and DEALER->ROUTER) over tcp://127.0.0.1, $LAT_COUNT round trips, $REPS runs each" \
		"(client->server), microseconds; ratios to C->C of the same pattern and size (lower is better)"
	printf '%-14s %6s  %-7s %10s %8s %8s %10s %10s %8s %8s\n' pattern size combo "median p50" min max "med mean" \
		"med p99" "p50 vs C" "p99 vs C"
	for p in "${patterns[@]}"; do
		read -r pat _ _ <<<"$p"
		for size in "${LAT_SIZES[@]}"; do
			read -r b50 _ _ <<<"$(stats "$results" p50 "$pat" "$size" 'C->C')"
			read -r b99 _ _ <<<"$(stats "$results" p99 "$pat" "$size" 'C->C')"
			for c in "${combos[@]}"; do
				read -r cli srv <<<"$c"
				read -r med lo hi <<<"$(stats "$results" p50 "$pat" "$size" "$cli->$srv")"
				read -r mmean _ _ <<<"$(stats "$results" mean "$pat" "$size" "$cli->$srv")"
				read -r mp99 _ _ <<<"$(stats "$results" p99 "$pat" "$size" "$cli->$srv")"
				printf '%-14s %6d  %-7s %10.1f %8.1f %8.1f %10.1f %10.1f %8s %8s\n' "$pat" "$size" "$cli->$srv" \
					"$med" "$lo" "$hi" "$mmean" "$mp99" "$(ratio "$med" "$b50")" "$(ratio "$mp99" "$b99")"
			done
		done
	done
fi

if ((FAN_COUNT > 0)); then
	echo
	echo "PUB->SUB fan-out over tcp://127.0.0.1: one XPUB process (no-drop, send HWM 1000) to $FAN_SUBS SUB processes" \
		"(receive HWM 1000), $FAN_SIZE bytes, $FAN_COUNT messages, $REPS runs each (publisher->subscribers);" \
		"msgs/s per subscriber: the slowest and the mean, medians over the runs; lost: over all runs and subscribers;" \
		"CPU: median ns per message of the publisher and of a subscriber"
	printf "%-${cw}s %12s %12s %8s %8s %8s %10s %10s\n" combo "min sub/s" "mean sub/s" "min vs C" "mean vs C" lost \
		"pub ns/msg" "sub ns/msg"
	read -r bmin _ _ <<<"$(stats "$results" fmin 'C->C')"
	read -r bmean _ _ <<<"$(stats "$results" fmean 'C->C')"
	for c in "${fan_combos[@]}"; do
		read -r pub sub <<<"$c"
		read -r fmin _ _ <<<"$(stats "$results" fmin "$pub->$sub")"
		read -r fmean _ _ <<<"$(stats "$results" fmean "$pub->$sub")"
		read -r pc _ _ <<<"$(stats "$results" fpcpu "$pub->$sub")"
		read -r sc _ _ <<<"$(stats "$results" fscpu "$pub->$sub")"
		printf "%-${cw}s %12.0f %12.0f %8s %8s %8d %10.1f %10.1f\n" "$pub->$sub" "$fmin" "$fmean" \
			"$(ratio "$fmin" "$bmin")" "$(ratio "$fmean" "$bmean")" "$(sum "$results" flost "$pub->$sub")" "$pc" "$sc"
	done
fi
echo
echo "total $((SECONDS - start)) s; $(nproc) CPUs; load average now $(cut -d' ' -f1-3 /proc/loadavg);" \
	"$(go version | cut -d' ' -f3); libzmq $(pkg-config --modversion libzmq);" \
	"commit $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$root" diff --quiet HEAD -- '*.go' '*.h' 2>/dev/null || echo ' + local changes')"
