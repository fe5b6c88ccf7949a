#!/usr/bin/env bash
# bootstrap.sh: make a Debian 12 machine ready to build and test this module.
#
# It checks for what the build and the tests need and, when something is
# missing, installs it with apt-get (as root) or says in one line what to
# install (as any other user, then exits 1). When everything is present it
# prints nothing and exits 0 in a few tens of milliseconds: `make demo` and
# `make test` run it every time. It is idempotent.
#
# Checked (Debian package in brackets):
#   pkg-config command                                  [pkg-config]
#   libzmq headers: pkg-config --exists libzmq          [libzmq3-dev]
#   gcc and the C library headers (cgo)                 [gcc, libc6-dev]
#   make                                                [make]
#   /usr/bin/python3 (the SYSTEM interpreter, not the python3 first on PATH)
#   can import the interop peers:
#     zmq                                               [python3-zmq]
#     twisted                                           [python3-twisted]
#     txzmq                                             [python3-txzmq]
#   java and javac (the JeroMQ interop peer is compiled by the tests)
#                                                       [default-jdk-headless]
#   JeroMQ 0.3.6, a second ZeroMQ implementation (ZMTP 2.0) for interop
#   tests: /usr/share/java/jeromq-0.3.6.jar              [libjeromq-java]
#   ip, optional (network-namespace tests skip without it) [iproute2]
#   go on PATH (Go is not installed by apt here: install it by hand)
#
# Test hooks (environment variables, for testing this script only):
#   BOOTSTRAP_FORCE_MISSING="pkg ..."  pretend these Debian packages are
#                                      missing (space- or comma-separated);
#                                      used by the first check only, not by
#                                      the re-check after an install.
#   BOOTSTRAP_NOT_ROOT=1               behave as if not running as root.
#   BOOTSTRAP_DRY_RUN=1                as root, print the apt-get commands to
#                                      stderr instead of running them.
# e.g.  BOOTSTRAP_NOT_ROOT=1 BOOTSTRAP_FORCE_MISSING=python3-foo scripts/bootstrap.sh
set -euo pipefail

have() { command -v "$1" >/dev/null 2>&1; }

missing=()   # required Debian packages that are not installed
optional=()  # optional Debian packages that are not installed

add_missing() {
	local p q
	for p in "$@"; do
		for q in ${missing[@]+"${missing[@]}"}; do
			[[ $q == "$p" ]] && continue 2
		done
		missing+=("$p")
	done
}

check() {
	missing=()
	optional=()

	have pkg-config || add_missing pkg-config
	if have pkg-config; then
		pkg-config --exists libzmq || add_missing libzmq3-dev
	elif [[ ! -e /usr/include/zmq.h ]]; then
		add_missing libzmq3-dev
	fi

	have gcc || add_missing gcc
	[[ -e /usr/include/stdlib.h ]] || add_missing libc6-dev
	have make || add_missing make

	# The interop peers must be importable by the system interpreter, which
	# is the one that has Debian's python3-* packages. zmq and twisted are
	# imported for real (cheap); txzmq is only located, since importing it
	# loads Twisted's reactor and costs ~0.4 s.
	if [[ -x /usr/bin/python3 ]]; then
		local out
		if out=$(/usr/bin/python3 - 2>/dev/null <<-'EOF'
			import importlib, importlib.util
			for mod, pkg in (("zmq", "python3-zmq"), ("twisted", "python3-twisted")):
			    try:
			        importlib.import_module(mod)
			    except Exception:
			        print(pkg)
			if importlib.util.find_spec("txzmq") is None:
			    print("python3-txzmq")
		EOF
		); then
			# shellcheck disable=SC2086 # one package name per line
			[[ -z $out ]] || add_missing $out
		else
			add_missing python3-zmq python3-twisted python3-txzmq
		fi
	else
		add_missing python3-zmq python3-twisted python3-txzmq
	fi

	{ have java && have javac; } || add_missing default-jdk-headless
	[[ -e /usr/share/java/jeromq-0.3.6.jar ]] || add_missing libjeromq-java

	if ! have ip && [[ ! -x /usr/sbin/ip && ! -x /sbin/ip ]]; then
		optional+=(iproute2)
	fi
}

check
if [[ -n ${BOOTSTRAP_FORCE_MISSING:-} ]]; then
	# shellcheck disable=SC2086 # word splitting wanted
	add_missing ${BOOTSTRAP_FORCE_MISSING//,/ }
fi

if ((${#missing[@]} + ${#optional[@]} > 0)); then
	pkgs=(${missing[@]+"${missing[@]}"} ${optional[@]+"${optional[@]}"})
	is_root=0
	[[ $(id -u) == 0 && ${BOOTSTRAP_NOT_ROOT:-} != 1 ]] && is_root=1

	if ((is_root)); then
		echo "bootstrap: installing ${pkgs[*]} with apt-get" >&2
		if [[ ${BOOTSTRAP_DRY_RUN:-} == 1 ]]; then
			echo "bootstrap: dry run: apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ${pkgs[*]}" >&2
		else
			log=$(mktemp "${TMPDIR:-/tmp}/bootstrap-apt.XXXXXX")
			if ! { apt-get update -qq &&
				DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${pkgs[@]}"; } </dev/null >"$log" 2>&1; then
				if ((${#missing[@]} > 0)); then
					cat "$log" >&2
					rm -f "$log"
					echo "bootstrap: apt-get install ${pkgs[*]} failed (output above)" >&2
					exit 1
				fi
				echo "bootstrap: could not install optional ${optional[*]}; tests that need it will skip" >&2
			fi
			rm -f "$log"
			check
			if ((${#missing[@]} > 0)); then
				echo "bootstrap: still missing ${missing[*]} after apt-get install" >&2
				exit 1
			fi
		fi
	elif ((${#missing[@]} > 0)); then
		opt=""
		((${#optional[@]} > 0)) && opt=" (optional: ${optional[*]})"
		echo "bootstrap: missing ${missing[*]}$opt; install them with: sudo apt-get install ${pkgs[*]}" >&2
		exit 1
	else
		# Only optional packages are missing: go on, but say so once.
		echo "bootstrap: optional ${optional[*]} not installed (tests that need ip will skip); install with: sudo apt-get install ${optional[*]}" >&2
	fi
fi

if ! have go; then
	if [[ -x /usr/local/go/bin/go ]]; then
		echo "bootstrap: go is not on PATH; add it with: export PATH=/usr/local/go/bin:\$PATH" >&2
	else
		echo "bootstrap: go is not on PATH; install Go (see the go line in go.mod) by hand, apt does not provide it here" >&2
	fi
	exit 1
fi
