#!/usr/bin/env bash
# lifecycle.sh - times pvault's prune and copy next to restic's, on the same data.
#
# Usage: benches/lifecycle.sh [options] [SCENARIO...]
#   SCENARIO is one or more of (default: prune-scale copy corpus-prune):
#     prune-scale    1. a repository of N small files (one blob each): backup, delete half
#                       the files, backup, forget the first snapshot, prune
#     copy           2. a photo history (mkcorpus day 1 + --mutate day 2) copied into a
#                       fresh target with and without shared chunker parameters, then again
#     corpus-prune   3. the same history: forget day 1, prune (default, then --max-unused 0)
#     table          only print the tables of WORK/results.tsv
#   --files N        scenario 1: number of small files (default 1000000)
#   --only-first G   scenario 1: back up only the first G groups of 100 folders (a trial:
#                    G=1 is 100,000 files of a 1M-file tree)
#   --scale S        scenarios 2 and 3: mkcorpus scale (default 0.2: 4,117 files, 0.66 GB)
#   --tools "..."    default "pvault restic"
#   --work DIR       repositories, caches, logs and results.tsv (default /work/bench-lifecycle)
#   --src DIR        scenario 1 source tree; mounted as a tmpfs when it is not a mount
#                    point yet (default /mnt/lifecycle-src, tmpfs of 5g: every small file
#                    takes a whole 4 KiB page there)
#   --no-build       use the pvault and mkcorpus already in $CARGO_TARGET_DIR/release
#   --keep           keep the scenario-1 repositories and the copy targets (default: deleted
#                    when done; the history's source repositories always stay in
#                    WORK/history, where corpus-prune reuses them)
#
# Steps: (a) cargo build --release -p photovault-cli -p photovault-testkit --bin pvault
# --bin mkcorpus; (b) machine facts via benches/peer/harness.sh machine, and the versions,
# into WORK/facts.txt; (c) the scenarios. Every timed step runs under `/usr/bin/time -f`, which
# gives wall seconds, peak RSS and exit status; before it `sync`, and `du -sb` of the
# repository the step writes (the target for copy) before and after. One row per step goes
# to WORK/results.tsv, the command line and output to WORK/logs/. A failed step is marked
# failed in the table and its log named on stderr; the scenario goes on where it can.
# Forgetting a pvault snapshot is deleting REPO/snapshots/<id> (what forget does on a local
# repository; pvault has no forget command on this branch); restic uses `restic forget ID`.
# After each prune and copy, `check --read-data` of the repository is timed as well; after
# copy and after the corpus prune, the latest snapshot is restored and compared with the
# day-2 tree (`diff -r`), a row of its own (diff-restore-*: ok, failed or DIFFERS).
#
# Needs: root (tmpfs mount), cargo, python3 (the small-file generator), GNU time at
# /usr/bin/time, restic >= 0.14 (copy --from-repo, init --copy-chunker-params), and about
# 4 GiB of RAM for the tmpfs, and under WORK about 1.3 GB of disk for 1M files, 3 GB for
# the history (corpus, two source repositories, one target).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
WORK=/work/bench-lifecycle SRC_MNT=/mnt/lifecycle-src
FILES=1000000 ONLY_FIRST=0 SCALE=0.2 TOOLS="pvault restic" BUILD=1 KEEP=0 SCENARIOS=()
PASSWORD=lifecycle-bench-password

while [[ $# -gt 0 ]]; do
  case $1 in
    --files) FILES=$2; shift 2 ;;
    --only-first) ONLY_FIRST=$2; shift 2 ;;
    --scale) SCALE=$2; shift 2 ;;
    --tools) TOOLS=$2; shift 2 ;;
    --work) WORK=$2; shift 2 ;;
    --src) SRC_MNT=$2; shift 2 ;;
    --no-build) BUILD=0; shift ;;
    --keep) KEEP=1; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    prune-scale|copy|corpus-prune|table) SCENARIOS+=("$1"); shift ;;
    *) echo "unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
