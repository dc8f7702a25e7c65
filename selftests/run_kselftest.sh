#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Run kselftest programs and print TAP, the way kselftest's runner does:
# each program's own TAP is nested under "# ", followed by one
# "ok N selftests: kqueue: NAME" line.  Ends with a count of the test
# cases inside the programs ("kselftest: P passed, F failed, S skipped")
# and exits non-zero when anything failed.
#
#   run_kselftest.sh PROG...        (KSFT_TIMEOUT: seconds per program)

timeout_s=${KSFT_TIMEOUT:-600}
n=0
total=$#
prog_fail=0
pass=0
fail=0
skip=0
tmp=$(mktemp) || exit 1
trap 'rm -f "$tmp"' EXIT INT TERM

echo "TAP version 13"
echo "1..$total"
for t in "$@"; do
	n=$((n + 1))
	name=$(basename "$t")
	echo "# selftests: kqueue: $name"
	if [ ! -x "$t" ]; then
		echo "not ok $n selftests: kqueue: $name # missing binary $t"
		prog_fail=$((prog_fail + 1))
		fail=$((fail + 1))
		continue
	fi
	if command -v timeout >/dev/null 2>&1; then
		timeout -k 10 "$timeout_s" "$t" >"$tmp" 2>&1
	else
		"$t" >"$tmp" 2>&1
	fi
	rc=$?
	sed 's/^/# /' "$tmp"
	p=$(grep -Ec '^ok [0-9]+ ' "$tmp")
	s=$(grep -Ec '^ok [0-9]+ .*# *SKIP' "$tmp")
	f=$(grep -Ec '^not ok [0-9]+ ' "$tmp")
	pass=$((pass + p - s))
	skip=$((skip + s))
	fail=$((fail + f))
	if [ "$rc" -eq 0 ]; then
		echo "ok $n selftests: kqueue: $name"
	elif [ "$rc" -eq 4 ]; then
		echo "ok $n selftests: kqueue: $name # SKIP"
	else
		if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ] || [ "$rc" -eq 143 ]; then
			echo "# $name: killed after ${timeout_s}s"
		fi
		echo "not ok $n selftests: kqueue: $name # exit=$rc"
		prog_fail=$((prog_fail + 1))
		# A program that died without reporting a failed case still
		# counts as one failure.
		[ "$f" -eq 0 ] && fail=$((fail + 1))
	fi
done
echo "# programs: $((total - prog_fail)) ok, $prog_fail not ok"
echo "kselftest: $pass passed, $fail failed, $skip skipped"
[ "$prog_fail" -eq 0 ] && [ "$fail" -eq 0 ]
