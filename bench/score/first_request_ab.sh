#!/bin/bash
# A second node's first request to a root's pages (no warm-up), this checkout against the
# previous head on the same database, taking turns: before each code's requests, one run of
# that code computes and stores its figures (the stored figures' fingerprint names the code:
# neither reads the other's); then each page twice, each request a process of its own.
#     bash bench/score/first_request_ab.sh "$DB" /tmp/merzim-prev-head [ROUNDS]
set -u
DB=$1
PREVIOUS=$2
ROUNDS=${3:-2}
HERE=$(cd "$(dirname "$0")/../.." && pwd)
PY=$HERE/.venv/bin/python
for round in $(seq "$ROUNDS"); do
  for code in "$PREVIOUS" "$HERE"; do
    cd "$code" || exit 1
    "$PY" bench/score/pages.py --database "$DB" --only "score list,root's score page,overview" \
        --after "" --repeats 1 > /dev/null 2>&1
    for page in "root's score page" "overview" "score list"; do
      for _ in 1 2; do
        out=$("$PY" bench/score/pages.py --database "$DB" --only "$page" --after "" \
              --repeats 1 2>&1 | grep -E ", cold ")
        echo "$(date +%T) $(basename "$code") load=$(cut -d' ' -f1 /proc/loadavg) $out"
      done
    done
  done
done
