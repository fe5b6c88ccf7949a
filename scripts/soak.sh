#!/usr/bin/env bash
# soak.sh: the soak tier of the reliability tests. Opt-in, run by
# `make soak`; nothing in `make test` or CI calls it. Rows, in this order:
#
#   sequence  TestPushPullKeepsOrderAcrossConsumerStalls (PUSH->PULL,
#          sequence numbers, HWM 100, consumer stalls) with
#          ZMQX_SOAK_SEQUENCE_MSGS messages per transport
#   restart   TestPushRecoversFromAKilledAndRestartedPull (the PULL in a
#          child killed with SIGKILL and restarted) with
#          ZMQX_SOAK_RESTART_CYCLES cycles per variant
#   fuzz   every Fuzz* target of the packages in FUZZ_PKGS, FUZZTIME each,
#          one after the other (go test -fuzz takes one target at a time)
#   leaks  TestSoakChurnLeaks (factory and socket churn of every type) in a
#          test binary built with -asan: LeakSanitizer reports at exit any C
#          memory, libzmq's or ours, that nothing references any more
#
# Each row prints one summary line (per transport, variant or target) with
# its figure; the full output of each row goes to SOAK_LOG_DIR. The exit
# status is 1 if any row failed. A fuzz failure leaves its input in
# testdata/fuzz/<target>/ (go test's usual place), which makes it a
# regression test of plain `go test`.
#
# Knobs (environment variables):
#   ZMQX_SOAK_SEQUENCE_MSGS   sequence messages per transport (default 50000000)
#   ZMQX_SOAK_RESTART_CYCLES  kill/restart cycles per variant  (default 200)
#   FUZZTIME                time per fuzz target, a Go duration (e.g. 90s);
#                           default: FUZZ_TOTAL split evenly over the targets
#   FUZZ_TOTAL              total fuzzing time when FUZZTIME is unset, in
#                           seconds                          (default 600)
#   FUZZ_TARGETS            regexp choosing the fuzz targets  (default: all)
#   FUZZ_PKGS               packages with fuzz targets (default: the root
#                           package, internal/zmtp, internal/zmtp/curve,
#                           internal/z85)
#   FUZZ_PARALLEL           fuzz worker processes  (default: go's, GOMAXPROCS)
#   ZMQX_SOAK_CHURN_ROUNDS  churn rounds under -asan          (default 1000)
#   SOAK_ROWS               rows to run, any of "sequence restart fuzz leaks"
#                           (default all)
#   SOAK_LOG_DIR            where each row's full output goes (default: a new
#                           directory under ${TMPDIR:-/tmp})
#   GO                      the go command                   (default go)
#   GOFLAGS                 passed to every go command as usual
#
# With the defaults it takes about 20 minutes on 2 cores: sequence 4 to 6 (3
# transports at 400-850 k msg/s), restart about 2, fuzzing 10 and a few seconds
# of builds, leaks under a minute (plus about one for the first -asan build).
# A quick end-to-end check:
#   ZMQX_SOAK_SEQUENCE_MSGS=2000000 ZMQX_SOAK_RESTART_CYCLES=20 FUZZTIME=20s scripts/soak.sh
set -uo pipefail

GO=${GO:-go}
cd "$(dirname "$0")/.."

export ZMQX_SOAK_SEQUENCE_MSGS=${ZMQX_SOAK_SEQUENCE_MSGS:-50000000}
export ZMQX_SOAK_RESTART_CYCLES=${ZMQX_SOAK_RESTART_CYCLES:-200}
export ZMQX_SOAK_CHURN_ROUNDS=${ZMQX_SOAK_CHURN_ROUNDS:-1000}
FUZZ_TOTAL=${FUZZ_TOTAL:-600}
FUZZ_TARGETS=${FUZZ_TARGETS:-.}
SOAK_ROWS=${SOAK_ROWS:-sequence restart fuzz leaks}
# libpgm (epgm tests) warns on stderr about the loopback interface.
export PGM_MIN_LOG_LEVEL=${PGM_MIN_LOG_LEVEL:-ERROR}

for v in ZMQX_SOAK_SEQUENCE_MSGS ZMQX_SOAK_RESTART_CYCLES ZMQX_SOAK_CHURN_ROUNDS FUZZ_TOTAL; do
	if ! [[ ${!v} =~ ^[1-9][0-9]*$ ]]; then
		echo "soak: $v=${!v}: want a positive integer" >&2
		exit 2
	fi
