#!/bin/bash
# Integration: the parser-agreement harness (tests/agree/README.md), short run.
#  - the RFC 4475 messages, then 1000 seeded mutated requests, sent to the
#    real Kamailio (sanity_check("1511", "7"), one UDP worker, in a namespace
#    of its own) and read offline by sipwarden's parser (agree-read)
#  - no request Kamailio accepts is passed by sipwarden with another reading
#    of a judged field (method, every User-Agent, From/To user and domain,
#    Call-ID, CSeq, digest username and realm of each credentials header);
#    each false drop is reported by check and falls in a class that
#    doc/agreement.md explains (none "unexplained")
#  - the counts are those of a deterministic generator: seed 1 gives the same
#    requests on every run, so a change in them is a change in a parser
# The long run (10^6 requests) is bench/agreement.sh; results in doc/agreement.md.
set -euo pipefail

: "${SIPWARDEN_SRC:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${SIPWARDEN_BUILD:=$SIPWARDEN_SRC/build}"
: "${LAB_PREFIX:=swa}"
: "${LAB_RUN:=$SIPWARDEN_BUILD/agreement-run}"
export SIPWARDEN_SRC SIPWARDEN_BUILD LAB_PREFIX LAB_RUN
# shellcheck source=SCRIPTDIR/../lab/lab.sh
. "$SIPWARDEN_SRC/tests/lab/lab.sh"
lab_require_tools ip kamailio python3 timeout
[ -x "$SIPWARDEN_BUILD/tests/agree-read" ] || lab_fail "no agree-read (build first)"

RUN=$SIPWARDEN_SRC/tests/agree/run.sh
SEED=${AGREE_SEED:-1}
COUNT=${AGREE_COUNT:-1000}
mkdir -p "$LAB_RUN"

# report.json field: jq-less
field() { python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["counts"].get(sys.argv[2], 0))' "$1" "$2"; }
# false drops in no documented class
unexplained() { python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(sum(v for k, v in r["false_drop_classes"].items() if k.endswith("/unexplained")))' "$1"; }

check_rfc4475() {
	AGREE_DIR=$LAB_RUN/rfc4475 AGREE_TIMEOUT=120 "$RUN" files "$SIPWARDEN_SRC"/tests/unit/data/rfc4475/*.dat
	local r=$LAB_RUN/rfc4475/report.json
	[ "$(field "$r" disagree)" = 0 ] && [ "$(field "$r" missing)" = 0 ] || return 1
	# what doc/rfc4475.md says Kamailio does with them: 20 read alike
	[ "$(field "$r" agree)" -ge 20 ] || { echo "agree $(field "$r" agree) < 20"; return 1; }
}
lab_check "RFC 4475: no message read differently by Kamailio and sipwarden" check_rfc4475

check_generated() {
	AGREE_DIR=$LAB_RUN/generated AGREE_TIMEOUT=300 "$RUN" gen "$SEED" "$COUNT"
	local r=$LAB_RUN/generated/report.json
	cat "$r"
	[ "$(field "$r" missing)" = 0 ] || { echo "requests without a Kamailio verdict"; return 1; }
	[ "$(field "$r" disagree)" = 0 ] || { echo "disagreements: evasions"; return 1; }
	[ "$(unexplained "$r")" = 0 ] || { echo "false drops in no documented class"; return 1; }
	# enough requests were read alike for the comparison to mean something
	[ "$(field "$r" agree)" -ge $((COUNT / 10)) ] || { echo "too few agreements"; return 1; }
}
lab_check "$COUNT generated requests (seed $SEED): zero disagreements, false drops counted" check_generated
sed -n 's/^/    /p' "$LAB_RUN/out/${COUNT}_generated_requests__seed_${SEED}___zero_disagreements__false_drops_counted.out" 2>/dev/null |
	grep -E "agree:|false drop|disagreement" || true

lab_summary
