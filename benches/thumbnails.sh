#!/usr/bin/env bash
# thumbnails.sh - what the thumbnail tier costs at backup: the first backup of a corpus with
# thumbnails (the default) against `--no-thumbnails`, in fresh repositories, alternating,
# and the share of the repository the thumbnails take.
#
# Usage: benches/thumbnails.sh [--runs N] [--scale S] [--work DIR] [--no-build]
#   --runs N     backups of each kind (default 3); the table gives medians
#   --scale S    mkcorpus --seed 1 --scale S (default 1: 3.5 GB in 20,586 files)
#   --work DIR   corpus and repositories (default ${TMPDIR:-/tmp}/pvault-thumbnails-bench);
#                a complete corpus already there is reused
#   --no-build   use target/release/pvault and mkcorpus as they are
#
# Prints one line per backup (kind, wall seconds, user and system CPU seconds, thumbnails
# added) and then the medians, the overhead in percent, and the thumbnails' share of the
# repository (stored bytes of thumbnail blobs / bytes of all packs, from `pvault stats`).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
RUNS=3 SCALE=1 BUILD=1 WORK=${TMPDIR:-/tmp}/pvault-thumbnails-bench
while [[ $# -gt 0 ]]; do
  case $1 in
    --runs) RUNS=$2; shift 2 ;;
    --scale) SCALE=$2; shift 2 ;;
    --work) WORK=$2; shift 2 ;;
    --no-build) BUILD=0; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d'; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

if ((BUILD)); then
  (cd "$ROOT" && cargo build --release -p photovault-cli -p photovault-testkit --bin pvault --bin mkcorpus)
fi
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
PVAULT=$TARGET/release/pvault
MKCORPUS=$TARGET/release/mkcorpus
mkdir -p "$WORK"
CORPUS=$WORK/corpus-s$SCALE
if [[ ! -f $CORPUS.done ]]; then
  rm -rf "$CORPUS"
  "$MKCORPUS" --seed 1 --scale "$SCALE" "$CORPUS" >/dev/null
  touch "$CORPUS.done"
fi
echo "corpus: $CORPUS ($(du -sh "$CORPUS" | cut -f1), $(find "$CORPUS" -type f | wc -l) files)"
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores"
echo "pvault: $("$PVAULT" --version)"

export PVAULT_PASSWORD=bench
results=$WORK/results.tsv
: >"$results"
backup() { # KIND RUN
  local kind=$1 run=$2 repo=$WORK/repo-$1 extra=()
  [[ $kind == without ]] && extra=(--no-thumbnails)
  rm -rf "$repo" "$WORK/cache"
  "$PVAULT" -r "$repo" --cache-dir "$WORK/cache" init --kdf-memory 8192 --kdf-iterations 1 -q
  sync
  local out
  out=$(/usr/bin/time -f '%e %U %S' -o "$WORK/time" \
    "$PVAULT" -r "$repo" --cache-dir "$WORK/cache" backup --json "${extra[@]}" "$CORPUS" | tail -1)
  local added
  added=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["thumbnails_added"])' "$out")
  read -r wall user sys <"$WORK/time"
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$kind" "$run" "$wall" "$user" "$sys" "$added" | tee -a "$results"
}
printf 'kind\trun\twall_s\tuser_s\tsys_s\tthumbnails\n'
for ((run = 1; run <= RUNS; run++)); do
  backup without "$run"
  backup with "$run"
done

stats=$("$PVAULT" -r "$WORK/repo-with" --cache-dir "$WORK/cache" stats --json)
python3 - "$results" "$stats" <<'PY'
import json, statistics, sys
rows = [l.split("\t") for l in open(sys.argv[1]).read().splitlines() if l]
med = lambda kind, col: statistics.median(float(r[col]) for r in rows if r[0] == kind)
w, wo = med("with", 2), med("without", 2)
print(f"median wall: {wo:.2f} s without thumbnails, {w:.2f} s with: {100 * (w - wo) / wo:+.1f}%")
print(f"median CPU (user+sys): {med('without', 3) + med('without', 4):.2f} s without, "
      f"{med('with', 3) + med('with', 4):.2f} s with")
repo = json.loads(sys.argv[2])["repository"]
t = repo["thumbnail_blobs"]
print(f"thumbnails: {t['count']} blobs, {t['stored']} bytes stored = "
      f"{100 * t['stored'] / repo['pack_bytes']:.2f}% of {repo['pack_bytes']} bytes of packs")
PY
