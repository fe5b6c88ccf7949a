#!/usr/bin/env bash
# bench/run.sh: this package, on either of its engines, against plain
# libzmq in C, with a C peer (bench/c/thr.c) and a Go peer (bench/gothr)
# on either side. The programs:
#   C     thr.c on libzmq
#   Lib   gothr on the libzmq engine (ZMQ_ENGINE=libzmq): one Send/Recv per message
#   Go    gothr on the go engine (ZMQ_ENGINE=go): one Send/Recv per message
#   LibB, GoB  the same on their fast paths: SendBatch, BATCH messages per
#         call, to send, and RecvInto into one reused message to receive
# The runs:
#   - throughput, PUSH -> PULL, per message size, over tcp://127.0.0.1 and
#     (IPC_SIZES) ipc://, every engine against itself and crossed with C
#     both ways (X->X, C->X, X->C; with BATCH also XB->XB, C->XB, XB->C);
#   - round trip, REQ <-> REP and DEALER <-> ROUTER, per message size;
#   - fan-out, one XPUB (no-drop) process -> FAN_SUBS SUB processes;
#   - inproc: the package's own Go benchmarks (BenchmarkPushPull and
#     BenchmarkPushPullRecvInto, inproc) on each engine, in msgs/s.
#
# Usage: bench/run.sh            (from anywhere; needs gcc, pkg-config, libzmq, go)
# Knobs (environment):
#   REPS=3                       repetitions of every run
#   ENGINES="Lib Go"             the engines to run (Lib: libzmq, Go: go)
#   SIZES="16 256 4096 65536"    message sizes in bytes (tcp throughput)
#   COUNTS="3000000 1500000 200000 30000"  messages per throughput run, per size
#   IPC_SIZES="16 65536"         message sizes of the ipc throughput runs
#                                (each one of SIZES; empty: no ipc runs)
#   LAT_COUNT=5000               round trips per latency run; 0 skips the latency runs
#   LAT_SIZES="16 1024"          message sizes of the latency runs
#   FAN_COUNT=500000             messages per fan-out run; 0 skips the fan-out runs
#   FAN_SIZE=256                 fan-out message size (at least 8: the sequence number)
#   FAN_SUBS=4                   subscriber processes per fan-out run
#   BATCH=256                    messages per SendBatch call of the B programs
#                                in the throughput and fan-out runs; 0 leaves them out
#   INPROC_SIZES="16 256 4096 65536"  message sizes of the inproc benchmarks
#                                (each one of BenchmarkPushPull's); empty: none
#   INPROC_BENCHTIME=1s          -benchtime of each inproc benchmark run
#   GOTHR_FLAGS=                 extra flags for every gothr run (e.g. -v)
#   RUN_TIMEOUT=60               seconds any one program may run
#
# Each two-party run starts the binding side (on tcp://127.0.0.1:*, or an
# ipc path in a temporary directory; it prints the endpoint it bound as
# its first line on stderr), then the connecting side. A throughput
# receiver times the first to the last message; both sides report their
# process's CPU time per message. A latency client times every round trip
# and reports mean, p50 and p99. A fan-out run starts the publisher, then
# FAN_SUBS subscribers; the publisher waits until every one has subscribed,
# then sends FAN_COUNT sequence-numbered messages; every subscriber reports
# its msgs/s and the sequence numbers it never saw (with the no-drop option
# there must be none). Within every repetition the combinations run one
# after the other, C->C first, so that every engine's runs sit between C's
# runs of the same conditions; the inproc benchmarks alternate the engines.
#
# The tables: throughput per transport, size and combination
# (sender->receiver), the median, min and max msgs/s over the repetitions,
# the ratio of the median to the C->C median of the same transport and
# size, and the median CPU time per message of the sender and the receiver;
# CPU time per message per role and program over all tcp throughput runs;
# round trips per pattern, size and combination (client->server), p50 and
# p99 medians and their ratios to C->C; fan-out per combination
# (publisher->subscribers), the slowest and the mean subscriber's msgs/s
# (medians over the repetitions) and their ratios to C->C, the messages
# lost over all runs, and the CPU time per message of the publisher and of
# a subscriber; inproc msgs/s per size and receive mode, per engine, and
# the go engine's over the libzmq engine's.
set -euo pipefail

