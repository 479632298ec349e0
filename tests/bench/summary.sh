#!/usr/bin/env bash
# Prints the figures the benchmarks recorded (tests/bench/summary.hpp) as one table, grouped by
# binary, below the machine they ran on:
#   summary.sh SUMMARY_TSV [FAILURES]
# FAILURES, when given, is a file with one line per benchmark command that failed (make bench
# writes it); they are listed under the table and make the script exit 1.
set -euo pipefail

tsv=${1:?usage: summary.sh SUMMARY_TSV [FAILURES]}
failures=${2:-}
[[ -r $tsv ]] || { echo "summary.sh: cannot read $tsv" >&2; exit 2; }

cpu=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || true)
read -r load1 load5 load15 _ < /proc/loadavg
echo
echo "== streamchat benchmark summary, $(date '+%Y-%m-%d %H:%M %Z')"
echo "   machine: $(nproc) cores, ${cpu:-unknown CPU}, Linux $(uname -r), load $load1 $load5 $load15 (1/5/15 min) at the end"
echo "   ratio beside a peer: how many times better streamchat is (ours / peer for rates, peer / ours for"
echo "   ms and bytes); alone on its row: two benchmarks of the same binary, as the row says"
echo

# Numbers as the README writes them: thousands separated, fewer decimals as they grow.
awk -F'\t' '
function group(s,    out, n) {
    n = length(s); out = ""
    while (n > 3) { out = "," substr(s, n - 2, 3) out; n -= 3 }
    return substr(s, 1, n) out
}
function num(v,    a) {
    if (v == "") return ""
    a = v < 0 ? -v : v
    if (a >= 1000 || a == int(a)) return (v < 0 ? "-" : "") group(sprintf("%.0f", a))
    if (a >= 100) return sprintf("%.0f", v)
    if (a >= 10) return sprintf("%.1f", v)
    if (a >= 1) return sprintf("%.2f", v)
    return sprintf("%.3g", v)
}
function times(v) {
    if (v == "") return ""
    return (v >= 100 ? sprintf("%.0f", v) : v >= 10 ? sprintf("%.1f", v) : sprintf("%.2f", v)) "x"
}
function with_unit(v, unit) { return v == "" ? "n/a" : num(v) (unit == "" ? "" : " " unit) }
NF >= 2 {
    bench = $1
    if (!(bench in rows)) { order[++benches] = bench; rows[bench] = 0 }
    n = ++rows[bench]
    figure[bench, n] = $2
    if ($4 == "x") {               # a ratio between two benchmarks of one binary
        ours[bench, n] = ""
        peer[bench, n] = ""
        ratio[bench, n] = $3 == "" ? "n/a" : times($3)
    } else {
        ours[bench, n] = with_unit($3, $4)
        peer[bench, n] = $5 == "" ? "" : with_unit($5, $4)
        ratio[bench, n] = times($7)
        if ($6 != "") { peers[$6] = 1; peer_name[bench, n] = $6 }
    }
    note[bench, n] = $8
}
END {
    names = 0
    for (p in peers) { only = p; ++names }
    peer_head = names == 1 ? "peer: " only : "peer"
    printf "figure\tstreamchat\t%s\tratio\tnote\n", peer_head
    for (b = 1; b <= benches; ++b) {
        bench = order[b]
        printf "[%s]\t\t\t\t\n", bench
        for (n = 1; n <= rows[bench]; ++n) {
            p = peer[bench, n]
            if (p != "" && names > 1) p = p " (" peer_name[bench, n] ")"
            printf "  %s\t%s\t%s\t%s\t%s\n", figure[bench, n], ours[bench, n], p, ratio[bench, n], note[bench, n]
        }
    }
    if (benches == 0) print "(nothing recorded)\t\t\t\t"
}' "$tsv" | column -t -s $'\t' -R 2,3,4 | sed 's/ *$//'

status=0
if [[ -n $failures && -s $failures ]]; then
    echo
    echo "FAILED:"
    sed 's/^/  /' "$failures"
    status=1
fi
exit $status