[[ ${#SCENARIOS[@]} -gt 0 ]] || SCENARIOS=(prune-scale copy corpus-prune)

say() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { printf 'lifecycle: %s\n' "$*" >&2; exit 1; }
has_tool() { [[ " $TOOLS " == *" $1 "* ]]; }

RES=$WORK/results.tsv LOGS=$WORK/logs

# ---- tables --------------------------------------------------------------------------------
print_tables() {
  python3 - "$RES" <<'PY'
import csv, sys
from collections import OrderedDict
groups = OrderedDict()
with open(sys.argv[1]) as f:
    for r in csv.DictReader(f, delimiter="\t"):
        groups.setdefault(r["scenario"], []).append(r)
def mb(v):
    return "-" if v in ("", "-") else f"{int(v) / 1e6:,.1f} MB"
for scen, rows in groups.items():
    print(f"\n#### {scen}\n")
    print("| tool | step | wall s | max RSS MB | repo before | repo after | note |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        step = r["step"] + ("" if r["status"] == "ok" else f" (**{r['status']}**)")
        if r["wall_s"] == "-":  # a verification row: its result goes first in the note
            r["note"] = f"**{r['status']}**: {r['note']}"
        rss = "-" if r["maxrss_kib"] == "-" else f"{int(r['maxrss_kib']) / 1024:.0f}"
        print(f"| {r['tool']} | {step} | {r['wall_s']} | {rss} | {mb(r['repo_before'])} "
              f"| {mb(r['repo_after'])} | {r['note']} |")
PY
}
if [[ ${SCENARIOS[*]} == table ]]; then print_tables; exit 0; fi

# ---- prerequisites and build ---------------------------------------------------------------
/usr/bin/time --version 2>&1 | grep -q GNU || die "needs GNU time at /usr/bin/time (apt-get install -y time)"
RESTIC_BIN=${RESTIC_BIN:-$(command -v restic || true)}
if has_tool restic && [[ -z $RESTIC_BIN ]]; then die "restic is not installed (apt-get install -y restic)"; fi
if [[ $BUILD -eq 1 ]]; then
  (cd "$ROOT" && cargo build --release -p photovault-cli -p photovault-testkit --bin pvault --bin mkcorpus)
fi
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
PVAULT_BIN=$TARGET/release/pvault MKCORPUS_BIN=$TARGET/release/mkcorpus
if has_tool pvault && [[ ! -x $PVAULT_BIN ]]; then die "no $PVAULT_BIN (drop --no-build)"; fi

mkdir -p "$WORK" "$LOGS"
[[ -f $RES ]] || printf 'scenario\ttool\tstep\tstatus\twall_s\tmaxrss_kib\trepo_before\trepo_after\tnote\n' > "$RES"
PWFILE=$WORK/password
printf '%s\n' "$PASSWORD" > "$PWFILE"
export PVAULT_PASSWORD=$PASSWORD PVAULT_FROM_PASSWORD=$PASSWORD RESTIC_PASSWORD=$PASSWORD
{
  "$HERE/peer/harness.sh" machine "$WORK" 2>/dev/null
  ! has_tool pvault || echo "pvault:      $("$PVAULT_BIN" version 2>&1 | head -1)"
  ! has_tool restic || echo "restic:      $("$RESTIC_BIN" version 2>&1 | head -1)"
  echo "pvault tree: $(git -C "$ROOT" rev-parse --short HEAD)"
} > "$WORK/facts.txt"   # harness.sh machine also writes WORK/machine.txt: the facts alone
cat "$WORK/facts.txt" >&2

# ---- measuring -----------------------------------------------------------------------------
repo_bytes() { if [[ -d $1 ]]; then du -sb "$1" | cut -f1; else echo 0; fi; }

# measure SCENARIO TOOL STEP REPO NOTE -- CMD...: time CMD, append a row to results.tsv.
# Returns CMD's status; the output stays in LOG (set to the log's path).
measure() {
  local scen=$1 tool=$2 step=$3 repo=$4 note=$5 before after rc=0 rec wall rss x status
  shift 6
  LOG=$LOGS/$scen.$tool.$step
  printf '# %s\n' "$(printf '%q ' "$@")" > "$LOG.log"
  sync
  before=$(repo_bytes "$repo")
  /usr/bin/time -f 'gnutime %e %M %x' -o "$LOG.time" "$@" >> "$LOG.log" 2>&1 < /dev/null || rc=$?
  sync
  after=$(repo_bytes "$repo")
  rec=$(grep '^gnutime ' "$LOG.time" | tail -1 || true)
  wall=- rss=-
  [[ -z $rec ]] || read -r _ wall rss x <<< "$rec"
  status=ok
  [[ $rc -eq 0 ]] || status="failed rc=$rc"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$scen" "$tool" "$step" "$status" "$wall" \
    "$rss" "$before" "$after" "$note" >> "$RES"
  say "$scen $tool $step: $status, ${wall}s, rss ${rss} KiB, repo $before -> $after"
  [[ $rc -eq 0 ]] || say "  -> see $LOG.log"
  return $rc
}

# tool_args TOOL REPO CACHE: sets T (the tool's argv prefix for REPO)
tool_args() {
  case $1 in
    pvault) T=("$PVAULT_BIN" -r "$2" --cache-dir "$3") ;;
    restic) T=("$RESTIC_BIN" -r "$2" --cache-dir "$3") ;;
  esac
}
init_args() {  # init_args TOOL REPO CACHE [FROM]: sets T to init (FROM: share its chunker parameters)
  local tool=$1 repo=$2 cache=$3 from=${4:-}
  tool_args "$tool" "$repo" "$cache"
  case $tool in
    pvault) T+=(init --kdf-memory 65536 --kdf-iterations 3)
            [[ -z $from ]] || T+=(--copy-chunker-params-from "$from") ;;
    restic) T+=(init --repository-version 2)
            [[ -z $from ]] || T+=(--copy-chunker-params --from-repo "$from" --from-password-file "$PWFILE") ;;
  esac
}
snapshot_ids() {  # snapshot_ids TOOL REPO CACHE: full ids, oldest first
  tool_args "$1" "$2" "$3"
  "${T[@]}" --json snapshots | python3 -c '
import json, sys
snaps = json.load(sys.stdin)
snaps.sort(key=lambda s: s["time"])
print("\n".join(s["id"] for s in snaps))'
}
forget() {  # forget TOOL REPO CACHE ID
  case $1 in
    pvault) [[ -f $2/snapshots/$4 ]] || die "no snapshot file $2/snapshots/$4"
            rm "$2/snapshots/$4" ;;
    restic) tool_args "$1" "$2" "$3"; "${T[@]}" forget "$4" ;;
  esac
}