REPS=${REPS:-3}
ENGINES=(${ENGINES:-Lib Go})
SIZES=(${SIZES:-16 256 4096 65536})
COUNTS=(${COUNTS:-3000000 1500000 200000 30000})
IPC_SIZES=(${IPC_SIZES-16 65536})
LAT_COUNT=${LAT_COUNT:-5000}
LAT_SIZES=(${LAT_SIZES:-16 1024})
FAN_COUNT=${FAN_COUNT:-500000}
FAN_SIZE=${FAN_SIZE:-256}
FAN_SUBS=${FAN_SUBS:-4}
BATCH=${BATCH:-256}
INPROC_SIZES=(${INPROC_SIZES-16 256 4096 65536})
INPROC_BENCHTIME=${INPROC_BENCHTIME:-1s}
GOTHR_FLAGS=${GOTHR_FLAGS:-}
RUN_TIMEOUT=${RUN_TIMEOUT:-60}

if ((${#SIZES[@]} != ${#COUNTS[@]})); then
	echo "run.sh: SIZES and COUNTS must have the same length" >&2
	exit 2
fi
for e in "${ENGINES[@]}"; do
	if [[ $e != Lib && $e != Go ]]; then
		echo "run.sh: ENGINES: unknown engine $e, want Lib or Go" >&2
		exit 2
	fi
done
if [[ ! $BATCH =~ ^[0-9]+$ ]]; then
	echo "run.sh: BATCH must be a number (0: no batched runs)" >&2
	exit 2
fi
if ((FAN_COUNT > 0 && FAN_SIZE < 8)); then
	echo "run.sh: FAN_SIZE must be at least 8" >&2
	exit 2
fi
# count_of SIZE: the messages per throughput run of SIZE (one of SIZES).
count_of() {
	local i
	for i in "${!SIZES[@]}"; do
		if [[ ${SIZES[$i]} == "$1" ]]; then
			echo "${COUNTS[$i]}"
			return
		fi
	done
	return 1
}
for size in "${IPC_SIZES[@]}"; do
	if ! count_of "$size" >/dev/null; then
		echo "run.sh: IPC_SIZES: $size is not one of SIZES (${SIZES[*]})" >&2
		exit 2
	fi
done

# shellcheck source=bench/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
if ((${#INPROC_SIZES[@]} > 0)); then
	(cd "$root" && go test -c -o "$tmp/zmq.test" .)
fi

# bin PROGRAM: the command line of one side (see the list at the top).
bin() {
	case $1 in
	C) echo "$tmp/thr" ;;
	Lib) echo "env ZMQ_ENGINE=libzmq $tmp/gothr $GOTHR_FLAGS" ;;
	Go) echo "env ZMQ_ENGINE=go $tmp/gothr $GOTHR_FLAGS" ;;
	LibB) echo "env ZMQ_ENGINE=libzmq $tmp/gothr $GOTHR_FLAGS -batch $BATCH -into" ;;
	GoB) echo "env ZMQ_ENGINE=go $tmp/gothr $GOTHR_FLAGS -batch $BATCH -into" ;;
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

# endpoint TRANSPORT: sets bind_ep to what the binding side binds: a
# fresh ipc path for every run.
ipc_seq=0
endpoint() {
	case $1 in
	tcp) bind_ep='tcp://127.0.0.1:*' ;;
	ipc)
		ipc_seq=$((ipc_seq + 1))
		bind_ep="ipc://$tmp/s$ipc_seq"
		;;
	esac
}

# start_bound SIDE MODE TRANSPORT ARGS...: starts the binding side in the
# background with its stdout in $tmp/srv.out, waits for the endpoint it
# bound, and sets server_pid and ep.
start_bound() {
	local side=$1 mode=$2 tr=$3
	shift 3
	: >"$tmp/ep"
	endpoint "$tr"
	# shellcheck disable=SC2046
	timeout "$RUN_TIMEOUT" $(bin "$side") "$mode" "$bind_ep" "$@" \
		>"$tmp/srv.out" 2>"$tmp/ep" &
	server_pid=$!
	bg_pids+=("$server_pid")
	for _ in $(seq 1000); do
		[[ -s $tmp/ep ]] && break
		if ! kill -0 "$server_pid" 2>/dev/null; then break; fi
		sleep 0.01
	done
	ep=$(head -n 1 "$tmp/ep")
	if [[ $ep != "$tr://"* ]]; then
		echo "run.sh: $side $mode did not report an endpoint: $(cat "$tmp/ep")" >&2
		exit 1
	fi
}

