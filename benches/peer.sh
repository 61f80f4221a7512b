#!/usr/bin/env bash
# peer.sh - end-to-end comparison of pvault with restic, borg and rustic on the photo corpus.
#
# Usage: benches/peer.sh [options]
#   --scale S        corpus scale for mkcorpus (default 1: ~3.5 GB, 20,586 files)
#   --runs N         repeat the whole sequence N times; the table shows medians (default 1)
#   --seed N         corpus seed (default 1; the day-2 mutation uses seed 2)
#   --tools "..."    tools to compare (default "pvault restic borg", and rustic when on PATH);
#                    a tool that is not installed is skipped, with a warning
#   --small          200,000 small files (`harness.sh gen-small`) instead, init and the two
#                    first backups only (harness --backup-only)
#   --small-files N  with --small: N files instead of 200,000
#   --drop-caches    drop the page cache before each timed step (root only; default warm)
#   --keep           keep each tool's work folder (repository, cache, corpus copy)
#   --work DIR       work folder: cached corpora and runs (default $PEER_WORK or /tmp/pvault-peer)
#   --corpus-only    build mkcorpus, generate the corpus into WORK, print its path and stop
#   --no-build       use the existing target/release/pvault and target/release/mkcorpus
#   --install        apt-get install restic and borgbackup when missing and asked for
#   --table TSV      only print the comparison table of an existing results.tsv
#
# Steps: (a) cargo build --release -p photovault-cli -p photovault-testkit --bin pvault
# --bin mkcorpus (testkit/: the corpus generator); (b) generate the corpus once into
# WORK/mkcorpus-s<S>-seed<N> (or WORK/smallfiles-n<N>), reused by later runs; (c) run
# benches/peer/harness.sh with target/release/pvault and mkcorpus into
# WORK/run-<time>-<corpus>/ (machine.txt, results.tsv, logs/): it prints the machine facts,
# then times each tool's steps (init, three backups, restore with a bit-for-bit check,
# check --read-data) under GNU time; see its header; (d) print medians per tool and step,
# the ratios restic/pvault and borg/pvault (above 1: pvault is faster), max RSS, MB/s, the
# CPU other processes used meanwhile (other_cpu_s: noise), and the final repository sizes.
# A step that failed (non-zero exit, or a restore that does not match) shows as n/a.
#
# Needs: cargo, python3, GNU time at /usr/bin/time (Debian package `time`), and the tools to
# compare: restic and borg (apt-get install -y restic borgbackup), rustic (cargo install
# rustic-rs).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
HARNESS=$HERE/peer/harness.sh
WORK=${PEER_WORK:-/tmp/pvault-peer}
SCALE=1 RUNS=1 SEED=1 TOOLS="pvault restic borg" SMALL=0 SMALL_FILES=200000 BUILD=1 INSTALL=0
TABLE="" CORPUS_ONLY=0 HARNESS_ARGS=()
command -v rustic >/dev/null && TOOLS+=" rustic"

while [[ $# -gt 0 ]]; do
  case $1 in
    --scale) SCALE=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --seed) SEED=$2; shift 2 ;;
    --tools) TOOLS=$2; shift 2 ;;
    --small) SMALL=1; shift ;;
    --small-files) SMALL_FILES=$2; shift 2 ;;
    --drop-caches|--keep) HARNESS_ARGS+=("$1"); shift ;;
    --work) WORK=$2; shift 2 ;;
    --corpus-only) CORPUS_ONLY=1; shift ;;
    --no-build) BUILD=0; shift ;;
    --install) INSTALL=1; shift ;;
    --table) TABLE=$2; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d'; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