done

LOG_DIR=${SOAK_LOG_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/zmqx-soak.XXXXXX")}
mkdir -p "$LOG_DIR"
failed=0
start_all=$SECONDS

# row NAME STATUS FIGURE: one summary line.
row() {
	printf 'soak  %-28s %-4s  %s\n' "$1" "$2" "$3"
	[[ $2 == PASS ]] || failed=1
}

want() { [[ " $SOAK_ROWS " == *" $1 "* ]]; }

# subtest_status LOG TEST/SUB: PASS, or FAIL (failed or did not finish).
subtest_status() {
	if grep -q -- "--- PASS: $2 " "$1"; then
		echo PASS
	else
		echo FAIL
	fi
}

# first_error LOG: the first line of a go test log that looks like a
# failure, shortened, and where the whole log is.
first_error() {
	local e
	e=$(grep -m1 -E 'panic:|timed out|--- FAIL|_test\.go:[0-9]+: .*(want|lost|stall|fail|error|did not|never)' "$1" |
		sed -E 's/^\s+//' | cut -c1-140)
	echo "${e:-no failure message}; log $1"
}

echo "soak: logs in $LOG_DIR"

if want sequence; then
	log=$LOG_DIR/sequence.log
	t0=$SECONDS
	# 3 transports, the slowest at about 150 k msg/s on a loaded machine.
	timeout=$((600 + ZMQX_SOAK_SEQUENCE_MSGS * 3 / 100000))s
	$GO test -tags zmqwatchdog -count=1 -timeout "$timeout" -run '^TestPushPullKeepsOrderAcrossConsumerStalls$' -v . >"$log" 2>&1
	rc=$?
	for tr in inproc ipc tcp; do
		line=$(grep -oE "$tr: [0-9]+ × 64 B.*" "$log" | head -1)
		status=$(subtest_status "$log" "TestPushPullKeepsOrderAcrossConsumerStalls/$tr")
		((rc == 0)) || [[ $status == FAIL ]] || status=FAIL
		if [[ -n $line ]]; then
			# "tcp: N × 64 B, ...: 0 lost, 0 duplicated, 0 out of order, 0 malformed; X k msg/s overall, ..."
			counts=$(sed -E 's/^[^:]*: [^:]*: ([^;]*);.*/\1/' <<<"$line")
			rate=$(grep -oE '[0-9]+ k msg/s overall' <<<"$line")
			waits=$(grep -oE 'waited at the HWM [0-9]+ times' <<<"$line")
			row "sequence/$tr" "$status" "$ZMQX_SOAK_SEQUENCE_MSGS msgs: $counts; $rate; sender $waits"
		else
			row "sequence/$tr" FAIL "no result ($(first_error "$log"))"
		fi
	done
	echo "soak: sequence took $((SECONDS - t0)) s"
fi

if want restart; then
	log=$LOG_DIR/restart.log
	t0=$SECONDS
	timeout=$((600 + ZMQX_SOAK_RESTART_CYCLES * 9))s
	$GO test -tags zmqwatchdog -count=1 -timeout "$timeout" -run '^TestPushRecoversFromAKilledAndRestartedPull$' -v . >"$log" 2>&1
	rc=$?
	for v in ipc tcp ipc-ivl-max-500ms; do
		line=$(grep -o "$v: [0-9]* kill .*" "$log" | head -1)
		status=$(subtest_status "$log" "TestPushRecoversFromAKilledAndRestartedPull/$v")
		((rc == 0)) || [[ $status == FAIL ]] || status=FAIL
		if [[ -n $line ]]; then
			recovery=$(grep -oE 'p50 [0-9.]+m?s, max [0-9.]+m?s' <<<"$line" | head -1)
			dups=$(grep -oE '[0-9]+ duplicates' <<<"$line")
			lost=$(grep -oE 'per kill p50 [0-9]+, max [0-9]+' <<<"$line")
			row "restart/$v" "$status" "$ZMQX_SOAK_RESTART_CYCLES cycles: recovery $recovery; $dups; lost $lost"
		else
			row "restart/$v" FAIL "no result ($(first_error "$log"))"
		fi
	done
	echo "soak: restart took $((SECONDS - t0)) s"
fi

if want fuzz; then
	t0=$SECONDS
	# Each target as "package target".
	targets=()
	for pkg in ${FUZZ_PKGS:-. ./internal/zmtp ./internal/zmtp/curve ./internal/z85}; do
		while read -r tg; do
			targets+=("$pkg $tg")
		done < <($GO test -list '^Fuzz' "$pkg" 2>>"$LOG_DIR/fuzz-list.log" | grep -E '^Fuzz' | grep -E -- "$FUZZ_TARGETS")
	done
	if ((${#targets[@]} == 0)); then
		row fuzz FAIL "no fuzz targets found (see $LOG_DIR/fuzz-list.log)"
	fi
	fuzztime=${FUZZTIME:-}
	if [[ -z $fuzztime && ${#targets[@]} -gt 0 ]]; then
		fuzztime=$((FUZZ_TOTAL / ${#targets[@]}))s
	fi
	par=()
	[[ -n ${FUZZ_PARALLEL:-} ]] && par=(-parallel "$FUZZ_PARALLEL")
	for entry in "${targets[@]}"; do
		pkg=${entry% *} tg=${entry#* }
		log=$LOG_DIR/fuzz-$tg.log
		$GO test -run '^$' -fuzz "^$tg\$" -fuzztime "$fuzztime" "${par[@]}" "$pkg" >"$log" 2>&1
		rc=$?
		last=$(grep -E '^fuzz: elapsed: .*execs' "$log" | tail -1)
		execs=$(sed -E 's/.*execs: ([0-9]+).*/\1/' <<<"$last")
		corpus=$(sed -E 's/.*\(total: ([0-9]+)\).*/\1/' <<<"$last")
		input=$(grep -oE 'testdata/fuzz/[^ ]+' "$log" | head -1)
		why=$(grep -m1 -E '^\s+[a-z_]+_test\.go:[0-9]+: |panic:' "$log" | sed -E 's/^\s+//' | cut -c1-120)
		if ((rc == 0)); then
			row "fuzz/$tg" PASS "$fuzztime: ${execs:-0} execs, corpus ${corpus:-?}, no failure"
		elif [[ -z $input && -z $why ]] && grep -qE '^\s+context deadline exceeded$' "$log"; then
			# Go 1.26's fuzz coordinator can report its own -fuzztime
			# deadline as a failure (go.dev/issue/75804, fixed in Go 1.27):
			# no failing input, no test message.
			row "fuzz/$tg" PASS "$fuzztime: ${execs:-0} execs, corpus ${corpus:-?}, no failure (go#75804 deadline report ignored)"
		else
			when="after ${execs} execs"
			[[ -n $execs ]] || when="in the seed corpus or the cached corpus"
			row "fuzz/$tg" FAIL "$when: ${why:-see $log}${input:+; input $input}"
		fi
	done
	echo "soak: fuzzing took $((SECONDS - t0)) s"
fi

if want leaks; then
	log=$LOG_DIR/leaks.log
	t0=$SECONDS
	# -asan and -race cannot be combined. detect_leaks=1 comes last so that
	# it wins over an inherited ASAN_OPTIONS. The leaks looked for are C's:
	# the libzmq engine's.
	ZMQ_ENGINE=libzmq ZMQX_SOAK=1 ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=1" \
		$GO test -asan -count=1 -timeout 30m -run '^TestSoakChurnLeaks$' -v . >"$log" 2>&1
	rc=$?
	churn=$(grep -oE 'churn: [0-9]+ rounds.*' "$log" | head -1)
	if grep -q 'LeakSanitizer' "$log"; then
		summary=$(grep -m1 -E 'SUMMARY: AddressSanitizer: [0-9]+ byte' "$log" | sed 's/^SUMMARY: AddressSanitizer: //')
		row leaks FAIL "LeakSanitizer: ${summary:-leaks reported} (see $log)"
	elif grep -q 'ERROR: AddressSanitizer' "$log"; then
		row leaks FAIL "AddressSanitizer: $(grep -m1 'ERROR: AddressSanitizer' "$log" | cut -c1-120)"
	elif ((rc != 0)) || [[ -z $churn ]]; then
		row leaks FAIL "go test -asan exited $rc ($(first_error "$log"))"
	else
		row leaks PASS "-asan: $churn; LeakSanitizer found no leak"
	fi
	echo "soak: leaks took $((SECONDS - t0)) s"
fi

echo "soak: $((SECONDS - start_all)) s in all; logs in $LOG_DIR"
if ((failed)); then
	echo "soak: FAILED" >&2
	exit 1
fi
echo "soak: all rows passed"