# pair TRANSPORT SERVER-SIDE CLIENT-SIDE SERVER-MODE CLIENT-MODE COUNT SIZE:
# starts the binding side, waits for its endpoint, runs the connecting
# side, and sets srv_line and cli_line to their outputs. It runs in this
# shell, not in $(...), so that the EXIT trap can stop a server left behind
# by a failure.
pair() {
	local tr=$1 srv=$2 cli=$3 smode=$4 cmode=$5 count=$6 size=$7
	start_bound "$srv" "$smode" "$tr" "$count" "$size"
	if [[ $tr == ipc ]]; then
		# The sender holds its connection open until the receiver is
		# done (BENCH_HOLD, see thr.c): its stdin is a fifo that this
		# shell closes then.
		rm -f "$tmp/hold"
		mkfifo "$tmp/hold"
		# shellcheck disable=SC2046
		BENCH_HOLD=1 timeout "$RUN_TIMEOUT" $(bin "$cli") "$cmode" "$ep" "$count" "$size" \
			<"$tmp/hold" >"$tmp/cli.out" &
		local cli_pid=$!
		bg_pids+=("$cli_pid")
		exec 3>"$tmp/hold"
		await "$server_pid" "$srv $smode (against $cli $cmode over $tr)" "$tmp/ep"
		exec 3>&-
		await "$cli_pid" "$cli $cmode (against $srv $smode over $tr)"
	else
		# shellcheck disable=SC2046
		timeout "$RUN_TIMEOUT" $(bin "$cli") "$cmode" "$ep" "$count" "$size" >"$tmp/cli.out" &
		bg_pids+=($!)
		await $! "$cli $cmode (against $srv $smode over $tr)"
		await "$server_pid" "$srv $smode (against $cli $cmode over $tr)" "$tmp/ep"
	fi
	bg_pids=()
	srv_line=$(<"$tmp/srv.out") cli_line=$(<"$tmp/cli.out")
}