# ---- (d) the comparison table, from the harness's results.tsv ----------------------------
# Also reads the results.tsv of runs made before benches/peer/harness.sh (columns run tool
# step wall_s cpu_s maxRSS_MiB MB/s repo_bytes other_cpu_s, "!rc=N" after a failed step's
# name, and verify notes as rows whose wall_s is "-").
print_table() {
  python3 - "$1" "$TOOLS" <<'PY'
import csv, statistics, sys
from collections import defaultdict

path, tools = sys.argv[1], sys.argv[2].split()
STEPS = ["init", "backup1-initial", "backup2-nochange", "backup3-mutated", "restore",
         "check-read-data"]
rows = defaultdict(list)        # (tool, step) -> [row, ...]; failed steps keep rc
notes = defaultdict(list)       # tool -> verify notes
last_repo = defaultdict(dict)   # tool -> run -> repo bytes after its last step
with open(path) as f:
    for r in csv.DictReader(f, delimiter="\t"):
        step = r["step"]
        if "status" in r:       # benches/peer/harness.sh
            r["failed"] = r["status"] != "ok"
            r["MB/s"] = r["mb_s"]
            r["maxRSS_MiB"] = "-" if r["maxrss_kib"] == "-" else str(int(r["maxrss_kib"]) / 1024)
            if r["verify"] not in ("", "-"):
                notes[r["tool"]].append(r["verify"])
        elif r["wall_s"] == "-":  # earlier harness: a verify note
            notes[r["tool"]].append(step)
            continue
        else:
            r["failed"] = "!rc=" in step
            step = step.split("!")[0]
        rows[(r["tool"], step)].append(r)
        if r["repo_bytes"] not in ("", "-"):
            last_repo[r["tool"]][r["run"]] = int(r["repo_bytes"])
found = list(dict.fromkeys(k[0] for k in rows))
tools = [t for t in tools if t in found] + [t for t in found if t not in tools]
steps = [s for s in STEPS if any((t, s) in rows for t in tools)]

def med(tool, step, col):
    vals = [float(r[col]) for r in rows.get((tool, step), [])
            if not r["failed"] and r[col] not in ("", "-")]
    return statistics.median(vals) if vals else None

def fmt(v, spec=".1f"):
    return "n/a" if v is None else format(v, spec)

runs = max((len(v) for v in rows.values()), default=0)
def ratio_table(col, what):
    head = ["step"] + [f"{t} {what}" for t in tools] + [f"{t}/pvault" for t in tools if t != "pvault"]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for s in steps:
        vals = {t: med(t, s, col) for t in tools}
        cells = [s] + [fmt(vals[t], ".2f") for t in tools]
        for t in tools:
            if t == "pvault":
                continue
            p, o = vals.get("pvault"), vals[t]
            cells.append("n/a" if p is None or o is None or p == 0 else f"{o / p:.2f}")
        print("| " + " | ".join(cells) + " |")

print(f"\nMedian over {runs} run(s); ratio = other tool's wall time / pvault's (above 1: pvault faster).\n")
ratio_table("wall_s", "wall s")
print("\nThe same with CPU seconds (user+sys), less sensitive to other processes on a busy machine.\n")
ratio_table("cpu_s", "cpu s")

print("\nPer tool and step (medians): wall s, CPU s (user+sys), MB/s (corpus bytes / wall), "
      "max RSS MiB, repository MB after the step, other_cpu_s (CPU used by other processes "
      "meanwhile: noise).\n")
head = ["tool", "step", "wall s", "cpu s", "MB/s", "max RSS MiB", "repo MB", "other_cpu_s"]
print("| " + " | ".join(head) + " |")
print("|" + "---|" * len(head))
for t in tools:
    for s in steps:
        if (t, s) not in rows:
            continue
        failed = all(r["failed"] for r in rows[(t, s)])
        repo = med(t, s, "repo_bytes")
        cells = [t, s + (" (failed)" if failed else ""), fmt(med(t, s, "wall_s"), ".2f"),
                 fmt(med(t, s, "cpu_s"), ".2f"), fmt(med(t, s, "MB/s")),
                 fmt(med(t, s, "maxRSS_MiB"), ".0f"),
                 fmt(None if repo is None else repo / 1e6, ".0f"),
                 fmt(med(t, s, "other_cpu_s"))]
        print("| " + " | ".join(cells) + " |")

print("\nFinal repository size (after the last step, median over runs):\n")
print("| tool | MB | vs pvault | verify |")
print("|---|---|---|---|")
base = statistics.median(last_repo["pvault"].values()) if last_repo.get("pvault") else None
for t in tools:
    v = statistics.median(last_repo[t].values()) if last_repo.get(t) else None
    ratio = "n/a" if v is None or not base else f"{v / base:.2f}"
    print(f"| {t} | {fmt(None if v is None else v / 1e6, '.0f')} | {ratio} | "
          f"{'; '.join(sorted(set(notes.get(t, [])))) or '-'} |")
PY
}

if [[ -n $TABLE ]]; then
  print_table "$TABLE"
  exit 0
