#!/usr/bin/env bash
# bench/others/run.sh: PUSH->PULL throughput and REQ->REP latency of three
# Go ZeroMQ bindings and of plain libzmq, over tcp://127.0.0.1, each
# library talking to itself (sender and receiver, client and server, of the
# same library):
#   C         bench/c/thr.c, libzmq from C: the baseline
#   ours      github.com/zmqx/zmq (this repository), cgo on libzmq
#   pebbe     github.com/pebbe/zmq4, cgo on libzmq
#   gozeromq  github.com/go-zeromq/zmq4, pure Go
# The Go ones all run bench/others (this directory's own module, so the
# library's go.mod needs none of them), which takes the same arguments and
# prints the same lines as thr.c.
#
# Usage: bash bench/others/run.sh > bench/others/results.md
#        (from anywhere; needs gcc, pkg-config, libzmq, go). The Markdown
#        tables go to stdout, progress to stderr.
# Knobs (environment):
#   REPS=3                          repetitions; each runs every library once
#                                   per size, the libraries alternating
#   SIZES="16 256 4096 65536"       message sizes in bytes
#   COUNTS="1500000 750000 150000 20000"
#                                   messages per throughput run, per size
#   COUNTS_C, COUNTS_OURS, COUNTS_PEBBE, COUNTS_GOZEROMQ
#                                   the same, for one library; each defaults
#                                   to COUNTS, except go-zeromq's, which
#                                   defaults to COUNTS / GOZEROMQ_DIV
#   GOZEROMQ_DIV=10                 go-zeromq is about ten times slower; this
#                                   keeps its runs as short as the others'
#   LAT_COUNT=5000                  round trips per latency run (16 bytes);
#                                   0 skips the latency runs
#   RUN_TIMEOUT=60                  seconds allowed to each program of a run
#   LIBS="C ours pebbe gozeromq"    the libraries, C first (the baseline)
#
# Rates are rates, so runs of different lengths compare: every receiver
# times its first to its last message, as in bench/run.sh. A run that fails
# or times out is reported as such in its row; the others go on.
set -uo pipefail

REPS=${REPS:-3}
SIZES=(${SIZES:-16 256 4096 65536})
COUNTS=(${COUNTS:-1500000 750000 150000 20000})
GOZEROMQ_DIV=${GOZEROMQ_DIV:-10}
LAT_COUNT=${LAT_COUNT:-5000}
RUN_TIMEOUT=${RUN_TIMEOUT:-60}
LIBS=(${LIBS:-C ours pebbe gozeromq})

die() {
	echo "run.sh: $*" >&2
	exit 2
}

# counts LIB: the messages per size for LIB, from COUNTS_<LIB> or COUNTS.
counts() {
	local var=COUNTS_${1^^}
	if [[ -n ${!var:-} ]]; then
		echo "${!var}"
	elif [[ $1 == gozeromq ]]; then
		local n out=()
		for n in "${COUNTS[@]}"; do
			out+=($((n / GOZEROMQ_DIV > 2 ? n / GOZEROMQ_DIV : 2)))
		done
		echo "${out[*]}"
	else
		echo "${COUNTS[*]}"
	fi
}