# ---- scenario 1: prune at scale ------------------------------------------------------------
# N files of 200-600 random bytes (one chunk each), 1,000 to a folder, 100 folders to a
# group: SRC/gNN/dNNNN/fNNNNNNN. random.Random(seed) draws every size and byte in file order.
gen_small() {
  local dir=$1
  python3 - "$dir" "$FILES" <<'PY'
import os, random, sys
root, count = sys.argv[1], int(sys.argv[2])
rng = random.Random(20261202)
total = 0
for i in range(count):
    if i % 1000 == 0:
        folder = os.path.join(root, f"g{i // 100000:02d}", f"d{i // 1000:04d}")
        os.makedirs(folder, exist_ok=True)
    data = rng.randbytes(rng.randint(200, 600))
    fd = os.open(os.path.join(folder, f"f{i:07d}"), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    os.write(fd, data)
    os.close(fd)
    total += len(data)
print(f"generated {count} files, {total} bytes", file=sys.stderr)
PY
}

scenario_prune_scale() {
  local scen=prune-${FILES} src=$SRC_MNT/tree tool repo cache ids n root
  if ! mountpoint -q "$SRC_MNT"; then
    mkdir -p "$SRC_MNT"
    mount -t tmpfs -o size=5g,nr_inodes=3m tmpfs "$SRC_MNT"
  fi
  # complete-N marks a full tree; a run that deleted the odd half leaves it removed
  if [[ ! -f $SRC_MNT/complete-$FILES ]]; then
    rm -rf "${SRC_MNT:?}"/*
    say "generating $FILES files into $src"
    gen_small "$src"
    touch "$SRC_MNT/complete-$FILES"
  fi
  root=$src
  if [[ $ONLY_FIRST -gt 0 ]]; then
    # a trial: back up a folder holding the first groups only
    scen=prune-trial-$ONLY_FIRST root=$SRC_MNT/trial
    rm -rf "$root"; mkdir -p "$root"
    for ((g = 0; g < ONLY_FIRST; g++)); do cp -a "$src/g$(printf %02d $g)" "$root/"; done
  fi
  n=$(find "$root" -type f | wc -l)
  say "scenario $scen: $n files in $root"
  # phase by phase, each tool in turn, so the tree is generated once
  local ok=()
  for tool in $TOOLS; do
    repo=$WORK/$scen/$tool/repo cache=$WORK/$scen/$tool/cache
    rm -rf "${WORK:?}/$scen/$tool"; mkdir -p "$cache"
    init_args "$tool" "$repo" "$cache"
    measure "$scen" "$tool" init "$repo" "" -- "${T[@]}" || continue
    tool_args "$tool" "$repo" "$cache"
    measure "$scen" "$tool" backup1-all "$repo" "$n files" -- "${T[@]}" backup "$root" || continue
    ok+=("$tool")
  done
  # delete every second file (odd numbers)
  rm -f "$SRC_MNT/complete-$FILES"
  find "$root" -type f -name 'f*[13579]' -delete
  [[ $ONLY_FIRST -eq 0 ]] || find "$src" -type f -name 'f*[13579]' -delete
  n=$(find "$root" -type f | wc -l)
  for tool in "${ok[@]}"; do
    repo=$WORK/$scen/$tool/repo cache=$WORK/$scen/$tool/cache
    tool_args "$tool" "$repo" "$cache"
    measure "$scen" "$tool" backup2-half "$repo" "$n files" -- "${T[@]}" backup "$root" || continue
    mapfile -t ids < <(snapshot_ids "$tool" "$repo" "$cache")
    [[ ${#ids[@]} -eq 2 ]] || { say "$tool: expected 2 snapshots, got ${#ids[@]}"; continue; }
    forget "$tool" "$repo" "$cache" "${ids[0]}" > "$LOGS/$scen.$tool.forget.log" 2>&1
    tool_args "$tool" "$repo" "$cache"
    if [[ $tool == pvault ]]; then
      measure "$scen" "$tool" prune-dry-run "$repo" "" -- "${T[@]}" prune --dry-run || true
    fi
    measure "$scen" "$tool" prune "$repo" "max-unused 5%" -- "${T[@]}" prune || true
    measure "$scen" "$tool" check-read-data "$repo" "after prune" -- "${T[@]}" check --read-data || true
    [[ $KEEP -eq 1 ]] || rm -rf "${WORK:?}/$scen/$tool"
  done
}

# ---- scenario 2 and 3: the photo history ---------------------------------------------------
# WORK/history/src: the corpus (day 1), then changed in place by its day-2 mutation (the
# same folder path for both backups, so the second snapshot has the first as parent).
make_history() {
  HIST=$WORK/history/src
  [[ -x $MKCORPUS_BIN ]] || die "no $MKCORPUS_BIN (drop --no-build)"
  mkdir -p "$WORK/history"
}
# source_repo TOOL: WORK/history/TOOL-src, with day 1 and day 2 backed up (not timed as
# part of a scenario's figures, but recorded)
source_repo() {
  local tool=$1 repo=$WORK/history/$1-src cache=$WORK/history/$1-cache
  SREPO=$repo SCACHE=$cache
  [[ ! -f $WORK/history/$tool-src.complete ]] || return 0
  rm -rf "$repo" "$cache"; mkdir -p "$cache"
  # day 1 is the pristine corpus: generated again for each tool (an earlier one mutated it)
  rm -rf "$HIST"; "$MKCORPUS_BIN" "$HIST" --seed 1 --scale "$SCALE" >> "$LOGS/mkcorpus.log" 2>&1
  init_args "$tool" "$repo" "$cache"
  measure history "$tool" init "$repo" "" -- "${T[@]}"
  tool_args "$tool" "$repo" "$cache"
  measure history "$tool" backup-day1 "$repo" "$(du -sb "$HIST" | cut -f1) bytes" -- "${T[@]}" backup "$HIST"
  "$MKCORPUS_BIN" "$HIST" --seed 2 --mutate >> "$LOGS/mkcorpus.log" 2>&1
  measure history "$tool" backup-day2 "$repo" "after mkcorpus --mutate" -- "${T[@]}" backup "$HIST"
  touch "$WORK/history/$tool-src.complete"
}

# verify_restore SCENARIO TOOL LABEL REPO: restore the latest snapshot of REPO (T is set for
# it) and compare it bit for bit with HIST, which holds day 2: a row "verify-restore-LABEL".
verify_restore() {
  local scen=$1 tool=$2 label=$3 repo=$4 dest=$WORK/restore status=ok
  rm -rf "$dest"; mkdir -p "$dest"
  # the same command line for both tools: restore latest --target DIR
  measure "$scen" "$tool" "restore-$label" "$repo" "latest" -- "${T[@]}" restore latest --target "$dest" || status=failed
  if [[ $status == ok ]] && ! diff -r -q --no-dereference "$HIST" "$dest/${HIST#/}" > "$LOGS/$scen.$tool.diff-$label.log" 2>&1; then
    status=DIFFERS
    say "$scen $tool: the restore of $repo differs from $HIST (see $LOGS/$scen.$tool.diff-$label.log)"
  fi
  printf '%s\t%s\t%s\t%s\t-\t-\t-\t-\t%s\n' "$scen" "$tool" "diff-restore-$label" "$status" \
    "latest snapshot against the day-2 tree (diff -r)" >> "$RES"
  rm -rf "$dest"
}

scenario_copy() {
  local tool kind dst cache from
  make_history
  for tool in $TOOLS; do
    source_repo "$tool"
    for kind in shared-params unrelated; do
      dst=$WORK/copy/$tool-$kind cache=$WORK/copy/$tool-$kind-cache
      rm -rf "$dst" "$cache"; mkdir -p "$cache"
      from=""
      [[ $kind == unrelated ]] || from=$SREPO
      init_args "$tool" "$dst" "$cache" $from
      measure copy "$tool" "init-$kind" "$dst" "${from:+chunker params from source}" -- "${T[@]}" || continue
      tool_args "$tool" "$dst" "$cache"
      local fromargs=(--from-repo "$SREPO")
      [[ $tool == pvault ]] || fromargs+=(--from-password-file "$PWFILE")
      measure copy "$tool" "copy-$kind" "$dst" "2 snapshots" -- "${T[@]}" copy "${fromargs[@]}" || continue
      measure copy "$tool" "copy-$kind-again" "$dst" "nothing new" -- "${T[@]}" copy "${fromargs[@]}" || true
      measure copy "$tool" "check-read-data-$kind" "$dst" "target" -- "${T[@]}" check --read-data || true
      verify_restore copy "$tool" "$kind" "$dst"
      echo "snapshots after copy ($kind):" >> "$LOGS/copy.$tool.snapshots.log"
      "${T[@]}" snapshots >> "$LOGS/copy.$tool.snapshots.log" 2>&1 || true
      [[ $KEEP -eq 1 ]] || rm -rf "$dst" "$cache"
    done
  done
}

scenario_corpus_prune() {
  local tool ids
  make_history
  for tool in $TOOLS; do
    source_repo "$tool"
    tool_args "$tool" "$SREPO" "$SCACHE"
    mapfile -t ids < <(snapshot_ids "$tool" "$SREPO" "$SCACHE")
    forget "$tool" "$SREPO" "$SCACHE" "${ids[0]}" > "$LOGS/corpus-prune.$tool.forget.log" 2>&1
    tool_args "$tool" "$SREPO" "$SCACHE"
    if [[ $tool == pvault ]]; then
      measure corpus-prune "$tool" prune-dry-run "$SREPO" "day 1 forgotten" -- "${T[@]}" prune --dry-run || true
    fi
    measure corpus-prune "$tool" prune "$SREPO" "day 1 forgotten" -- "${T[@]}" prune || true
    # the day-2 change frees little (about 1%), under the default 5%: prune again keeping none
    local zero=0
    [[ $tool == restic ]] || zero=0%
    measure corpus-prune "$tool" prune-max-unused-0 "$SREPO" "--max-unused $zero" -- "${T[@]}" prune --max-unused "$zero" || true
    measure corpus-prune "$tool" check-read-data "$SREPO" "after prune" -- "${T[@]}" check --read-data || true
    verify_restore corpus-prune "$tool" after-prune "$SREPO"
    # the source repository no longer holds day 1: a later copy scenario must rebuild it
    rm -f "$WORK/history/$tool-src.complete"
  done
}

for s in "${SCENARIOS[@]}"; do
  case $s in
    prune-scale) scenario_prune_scale ;;
    copy) scenario_copy ;;
    corpus-prune) scenario_corpus_prune ;;
    table) ;;
  esac
done
print_tables | tee "$WORK/tables.md"