fi

# ---- prerequisites ------------------------------------------------------------------------
if [[ $CORPUS_ONLY -eq 0 ]]; then
  missing=()
  for t in $TOOLS; do
    case $t in
      restic) command -v restic >/dev/null || missing+=(restic) ;;
      borg) command -v borg >/dev/null || missing+=(borgbackup) ;;
    esac
  done
  if [[ ${#missing[@]} -gt 0 ]]; then
    if [[ $INSTALL -eq 1 ]]; then
      apt-get install -y "${missing[@]}"
    else
      echo "WARNING: not installed: ${missing[*]}; the harness skips them" \
        "(apt-get install -y ${missing[*]}, or pass --install)" >&2
    fi
  fi
  if ! /usr/bin/time --version 2>&1 | grep -q GNU; then
    echo "GNU time is missing: the harness times every step with /usr/bin/time" \
      "(Debian/Ubuntu: apt-get install -y time)" >&2
    exit 1
  fi
fi

# ---- (a) build -----------------------------------------------------------------------------
# One cargo call for both binaries (two calls could resolve dependency features differently
# and build the shared crates twice).
if [[ $BUILD -eq 1 ]]; then
  if [[ $CORPUS_ONLY -eq 1 ]]; then
    (cd "$ROOT" && cargo build --release -p photovault-testkit --bin mkcorpus)
  else
    (cd "$ROOT" && cargo build --release -p photovault-cli -p photovault-testkit --bin pvault --bin mkcorpus)
  fi
fi
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
MKCORPUS_BIN=$TARGET/release/mkcorpus
PVAULT_BIN=$TARGET/release/pvault
[[ -x $MKCORPUS_BIN ]] || { echo "no $MKCORPUS_BIN (drop --no-build)" >&2; exit 1; }
[[ $CORPUS_ONLY -eq 1 || -x $PVAULT_BIN ]] || { echo "no $PVAULT_BIN (drop --no-build)" >&2; exit 1; }

# ---- (b) corpus, generated once into a .partial folder and renamed when complete ----------
mkdir -p "$WORK"
if [[ $SMALL -eq 1 ]]; then
  # "smallfiles-": the small corpus of the earlier generator (WORK/small) is not reused.
  CORPUS=$WORK/smallfiles-n$SMALL_FILES NAME=smallfiles-n$SMALL_FILES
  GEN=("$HARNESS" gen-small)
else
  # "mkcorpus-": corpora of the earlier Python generator (corpus-s*) are not reused.
  CORPUS=$WORK/mkcorpus-s$SCALE-seed$SEED NAME=s$SCALE-seed$SEED
  GEN=("$MKCORPUS_BIN")
fi
if [[ ! -d $CORPUS ]]; then
  rm -rf "$CORPUS.partial"
  echo "generating $CORPUS ..." >&2
  start=$(date +%s)
  if [[ $SMALL -eq 1 ]]; then
    "${GEN[@]}" "$CORPUS.partial" --files "$SMALL_FILES"
  else
    "${GEN[@]}" "$CORPUS.partial" --seed "$SEED" --scale "$SCALE"
  fi
  mv "$CORPUS.partial" "$CORPUS"
  echo "corpus generated in $(( $(date +%s) - start )) s" >&2
else
  echo "reusing corpus $CORPUS" >&2
fi
if [[ $CORPUS_ONLY -eq 1 ]]; then
  echo "$CORPUS"
  exit 0
fi

# ---- (c) the harness ----------------------------------------------------------------------
RUN=$WORK/run-$(date +%Y%m%d-%H%M%S)-$NAME
mkdir -p "$RUN"
args=(--tools "$TOOLS" --runs "$RUNS" --pvault "$PVAULT_BIN" --mkcorpus "$MKCORPUS_BIN"
      "${HARNESS_ARGS[@]}")
[[ $SMALL -eq 1 ]] && args+=(--backup-only)
echo "running benches/peer/harness.sh into $RUN" >&2
"$HARNESS" run "${args[@]}" "$CORPUS" "$RUN" 2>&1 | tee "$RUN/harness.log"

# ---- (d) table -----------------------------------------------------------------------------
print_table "$RUN/results.tsv" | tee "$RUN/table.md"
echo
echo "results: $RUN/results.tsv, table: $RUN/table.md, logs: $RUN/logs/"