declare -A COUNT_OF
for lib in "${LIBS[@]}"; do
	case $lib in C | ours | pebbe | gozeromq) ;; *) die "unknown library $lib" ;; esac
	read -ra cs <<<"$(counts "$lib")"
	((${#cs[@]} == ${#SIZES[@]})) || die "counts for $lib (${cs[*]}) and SIZES (${SIZES[*]}) differ in length"
	for i in "${!SIZES[@]}"; do
		COUNT_OF[$lib ${SIZES[$i]}]=${cs[$i]}
	done
done
# The exact command, with every knob's value, for the last line.
command="REPS=$REPS SIZES=\"${SIZES[*]}\" LAT_COUNT=$LAT_COUNT RUN_TIMEOUT=$RUN_TIMEOUT LIBS=\"${LIBS[*]}\""
for lib in "${LIBS[@]}"; do
	command+=" COUNTS_${lib^^}=\"$(counts "$lib")\""
done
command+=" bash $0"

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
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
gcc -O2 -Wall "$root/bench/c/thr.c" -o "$tmp/thr" $(pkg-config --cflags --libs libzmq) || die "building thr.c failed"
(cd "$here" && go build -o "$tmp/others" .) || die "building others failed"

# bin LIB: the program of a library, as words.
bin() {
	if [[ $1 == C ]]; then
		echo "$tmp/thr"
	else
		echo "$tmp/others -lib $1"
	fi
}

# pair LIB SERVER-MODE CLIENT-MODE COUNT SIZE: starts LIB's binding side,
# waits for its endpoint, runs LIB's connecting side, and sets srv_line and
# cli_line to their outputs. On failure it returns 1 with the reason in
# why. It runs in this shell, not in $(...), so that the EXIT trap can stop
# a server left behind.
pair() {
	local lib=$1 smode=$2 cmode=$3 count=$4 size=$5 ep rc
	srv_line= cli_line= why=
	: >"$tmp/ep"
	# shellcheck disable=SC2046
	timeout "$RUN_TIMEOUT" $(bin "$lib") "$smode" 'tcp://127.0.0.1:*' "$count" "$size" \
		>"$tmp/srv.out" 2>"$tmp/ep" &
	server_pid=$!
	for _ in $(seq 1000); do
		[[ -s $tmp/ep ]] && break
		kill -0 "$server_pid" 2>/dev/null || break
		sleep 0.01
	done
	ep=$(head -n 1 "$tmp/ep")
	if [[ $ep != tcp://* ]]; then
		kill "$server_pid" 2>/dev/null
		wait "$server_pid" 2>/dev/null
		server_pid=
		why="$smode side reported no endpoint: $(tr '\n' ' ' <"$tmp/ep")"
		return 1
	fi
	# shellcheck disable=SC2046
	timeout "$RUN_TIMEOUT" $(bin "$lib") "$cmode" "$ep" "$count" "$size" >"$tmp/cli.out" 2>"$tmp/cli.err"
	rc=$?
	if ((rc != 0)); then
		why="$cmode side exit $rc$( ((rc == 124)) && echo " (timeout ${RUN_TIMEOUT}s)"): $(tr '\n' ' ' <"$tmp/cli.err")"
		# Give the server its chance to finish (it may have all it needs).
		sleep 1
		kill "$server_pid" 2>/dev/null
	fi
	wait "$server_pid"
	local src=$?
	server_pid=
	if ((src != 0)) && [[ -z $why ]]; then
		why="$smode side exit $src$( ((src == 124)) && echo " (timeout ${RUN_TIMEOUT}s)"): $(tail -n +2 "$tmp/ep" | tr '\n' ' ')"
	fi
	srv_line=$(<"$tmp/srv.out") cli_line=$(<"$tmp/cli.out")
	[[ -z $why ]]
}

# field NAME LINE: the value of NAME=value in LINE.
field() { sed -n "s/.*\b$1=\([0-9.]*\).*/\1/p" <<<"$2"; }

# stats KEY...: "median min max n" of the values in the results whose line
# starts with the keys.
stats() {
	awk -v key="$*" 'index($0, key " ") == 1 { print $NF }' "$results" | sort -g |
		awk '{ v[NR] = $1 } END {
			if (NR == 0) { print "nan nan nan 0"; exit }
			m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			printf "%s %s %s %d\n", m, v[1], v[NR], NR
		}'
}

# failures KEY...: how many runs failed, and the first reason.
failures() {
	local n first
	n=$(grep -c -F "fail $* |" "$results")
	first=$(grep -m 1 -F "fail $* |" "$results" | sed 's/^[^|]*| //')
	echo "$n $first"
}

# rotated REP: the libraries, starting one further along at every
# repetition, so that none always runs right after another.
rotated() {
	local k=$((($1 - 1) % ${#LIBS[@]}))
	echo "${LIBS[@]:k}" "${LIBS[@]:0:k}"
}

results=$tmp/results
: >"$results"
start=$SECONDS

for size in "${SIZES[@]}"; do
	for rep in $(seq "$REPS"); do
		for lib in $(rotated "$rep"); do
			count=${COUNT_OF[$lib $size]}
			if pair "$lib" recv send "$count" "$size"; then
				rate=$(field msgs_per_s "$srv_line") cpu=$(field cpu_ns_per_msg "$srv_line")
				if [[ -n $rate ]]; then
					echo "thr $size $lib $rate" >>"$results"
					echo "rcpu $size $lib $cpu" >>"$results"
				else
					why="no result line: $srv_line"
				fi
			fi
			[[ -n $why ]] && echo "fail thr $size $lib | $why" >>"$results"
			printf '  %-6s %-9s rep %d, %d msgs: %s\n' "$size" "$lib" "$rep" "$count" "${why:-$srv_line}" >&2
		done
	done
done

if ((LAT_COUNT > 0)); then
	for rep in $(seq "$REPS"); do
		for lib in $(rotated "$rep"); do
			if pair "$lib" rep req "$LAT_COUNT" 16; then
				p50=$(field rtt_us_p50 "$cli_line") p99=$(field rtt_us_p99 "$cli_line")
				if [[ -n $p50 && -n $p99 ]]; then
					echo "p50 16 $lib $p50" >>"$results"
					echo "p99 16 $lib $p99" >>"$results"
				else
					why="no result line: $cli_line"
				fi
			fi
			[[ -n $why ]] && echo "fail lat 16 $lib | $why" >>"$results"
			printf '  lat    %-9s rep %d: %s\n' "$lib" "$rep" "${why:-$cli_line}" >&2
		done
	done
fi

# md_escape TEXT: TEXT fit for a table cell.
md_escape() { sed 's/|/\\|/g; s/[[:space:]]*$//' <<<"$1" | cut -c 1-200; }

echo "## PUSH->PULL throughput, tcp://127.0.0.1, sender and receiver of the same library"
echo
echo "REPS=$REPS runs per size and library; msg/s as the receiver measured it, first to last message." \
	"Ratio: the median against C's median. CPU: the receiving process's CPU time per message" \
	"(all its threads, user+system; median), less sensitive than msg/s to other load on the machine."
echo
echo "| size B | library | median msg/s | min | max | median MB/s | ratio vs C | receiver CPU ns/msg | runs ok |"
echo "|---:|---|---:|---:|---:|---:|---:|---:|---:|"
for size in "${SIZES[@]}"; do
	read -r base _ _ nbase <<<"$(stats thr "$size" "${LIBS[0]}")"
	for lib in "${LIBS[@]}"; do
		read -r med lo hi n <<<"$(stats thr "$size" "$lib")"
		read -r cpu _ _ _ <<<"$(stats rcpu "$size" "$lib")"
		read -r nfail first <<<"$(failures thr "$size" "$lib")"
		if ((n == 0)); then
			echo "| $size | $lib | failed: $(md_escape "$first") | | | | | | 0/$REPS |"
			continue
		fi
		awk -v s="$size" -v l="$lib" -v m="$med" -v lo="$lo" -v hi="$hi" -v b="$base" -v nb="$nbase" \
			-v c="$cpu" -v ok="$n/$((n + nfail))" 'BEGIN {
			r = (nb > 0 && b > 0) ? sprintf("%.2f", m / b) : "n/a"
			printf "| %d | %s | %.0f | %.0f | %.0f | %.1f | %s | %.0f | %s |\n", s, l, m, lo, hi, m * s / 1e6, r, c, ok
		}'
		if ((nfail > 0)); then
			echo "| $size | $lib | $nfail failed: $(md_escape "$first") | | | | | | |"
		fi
	done
done

if ((LAT_COUNT > 0)); then
	echo
	echo "## REQ->REP round trip, 16 bytes, client and server of the same library"
	echo
	echo "$LAT_COUNT round trips per run, REPS=$REPS runs per library; p50 and p99 of each run in µs," \
		"median over the runs (p50 also min and max). Ratio: against C's median."
	echo
	echo "| library | median p50 µs | min p50 | max p50 | median p99 µs | p50 ratio vs C | p99 ratio vs C | runs ok |"
	echo "|---|---:|---:|---:|---:|---:|---:|---:|"
	read -r b50 _ _ nb <<<"$(stats p50 16 "${LIBS[0]}")"
	read -r b99 _ _ _ <<<"$(stats p99 16 "${LIBS[0]}")"
	for lib in "${LIBS[@]}"; do
		read -r med lo hi n <<<"$(stats p50 16 "$lib")"
		read -r m99 _ _ _ <<<"$(stats p99 16 "$lib")"
		read -r nfail first <<<"$(failures lat 16 "$lib")"
		if ((n == 0)); then
			echo "| $lib | failed: $(md_escape "$first") | | | | | | 0/$REPS |"
			continue
		fi
		awk -v l="$lib" -v m="$med" -v lo="$lo" -v hi="$hi" -v m99="$m99" -v b50="$b50" -v b99="$b99" \
			-v nb="$nb" -v ok="$n/$((n + nfail))" 'BEGIN {
			r50 = (nb > 0 && b50 > 0) ? sprintf("%.2f", m / b50) : "n/a"
			r99 = (nb > 0 && b99 > 0) ? sprintf("%.2f", m99 / b99) : "n/a"
			printf "| %s | %.1f | %.1f | %.1f | %.1f | %s | %s | %s |\n", l, m, lo, hi, m99, r50, r99, ok
		}'
		if ((nfail > 0)); then
			echo "| $lib | $nfail failed: $(md_escape "$first") | | | | | | |"
		fi
	done
fi

versions=$(cd "$here" && go list -m -f '{{.Path}} {{.Version}}' github.com/pebbe/zmq4 github.com/go-zeromq/zmq4 | tr '\n' ';' | sed 's/;$//; s/;/; /g')
echo
echo "$(go version | cut -d' ' -f3); libzmq $(pkg-config --modversion libzmq); $versions;" \
	"$(nproc) CPUs; load average now $(cut -d' ' -f1-3 /proc/loadavg); total $((SECONDS - start)) s;" \
	"commit $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$root" diff --quiet HEAD -- '*.go' '*.h' 2>/dev/null || echo ' + local changes');" \
	"command: \`$command\`"
