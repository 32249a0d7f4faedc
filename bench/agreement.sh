#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The parser-agreement harness, long run (tests/agree/README.md): TOTAL
# seeded requests (default 10^6) in chunks of CHUNK, each chunk sent to the
# real Kamailio and read by sipwarden's parser, the counts summed into one
# report. Chunk i uses seed SEED*1000+i, so a run is reproduced exactly by
# its seed. Results go to doc/agreement.md by hand.
#
#   bench/agreement.sh [SEED] [TOTAL] [CHUNK]     (as root; ~10 min per 10^6)
#
# AGREE_UNTIL (a date(1) time, e.g. "20:50 UTC") bounds the run: no chunk is
# started after it, and the summary counts the requests actually compared.
#
# Output: $LAB_RUN/agree-long/summary.json and a summary on stdout; exit 1
# when any request was read differently (a disagreement) or went missing.
set -euo pipefail

: "${SIPWARDEN_SRC:=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
: "${SIPWARDEN_BUILD:=$SIPWARDEN_SRC/build}"
: "${LAB_PREFIX:=swb}"
: "${LAB_RUN:=$SIPWARDEN_BUILD/agreement-long}"
export SIPWARDEN_SRC SIPWARDEN_BUILD LAB_PREFIX LAB_RUN

SEED=${1:-1}
TOTAL=${2:-1000000}
CHUNK=${3:-100000}
OUT=$LAB_RUN/agree-long
mkdir -p "$OUT"
rm -f "$OUT"/chunk-*.json

n=0
i=0
until_s=$( [ -n "${AGREE_UNTIL:-}" ] && date -d "$AGREE_UNTIL" +%s || echo 0)
while ((n < TOTAL)); do
	if ((until_s && $(date +%s) >= until_s)); then
		echo "agreement: AGREE_UNTIL reached after $n requests" >&2
		break
	fi
	c=$((TOTAL - n < CHUNK ? TOTAL - n : CHUNK))
	AGREE_DIR=$OUT/chunk AGREE_TIMEOUT=3600 \
		"$SIPWARDEN_SRC/tests/agree/run.sh" gen $((SEED * 1000 + i)) "$c" || true
	cp "$OUT/chunk/report.json" "$OUT/chunk-$i.json"
	n=$((n + c))
	i=$((i + 1))
done
rm -rf "$OUT/chunk"

python3 - "$OUT" "$SEED" <<'PY'
import collections, glob, json, sys
out, seed = sys.argv[1], sys.argv[2]
tot = collections.Counter(); fd = collections.Counter(); dis = collections.Counter(); n = 0
cls = collections.Counter()
for f in sorted(glob.glob(out + "/chunk-*.json")):
    r = json.load(open(f))
    n += r["requests"]
    tot.update(r["counts"]); fd.update(r["false_drops_by_check"]); dis.update(r["disagreements_by_field"])
    cls.update(r.get("false_drop_classes", {}))
s = {"seed": int(seed), "requests": n, "counts": dict(tot), "false_drops_by_check": dict(fd),
     "false_drop_classes": dict(cls), "disagreements_by_field": dict(dis)}
json.dump(s, open(out + "/summary.json", "w"), indent=1, sort_keys=True)
print(f"agreement (seed {seed}): {n} requests")
for k in ("agree", "disagree", "false_drop", "both_reject", "sw_only_pass",
          "sw_only_pass_kamailio-sanity", "sw_only_pass_kamailio-unparsed", "missing"):
    print(f"  {k}: {tot.get(k, 0)}")
for k, v in sorted(fd.items(), key=lambda x: -x[1]):
    print(f"  false drop {k}: {v}")
for k, v in sorted(cls.items()):
    print(f"  false drop class {k}: {v}")
for k, v in sorted(dis.items(), key=lambda x: -x[1]):
    print(f"  disagreement {k}: {v}")
sys.exit(1 if tot.get("disagree", 0) or tot.get("missing", 0) else 0)
PY