# fan PUB-SIDE SUB-SIDE: one fan-out run over tcp, publisher and FAN_SUBS
# subscribers; sets pub_line and sub_lines (one line per subscriber).
fan() {
	local pub=$1 sub=$2 k
	local -a subs=()
	start_bound "$pub" pub tcp "$FAN_COUNT" "$FAN_SIZE" "$FAN_SUBS"
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

# The combinations, sender->receiver (client->server,
# publisher->subscribers): C->C, then every engine against itself and
# crossed with C both ways; the throughput and fan-out runs add the
# batched programs, each after its unbatched counterpart.
combos=("C C")
thr_combos=("C C")
for e in "${ENGINES[@]}"; do
	combos+=("$e $e" "C $e" "$e C")
	if ((BATCH > 0)); then
		thr_combos+=("$e $e" "${e}B ${e}B" "C $e" "C ${e}B" "$e C" "${e}B C")
	else
		thr_combos+=("$e $e" "C $e" "$e C")
	fi
done
fan_combos=("${thr_combos[@]}")
programs=(C)
for e in "${ENGINES[@]}"; do
	programs+=("$e")
	((BATCH > 0)) && programs+=("${e}B")
done
cw=10 # width of the combination columns
patterns=("REQ->REP rep req" "DEALER->ROUTER router dealer")
results=$tmp/results
: >"$results"
start=$SECONDS

# throughput TRANSPORT SIZE COMBOS...: one repetition of the throughput
# runs of one size.
throughput() {
	local tr=$1 size=$2 count c snd rcv rc sc
	shift 2
	count=$(count_of "$size")
	for c in "$@"; do
		read -r snd rcv <<<"$c"
		pair "$tr" "$rcv" "$snd" recv send "$count" "$size"
		rc=$(field cpu_ns_per_msg "$srv_line") sc=$(field cpu_ns_per_msg "$cli_line")
		{
			echo "thr $tr $size $snd->$rcv $(field msgs_per_s "$srv_line")"
			echo "trcpu $tr $size $snd->$rcv $rc"
			echo "tscpu $tr $size $snd->$rcv $sc"
			echo "rcpu $tr $size $rcv $rc"
			echo "scpu $tr $size $snd $sc"
		} >>"$results"
		printf "  %-3s %-6s %-${cw}s rep %d: %s | sender %s\n" "$tr" "$size" "$snd->$rcv" "$rep" "$srv_line" "$cli_line" >&2
	done
}

for size in "${SIZES[@]}"; do
	for rep in $(seq "$REPS"); do
		throughput tcp "$size" "${thr_combos[@]}"
	done
done
for size in "${IPC_SIZES[@]}"; do
	for rep in $(seq "$REPS"); do
		throughput ipc "$size" "${combos[@]}"
	done
done

if ((LAT_COUNT > 0)); then
	for rep in $(seq "$REPS"); do
		for p in "${patterns[@]}"; do
			read -r pat smode cmode <<<"$p"
			for size in "${LAT_SIZES[@]}"; do
				for c in "${combos[@]}"; do
					read -r cli srv <<<"$c"
					pair tcp "$srv" "$cli" "$smode" "$cmode" "$LAT_COUNT" "$size"
					line=$cli_line
					{
						echo "p50 $pat $size $cli->$srv $(field rtt_us_p50 "$line")"
						echo "mean $pat $size $cli->$srv $(field rtt_us_mean "$line")"
						echo "p99 $pat $size $cli->$srv $(field rtt_us_p99 "$line")"
					} >>"$results"
					printf "  %-14s %-5s %-${cw}s rep %d: %s\n" "$pat" "$size" "$cli->$srv" "$rep" "$line" >&2
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
			printf "  fan-out %-${cw}s rep %d: publisher %s\n" "$pub->$sub" "$rep" "$pub_line" >&2
			sed 's/^/                         subscriber /' <<<"$sub_lines" >&2
		done
	done
fi

# The inproc benchmarks: BenchmarkPushPull (Send and Recv) and
# BenchmarkPushPullRecvInto (Send and RecvInto) over inproc, each engine in
# turn within every repetition; ns/op is the time per message.
inproc_benches=("PushPull Recv" "PushPullRecvInto RecvInto")
if ((${#INPROC_SIZES[@]} > 0)); then
	sizes_re=$(IFS='|' && echo "${INPROC_SIZES[*]}")
	for rep in $(seq "$REPS"); do
		for b in "${inproc_benches[@]}"; do
			read -r bname mode <<<"$b"
			for e in "${ENGINES[@]}"; do
				env_engine=$([[ $e == Lib ]] && echo libzmq || echo go)
				out=$(cd "$root" && ZMQ_ENGINE=$env_engine timeout "$RUN_TIMEOUT" "$tmp/zmq.test" -test.run '^$' \
					-test.bench "^Benchmark$bname\$/^inproc\$/^($sizes_re)\$" -test.benchtime "$INPROC_BENCHTIME" 2>&1) || {
					echo "run.sh: inproc benchmark $bname on $e failed:" >&2
					echo "$out" >&2
					exit 1
				}
				while read -r size nsop; do
					echo "inproc $mode $size $e $(awk -v n="$nsop" 'BEGIN { printf "%.0f", 1e9 / n }')" >>"$results"
					printf '  inproc %-8s %-6s %-3s rep %d: %s ns/msg\n' "$mode" "$size" "$e" "$rep" "$nsop" >&2
				done < <(sed -n "s|^Benchmark$bname/inproc/\([0-9]*\)-[0-9]*[[:space:]]*[0-9]*[[:space:]]*\([0-9.]*\) ns/op.*|\1 \2|p" <<<"$out")
			done
		done
	done
fi

# The throughput table of one transport.
thr_table() {
	local tr=$1 size base med lo hi sc rc c snd rcv
	shift
	local -a sizes=("$@")
	local -a cs=("${thr_combos[@]}")
	[[ $tr == ipc ]] && cs=("${combos[@]}")
	echo
	echo "PUSH->PULL throughput over $tr, $REPS runs each (sender->receiver);" \
		"CPU: median ns of CPU time (all threads, user+system) per message, of the sender and of the receiver"
	printf "%-4s %8s  %-${cw}s %12s %12s %12s %10s %8s %10s %10s\n" tr size combo "median msg/s" min max "median MB/s" "vs C->C" \
		"snd ns/msg" "rcv ns/msg"
	for size in "${sizes[@]}"; do
		read -r base _ _ <<<"$(stats "$results" thr "$tr" "$size" 'C->C')"
		for c in "${cs[@]}"; do
			read -r snd rcv <<<"$c"
			read -r med lo hi <<<"$(stats "$results" thr "$tr" "$size" "$snd->$rcv")"
			read -r sc _ _ <<<"$(stats "$results" tscpu "$tr" "$size" "$snd->$rcv")"
			read -r rc _ _ <<<"$(stats "$results" trcpu "$tr" "$size" "$snd->$rcv")"
			awk -v tr="$tr" -v s="$size" -v c="$snd->$rcv" -v m="$med" -v lo="$lo" -v hi="$hi" -v b="$base" -v sc="$sc" -v rc="$rc" -v cw="$cw" \
				'BEGIN { printf "%-4s %8d  %-" cw "s %12.0f %12.0f %12.0f %10.1f %8.2f %10.1f %10.1f\n", tr, s, c, m, lo, hi, m * s / 1e6, (b > 0 ? m / b : 0), sc, rc }'
		done
	done
}

echo
echo "Programs: C is thr.c on libzmq; Lib is gothr on this package's libzmq engine, Go on its go engine," \
	"one Send/Recv per message$( ((BATCH > 0)) && echo "; LibB and GoB the same on the fast paths, SendBatch with $BATCH messages per call and RecvInto into one reused message")"
thr_table tcp "${SIZES[@]}"
if ((${#IPC_SIZES[@]} > 0)); then
	thr_table ipc "${IPC_SIZES[@]}"
fi

echo
echo "CPU time per message of each program over tcp (all its threads, user+system; ns), median over every" \
	"throughput run in which it had that role, and its ratio to C's; less sensitive than msgs/s to other load"
{
	printf '%8s  %-8s' size role
	for p in "${programs[@]}"; do printf ' %10s' "$p"; done
	for p in "${programs[@]:1}"; do printf ' %10s' "$p/C"; done
	echo
}
for size in "${SIZES[@]}"; do
	for role in scpu rcpu; do
		r=$([[ $role == rcpu ]] && echo receiver || echo sender)
		read -r c _ _ <<<"$(stats "$results" "$role" tcp "$size" C)"
		printf '%8d  %-8s' "$size" "$r"
		for p in "${programs[@]}"; do
			read -r v _ _ <<<"$(stats "$results" "$role" tcp "$size" "$p")"
			printf ' %10.1f' "$v"
		done
		for p in "${programs[@]:1}"; do
			read -r v _ _ <<<"$(stats "$results" "$role" tcp "$size" "$p")"
			printf ' %10s' "$(ratio "$v" "$c")"
		done
		echo
	done
done

if ((LAT_COUNT > 0)); then
	echo
	echo "Round trip (REQ->REP and DEALER->ROUTER) over tcp, $LAT_COUNT round trips, $REPS runs each" \
		"(client->server), microseconds; ratios to C->C of the same pattern and size (lower is better)"
	printf "%-14s %6s  %-${cw}s %10s %8s %8s %10s %10s %8s %8s\n" pattern size combo "median p50" min max "med mean" \
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
				printf "%-14s %6d  %-${cw}s %10.1f %8.1f %8.1f %10.1f %10.1f %8s %8s\n" "$pat" "$size" "$cli->$srv" \
					"$med" "$lo" "$hi" "$mmean" "$mp99" "$(ratio "$med" "$b50")" "$(ratio "$mp99" "$b99")"
			done
		done
	done
fi

if ((FAN_COUNT > 0)); then
	echo
	echo "PUB->SUB fan-out over tcp: one XPUB process (no-drop, send HWM 1000) to $FAN_SUBS SUB processes" \
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

if ((${#INPROC_SIZES[@]} > 0)); then
	echo
	echo "inproc PUSH->PULL in one process (go test -bench 'PushPull(RecvInto)?/inproc', -benchtime $INPROC_BENCHTIME," \
		"$REPS runs each): median msgs/s per engine, one Send per message, received with Recv or RecvInto"
	printf '%8s  %-8s' size recv
	for e in "${ENGINES[@]}"; do printf ' %12s' "$e msg/s"; done
	((${#ENGINES[@]} == 2)) && printf ' %8s' "Go/Lib"
	echo
	for b in "${inproc_benches[@]}"; do
		read -r _ mode <<<"$b"
		for size in "${INPROC_SIZES[@]}"; do
			printf '%8d  %-8s' "$size" "$mode"
			declare -A imed=()
			for e in "${ENGINES[@]}"; do
				read -r "imed[$e]" _ _ <<<"$(stats "$results" inproc "$mode" "$size" "$e")"
				printf ' %12.0f' "${imed[$e]}"
			done
			((${#ENGINES[@]} == 2)) && printf ' %8s' "$(ratio "${imed[Go]}" "${imed[Lib]}")"
			echo
			unset imed
		done
	done
fi

echo
echo "total $((SECONDS - start)) s; $(nproc) CPUs; load average now $(cut -d' ' -f1-3 /proc/loadavg);" \
	"$(go version | cut -d' ' -f3); libzmq $(pkg-config --modversion libzmq);" \
	"commit $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$root" diff --quiet HEAD -- '*.go' '*.h' 2>/dev/null || echo ' + local changes')"
