#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The parser-agreement harness, end to end (tests/agree/README.md):
#   tests/agree/run.sh gen SEED COUNT      generated requests
#   tests/agree/run.sh files FILE...       given messages (e.g. the RFC 4475 corpus)
# Kamailio (kamailio-agree.cfg) runs in a network namespace of its own,
# ${LAB_PREFIX}-agr, with nothing but loopback; the requests are sent to it
# there and read offline by agree-read; agree.py compares the two readings.
# Output in $AGREE_DIR (default $LAB_RUN/agree): reqs.bin, kamailio.log,
# sipwarden.txt, report.json. Exit status 0 when there is no disagreement.
set -euo pipefail

: "${SIPWARDEN_SRC:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${SIPWARDEN_BUILD:=$SIPWARDEN_SRC/build}"
: "${LAB_PREFIX:=swl}"
: "${LAB_RUN:=$SIPWARDEN_SRC/tests/lab/run}"
export SIPWARDEN_SRC SIPWARDEN_BUILD LAB_PREFIX LAB_RUN
# shellcheck source=SCRIPTDIR/../lab/lab.sh
. "$SIPWARDEN_SRC/tests/lab/lab.sh"

AGREE_DIR=${AGREE_DIR:-$LAB_RUN/agree}
NS=$LAB_PREFIX-agr
PY=$SIPWARDEN_SRC/tests/agree/agree.py
READ=$SIPWARDEN_BUILD/tests/agree-read
CFG=$SIPWARDEN_SRC/tests/agree/kamailio-agree.cfg
: "${AGREE_TIMEOUT:=3600}"   # seconds the sender may take, at most

[ -x "$READ" ] || lab_fail "no $READ (build first)"
lab_require_tools ip kamailio python3 timeout
mkdir -p "$AGREE_DIR"

cleanup() {
	LAB_RUN=$AGREE_DIR lab_pid_stop agree-kamailio 10
	ip netns del "$NS" 2>/dev/null || true
}
trap cleanup EXIT

case ${1:-} in
gen) python3 "$PY" gen --seed "$2" --count "$3" --out "$AGREE_DIR/reqs.bin" ;;
files) shift; python3 "$PY" pack --out "$AGREE_DIR/reqs.bin" "$@" ;;
*) lab_fail "usage: run.sh gen SEED COUNT | files FILE..." ;;
esac

# sipwarden's reading, offline
"$READ" "$AGREE_DIR/reqs.bin" >"$AGREE_DIR/sipwarden.txt"

# Kamailio's, live
ip netns del "$NS" 2>/dev/null || true
ip netns add "$NS"
ip netns exec "$NS" ip link set lo up
kamailio -c -f "$CFG" >"$AGREE_DIR/kamailio-check.log" 2>&1 ||
	{ tail -n 20 "$AGREE_DIR/kamailio-check.log" >&2; lab_fail "kamailio-agree.cfg does not parse"; }
mkdir -p "$AGREE_DIR/kamailio"
(exec ip netns exec "$NS" kamailio -f "$CFG" -DD -E -x tlsf -X tlsf -m 64 -M 8 \
	-Y "$AGREE_DIR/kamailio" -w "$AGREE_DIR/kamailio" >"$AGREE_DIR/kamailio.log" 2>&1) &
LAB_RUN=$AGREE_DIR lab_pid_record agree-kamailio $!
lab_wait_for "ip netns exec $NS ss -Hnul | grep -q '127.0.0.1:5060 '" 10 ||
	{ tail -n 20 "$AGREE_DIR/kamailio.log" >&2; lab_fail "Kamailio did not start"; }
timeout $((AGREE_TIMEOUT + 30)) ip netns exec "$NS" python3 "$PY" send --in "$AGREE_DIR/reqs.bin" \
	--timeout "$AGREE_TIMEOUT"
LAB_RUN=$AGREE_DIR lab_pid_stop agree-kamailio 10

python3 "$PY" compare --in "$AGREE_DIR/reqs.bin" --sw "$AGREE_DIR/sipwarden.txt" \
	--log "$AGREE_DIR/kamailio.log" --json "$AGREE_DIR/report.json" --per-request "$AGREE_DIR/per-request.txt" --show "${AGREE_SHOW:-0}"
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); sys.exit(1 if r["counts"].get("disagree",0) or r["counts"].get("missing",0) else 0)' \
	"$AGREE_DIR/report.json"
