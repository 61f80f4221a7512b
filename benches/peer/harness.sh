#!/usr/bin/env bash
# benches/peer/harness.sh - the timing harness behind benches/peer.sh: runs pvault, restic,
# borg and rustic through the same steps on the same corpus and records what each step cost.
#
#   harness.sh run [options] CORPUS RUNDIR     time the tools (peer.sh calls this)
#   harness.sh gen-small DIR [--files N] [--seed N]
#                                             write the many-small-files corpus into DIR
#   harness.sh machine DIR                     print the machine facts, write DIR/machine.txt
#
# Why a bash script and not a Rust binary in the benches crate: everything it measures is
# an external command line, and its work is starting those under GNU time, reading /proc,
# copying and comparing trees. In bash the exact command lines that get timed stay in plain
# sight (and are written at the top of each step's log); a Rust program would wrap the same
# commands in std::process and add a compile step to every change of the benchmark. The
# only other thing it needs is python3 (standard library), for gen-small.
#
# run options:
#   --tools "pvault restic borg rustic"   tools, in that order (default: pvault and those of
#                        the others on PATH). pvault is required; a tool that is not
#                        installed is skipped with a warning.
#   --runs N             repeat everything N times (default 1)
#   --mutate-seed N      seed of the day-2 change, `mkcorpus DIR --seed N --mutate` (default 2)
#   --backup-only        init and the two first backups only, of CORPUS in place (--small)
#   --drop-caches        drop the page cache before each step (root only; default warm)
#   --keep               keep each tool's work folder (repository, cache, corpus copy)
#   --pvault BIN         default: pvault on PATH      (env PVAULT_BIN)
#   --mkcorpus BIN       default: mkcorpus on PATH    (env MKCORPUS_BIN; not for --backup-only)
#   Env: RESTIC_BIN BORG_BIN RUSTIC_BIN (default: from PATH), PEER_PASSWORD (the password
#   of every repository), BORG_ENCRYPTION (default repokey).
#
# Per run and tool, in a fresh work folder RUNDIR/scratch/r<run>-<tool>/, untimed set-up
# first: `cp -a CORPUS src` (the cached corpus is never modified), an empty repository
# folder and cache folder. Then these steps, each timed on its own:
#   init              pvault init | restic init (format 2 where offered) | borg init -e repokey
#                     | rustic init
#   backup1-initial   first backup of src
#   backup2-nochange  the same again, nothing changed
#   backup3-mutated   after `mkcorpus src --seed N --mutate` (the change itself is not timed)
#   restore           latest snapshot into an empty folder; then, untimed, `diff -r` of the
#                     restored tree against src (bit for bit; a difference fails the step)
#                     and a comparison of the file modes, sizes and mtimes (seconds)
#   check-read-data   pvault/restic/rustic check --read-data, borg check --verify-data
# If init fails, the tool's other steps are skipped for that run. Before each step: `sync`
# (so one step's dirty pages are not written during the next), and with --drop-caches,
# `echo 3 > /proc/sys/vm/drop_caches`.
#
# Each step runs under `/usr/bin/time -f` (GNU time, Debian package `time`), which gives the
# wall time, user and system CPU seconds, peak RSS and exit status of the tool and of the
# children it waits for. /proc/stat is read before and after: the CPU time the whole machine
# spent busy meanwhile, less the step's own, is `other_cpu_s`, the share of other processes
# (noise: compare it before trusting a ratio); `steal_s` is what the hypervisor took.
#
# Outputs in RUNDIR: machine.txt (machine facts, tool versions, corpus), results.tsv (one row
# per run, tool and step, columns below), logs/r<run>.<tool>.<step>.log (the command line and
# its output), .time (GNU time's record) and .verify.log (the restore comparison).
#   run tool step  status: ok, failed (exit code not 0) or verify-failed
#   rc wall_s user_s sys_s cpu_s (user+sys) maxrss_kib
#   mb_s           corpus bytes (sum of file sizes) / 1e6 / wall_s; "-" for init
#   repo_bytes     `du -sb` of the repository after the step
#   other_cpu_s steal_s
#   verify         restore only: content-ok or content-differs, then meta-ok or
#                  meta-differs:N (files whose mode, size or mtime differ)
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
TIME_FMT='gnutime %e %U %S %M %x'
COLUMNS_TSV='run tool step status rc wall_s user_s sys_s cpu_s maxrss_kib mb_s repo_bytes other_cpu_s steal_s verify'

say()  { printf '%s\n' "$*" >&2; }
loud() { printf '\n!!!!! %s\n\n' "$*" >&2; }
die()  { printf 'harness: %s\n' "$*" >&2; exit 1; }

# ---- machine facts ------------------------------------------------------------------------
machine_facts() {  # DIR: the folder whose file system is reported
  local dir=$1 flags f has=() model phys
  model=$(awk -F': *' '/^model name/ {print $2; exit}' /proc/cpuinfo)
  flags=" $(awk -F': *' '/^flags/ {print $2; exit}' /proc/cpuinfo) "
  for f in avx512f avx2 vaes sha_ni; do
    if [[ $flags == *" $f "* ]]; then has+=("$f=yes"); else has+=("$f=no"); fi
  done
  phys=?
  command -v lscpu >/dev/null && phys=$(lscpu -p=core,socket 2>/dev/null | grep -v '^#' | sort -u | wc -l)
  echo "date:        $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
  echo "cpu:         ${model:-unknown}"
  echo "cpu flags:   ${has[*]}"
  echo "cores:       $(nproc --all) logical ($phys physical), $(nproc) usable by this process"
  echo "memory:      $(awk '/^MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)" \
       "($(awk '/^MemAvailable/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo) available)"
  echo "kernel:      $(uname -r)"
  echo "file system: $(stat -f -c %T "$dir") at $dir$(command -v findmnt >/dev/null &&
       findmnt -n -o FSTYPE,SOURCE -T "$dir" | awk '{printf " (%s on %s)", $1, $2}')"
  echo "load:        $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min)"
}

# ---- the many-small-files corpus ----------------------------------------------------------
gen_small() {
  local dir="" files=200000 seed=7
  while [[ $# -gt 0 ]]; do
    case $1 in
      --files) files=$2; shift 2 ;;
      --seed) seed=$2; shift 2 ;;
      -*) die "gen-small: unknown option $1" ;;
      *) dir=$1; shift ;;
    esac
  done
  [[ -n $dir ]] || die "gen-small: no DIR"
  if [[ -e $dir && -n $(ls -A "$dir") ]]; then die "gen-small: $dir is not empty"; fi
  mkdir -p "$dir"
  # N files of 1 to 8 KiB (uniform), 200 to a folder, 100 folders to a group: half random
  # bytes (incompressible), half slices of a made-up text (compressible, never identical
  # files in practice). One random.Random(seed) draws everything, in file order, so a seed
  # and N always give the same tree (Python >= 3.9 for randbytes); mtimes are fixed too.
  python3 - "$dir" "$files" "$seed" <<'PY'
import os, random, sys

root, count, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = random.Random(seed)
syllables = "ka lo mi ne ru sa ti vo ze pa qu del tor ban fi gu".split()
vocab = ["".join(rng.choice(syllables) for _ in range(rng.randint(1, 4))) for _ in range(4000)]
lines, line = [], []
for _ in range(250_000):
    line.append(rng.choice(vocab))
    if len(line) >= rng.randint(6, 14):
        lines.append(" ".join(line))
        line = []
text = "\n".join(lines).encode()
total, t0 = 0, 1_600_000_000
for i in range(count):
    folder = os.path.join(root, f"g{i // 20000:02d}", f"d{i // 200:04d}")
    if i % 200 == 0:
        os.makedirs(folder, exist_ok=True)
    size = rng.randint(1024, 8192)
    if rng.random() < 0.5:
        name, data = f"f{i:06d}.bin", rng.randbytes(size)
    else:
        at = rng.randrange(len(text) - size)
        name, data = f"f{i:06d}.txt", text[at:at + size]
    path = os.path.join(folder, name)
    with open(path, "wb") as out:
        out.write(data)
    os.utime(path, (t0 + i, t0 + i))
    total += size
print(f"gen-small: {count} files, {total} bytes, seed {seed}", file=sys.stderr)
PY
}

# ---- per-tool command lines ---------------------------------------------------------------
# tool_cmd TOOL STEP sets CMD (the argv to time) and CMD_DIR (its working folder, or empty).
# Uses REPO, CACHE, SRC, DEST of the current tool and run, and LAST_ARCHIVE for borg.
tool_cmd() {
  local tool=$1 step=$2
  CMD=() CMD_DIR=""
  case $tool in
    pvault)
      local p=("$PVAULT_BIN" -r "$REPO" --cache-dir "$CACHE")
      case $step in
        init) CMD=("${p[@]}" init) ;;
        backup*) CMD=("${p[@]}" backup --host bench "$SRC") ;;
        restore) CMD=("${p[@]}" restore latest --target "$DEST") ;;
        check-read-data) CMD=("${p[@]}" check --read-data) ;;
      esac ;;
    restic)
      local r=("$RESTIC_BIN" -r "$REPO" --cache-dir "$CACHE")
      case $step in
        init) CMD=("${r[@]}" init "${RESTIC_INIT_ARGS[@]}") ;;
        backup*) CMD=("${r[@]}" backup --host bench "$SRC") ;;
        restore) CMD=("${r[@]}" restore latest --target "$DEST") ;;
        check-read-data) CMD=("${r[@]}" check --read-data) ;;
      esac ;;
    borg)
      # zstd level 3: borg's default (lz4) compresses less than the zstd the others use.
      local b=(env "BORG_BASE_DIR=$CACHE" "$BORG_BIN")
      case $step in
        init) CMD=("${b[@]}" init --encryption "$BORG_ENCRYPTION" "$REPO") ;;
        backup*) CMD=("${b[@]}" create --compression zstd,3 "$REPO::$step" "$SRC") ;;
        restore) CMD=("${b[@]}" extract "$REPO::$LAST_ARCHIVE") CMD_DIR=$DEST ;;
        check-read-data) CMD=("${b[@]}" check --verify-data "$REPO") ;;
      esac ;;
    rustic)
      local u=("$RUSTIC_BIN" -r "$REPO" --cache-dir "$CACHE" --no-progress)
      case $step in
        init) CMD=("${u[@]}" init) ;;
        backup*) CMD=("${u[@]}" backup --host bench "$SRC") ;;
        restore) CMD=("${u[@]}" restore latest "$DEST") ;;
        check-read-data) CMD=("${u[@]}" check --read-data) ;;
      esac ;;
  esac
  [[ ${#CMD[@]} -gt 0 ]] || die "no command for $tool $step"
}

tool_version() {
  case $1 in
    pvault) "$PVAULT_BIN" version ;;
    restic) "$RESTIC_BIN" version ;;
    borg) "$BORG_BIN" --version ;;
    rustic) "$RUSTIC_BIN" --version ;;
  esac 2>&1 | head -1
}

# ---- measuring ----------------------------------------------------------------------------
tree_bytes() { find "$1" -type f -printf '%s\n' | awk '{n += $1} END {printf "%.0f\n", n}'; }
# busy and steal clock ticks of all CPUs: user+nice+system+irq+softirq, steal
cpu_ticks() { awk '$1 == "cpu" {print $2 + $3 + $4 + $7 + $8, $9; exit}' /proc/stat; }

settle() {
  sync
  if [[ $DROP -eq 1 ]]; then echo 3 > /proc/sys/vm/drop_caches; fi
}

# measure TOOL STEP: time the step's command; sets M_RC M_WALL M_USER M_SYS M_CPU M_RSS
# M_OTHER M_STEAL and LOG (the step's log path, without extension).
measure() {
  local tool=$1 step=$2
  LOG=$LOGS/r$RUN_NO.$tool.$step
  tool_cmd "$tool" "$step"
  { echo "# cwd: ${CMD_DIR:-$PWD}"; echo "# $(printf '%q ' "${CMD[@]}")"; } > "$LOG.log"
  settle
  local t0 t1 rc=0
  read -ra t0 < <(cpu_ticks)
  (
    [[ -z $CMD_DIR ]] || cd "$CMD_DIR"
    exec /usr/bin/time -f "$TIME_FMT" -o "$LOG.time" "${CMD[@]}"
  ) >> "$LOG.log" 2>&1 < /dev/null || rc=$?
  read -ra t1 < <(cpu_ticks)
  local rec
  rec=$(grep '^gnutime ' "$LOG.time" 2>/dev/null | tail -1 || true)
  if [[ -z $rec ]]; then
    M_WALL=- M_USER=- M_SYS=- M_CPU=- M_RSS=- M_OTHER=- M_STEAL=-
    [[ $rc -ne 0 ]] || rc=125
  else
    local x
    read -r _ M_WALL M_USER M_SYS M_RSS x <<< "$rec"
    [[ $rc -ne 0 || $x -eq 0 ]] || rc=$x
    M_CPU=$(awk -v u="$M_USER" -v s="$M_SYS" 'BEGIN {printf "%.2f", u + s}')
    read -r M_OTHER M_STEAL < <(awk -v b0="${t0[0]}" -v b1="${t1[0]}" -v s0="${t0[1]}" \
      -v s1="${t1[1]}" -v hz="$HZ" -v own="$M_CPU" \
      'BEGIN {o = (b1 - b0) / hz - own; printf "%.1f %.1f\n", (o < 0 ? 0 : o), (s1 - s0) / hz}')
  fi
  M_RC=$rc
  return 0
}

# record TOOL STEP BYTES STATUS VERIFY: append the last measurement to results.tsv
record() {
  local tool=$1 step=$2 bytes=$3 status=$4 verify=$5 mbs=- repo
  if [[ $bytes -gt 0 && $M_WALL != - ]]; then
    mbs=$(awk -v b="$bytes" -v w="$M_WALL" 'BEGIN {printf "%.1f", (w > 0 ? b / 1e6 / w : 0)}')
  fi
  repo=$(du -sb "$REPO" 2>/dev/null | cut -f1) || repo=-
  printf '%s\t' "$RUN_NO" "$tool" "$step" "$status" "$M_RC" "$M_WALL" "$M_USER" "$M_SYS" \
    "$M_CPU" "$M_RSS" "$mbs" "${repo:--}" "$M_OTHER" "$M_STEAL" >> "$RES"
  printf '%s\n' "$verify" >> "$RES"
  printf '  r%s %-7s %-17s %-13s wall %6ss  cpu %6ss  rss %7s KiB  other %5ss  %s\n' \
    "$RUN_NO" "$tool" "$step" "$status" "$M_WALL" "$M_CPU" "$M_RSS" "$M_OTHER" \
    "$([[ $verify == - ]] || echo "$verify")" >&2
  [[ $status == ok ]] || say "  -> see $LOG.log"
}

# step TOOL STEP BYTES: measure and record a step without verification; fails if it failed
step() {
  measure "$1" "$2"
  local status=ok
  [[ $M_RC -eq 0 ]] || status=failed
  record "$1" "$2" "$3" "$status" -
  [[ $status == ok ]]
}

# listing of the files and symbolic links under a tree: type, mode, size, mtime (s), path
meta_listing() {
  (cd "$1" && find . \( -type f -o -type l \) -printf '%y %m %s %T@ %P\n' |
    awk '{sub(/\.[0-9]+$/, "", $4); print}' | LC_ALL=C sort -k5)
}

# verify_restore: compare the restored tree with SRC; sets VERIFY, fails on a content difference
verify_restore() {
  local root=$DEST/${SRC#/} ok=0 n
  if [[ ! -d $root ]]; then
    echo "no restored tree at $root" > "$LOG.verify.log"
    VERIFY=content-differs,meta-differs:all
    return 1
  fi
  if diff -r -q --no-dereference "$SRC" "$root" > "$LOG.verify.log" 2>&1; then
    VERIFY=content-ok
  else
    VERIFY=content-differs ok=1
  fi
  n=$(diff <(meta_listing "$SRC") <(meta_listing "$root") | tee -a "$LOG.verify.log" |
      grep -c '^<' || true)
  if [[ $n -eq 0 ]]; then VERIFY+=,meta-ok; else VERIFY+=,meta-differs:$n; fi
  return $ok
}

run_tool() {  # run_tool TOOL: all steps of one tool in one run
  local tool=$1 wd bytes
  wd=$RUNDIR/scratch/r$RUN_NO-$tool
  rm -rf "$wd"
  mkdir -p "$wd/cache"
  REPO=$wd/repo CACHE=$wd/cache DEST=$wd/restore
  if [[ $BACKUP_ONLY -eq 1 ]]; then
    SRC=$CORPUS
  else
    SRC=$wd/src
    cp -a "$CORPUS" "$SRC"
  fi
  bytes=$(tree_bytes "$SRC")
  say "== run $RUN_NO, $tool: $wd"
  # restic and rustic create the repository folder, borg wants it missing, pvault either way
  if ! step "$tool" init 0; then
    loud "$tool init failed in run $RUN_NO: skipping its other steps (see $LOG.log)"
    [[ $KEEP -eq 1 ]] || rm -rf "$wd"
    return
  fi
  step "$tool" backup1-initial "$bytes" || true
  step "$tool" backup2-nochange "$bytes" || true
  if [[ $BACKUP_ONLY -eq 0 ]]; then
    if ! "$MKCORPUS_BIN" "$SRC" --seed "$MUTATE_SEED" --mutate > "$LOGS/r$RUN_NO.$tool.mutate.log" 2>&1; then
      loud "mkcorpus --mutate failed on $SRC (see $LOGS/r$RUN_NO.$tool.mutate.log)"
    fi
    bytes=$(tree_bytes "$SRC")
    step "$tool" backup3-mutated "$bytes" || true
    LAST_ARCHIVE=backup3-mutated
    mkdir -p "$DEST"
    measure "$tool" restore
    local status=ok
    [[ $M_RC -eq 0 ]] || status=failed
    if ! verify_restore; then
      [[ $status != ok ]] || status=verify-failed
    fi
    record "$tool" restore "$bytes" "$status" "$VERIFY"
    rm -rf "$DEST"
    step "$tool" check-read-data "$bytes" || true
  fi
  [[ $KEEP -eq 1 ]] || rm -rf "$wd"
}

run_main() {
  local tools="" t b how
  RUNS=1 MUTATE_SEED=2 BACKUP_ONLY=0 DROP=0 KEEP=0
  PVAULT_BIN=${PVAULT_BIN:-$(command -v pvault || true)}
  MKCORPUS_BIN=${MKCORPUS_BIN:-$(command -v mkcorpus || true)}
  while [[ $# -gt 0 && $1 == --* ]]; do
    case $1 in
      --tools) tools=$2; shift 2 ;;
      --runs) RUNS=$2; shift 2 ;;
      --mutate-seed) MUTATE_SEED=$2; shift 2 ;;
      --backup-only) BACKUP_ONLY=1; shift ;;
      --drop-caches) DROP=1; shift ;;
      --keep) KEEP=1; shift ;;
      --pvault) PVAULT_BIN=$2; shift 2 ;;
      --mkcorpus) MKCORPUS_BIN=$2; shift 2 ;;
      *) die "unknown option $1 (see the header of $0)" ;;
    esac
  done
  [[ $# -eq 2 ]] || die "usage: harness.sh run [options] CORPUS RUNDIR"
  [[ -d $1 ]] || die "no corpus folder $1"
  CORPUS=$(realpath "$1") RUNDIR=$(realpath -m "$2")

  /usr/bin/time --version 2>&1 | grep -q GNU ||
    die "needs GNU time at /usr/bin/time (Debian/Ubuntu: apt-get install -y time)"
  [[ -n $PVAULT_BIN && -x $PVAULT_BIN ]] || die "no pvault binary (--pvault BIN)"
  if [[ $BACKUP_ONLY -eq 0 ]]; then
    [[ -n $MKCORPUS_BIN && -x $MKCORPUS_BIN ]] || die "no mkcorpus binary (--mkcorpus BIN)"
  fi
  RESTIC_BIN=${RESTIC_BIN:-$(command -v restic || true)}
  BORG_BIN=${BORG_BIN:-$(command -v borg || true)}
  RUSTIC_BIN=${RUSTIC_BIN:-$(command -v rustic || true)}
  if [[ -z $tools ]]; then
    tools=pvault
    for t in restic borg rustic; do b=${t^^}_BIN; [[ -z ${!b} ]] || tools+=" $t"; done
  fi
  TOOLS=()
  [[ " $tools " == *" pvault "* ]] || loud "--tools has no pvault: the table's ratios need it"
  for t in $tools; do
    case $t in pvault|restic|borg|rustic) ;; *) die "unknown tool $t" ;; esac
    b=${t^^}_BIN
    if [[ -z ${!b} || ! -x ${!b} ]]; then
      [[ $t != pvault ]] || die "no pvault binary (--pvault BIN)"
      case $t in
        restic) how="apt-get install -y restic" ;;
        borg) how="apt-get install -y borgbackup" ;;
        rustic) how="cargo install rustic-rs" ;;
      esac
      loud "SKIPPING $t: not installed (not on PATH and no $b); to include it: $how"
      continue
    fi
    TOOLS+=("$t")
  done
  [[ ${#TOOLS[@]} -gt 0 ]] || die "no tool to run"

  local pw=${PEER_PASSWORD:-peer-harness-password}
  export PVAULT_PASSWORD=$pw RESTIC_PASSWORD=$pw RUSTIC_PASSWORD=$pw BORG_PASSPHRASE=$pw
  export BORG_RELOCATED_REPO_ACCESS_IS_OK=yes
  BORG_ENCRYPTION=${BORG_ENCRYPTION:-repokey}
  RESTIC_INIT_ARGS=()
  if [[ -n $RESTIC_BIN ]] && "$RESTIC_BIN" init --help 2>/dev/null | grep -q -- --repository-version; then
    RESTIC_INIT_ARGS=(--repository-version 2)   # format 2: compressed (default auto)
  fi
  HZ=$(getconf CLK_TCK)

  mkdir -p "$RUNDIR/logs"
  LOGS=$RUNDIR/logs RES=$RUNDIR/results.tsv
  local cache_mode="warm (nothing dropped between steps)"
  if [[ $DROP -eq 1 ]]; then
    if [[ $EUID -ne 0 ]]; then
      loud "--drop-caches needs root: running with a warm page cache"; DROP=0
    elif ! (sync && echo 3 > /proc/sys/vm/drop_caches) 2>/dev/null; then
      loud "--drop-caches: /proc/sys/vm/drop_caches is not writable here: running warm"; DROP=0
    else
      cache_mode="dropped before each step"
    fi
  fi

  {
    machine_facts "$RUNDIR"
    echo "page cache:  $cache_mode"
    echo "corpus:      $CORPUS ($(find "$CORPUS" -type f | wc -l) files, $(tree_bytes "$CORPUS") bytes)"
    echo "mode:        $([[ $BACKUP_ONLY -eq 1 ]] && echo "backup only, corpus in place" ||
                         echo "full, day-2 change: mkcorpus --seed $MUTATE_SEED --mutate")"
    echo "runs:        $RUNS"
    echo "pvault tree: $(git -C "$HERE" rev-parse --short HEAD 2>/dev/null || echo '?')$(
                         [[ -z $(git -C "$HERE" status --porcelain 2>/dev/null) ]] ||
                         echo ' (with uncommitted changes)')"
    for t in "${TOOLS[@]}"; do printf 'version:     %s: %s\n' "$t" "$(tool_version "$t")"; done
    [[ ! " ${TOOLS[*]} " == *" borg "* ]] || echo "borg:        init -e $BORG_ENCRYPTION, create --compression zstd,3"
  } | tee "$RUNDIR/machine.txt" >&2

  tr ' ' '\t' <<< "$COLUMNS_TSV" > "$RES"
  for RUN_NO in $(seq 1 "$RUNS"); do
    for t in "${TOOLS[@]}"; do run_tool "$t"; done
  done
  rmdir "$RUNDIR/scratch" 2>/dev/null || true
  say "results: $RES"
}

case ${1:-} in
  run) shift; run_main "$@" ;;
  gen-small) shift; gen_small "$@" ;;
  machine) [[ $# -eq 2 ]] || die "usage: harness.sh machine DIR"; machine_facts "$2" | tee "$2/machine.txt" ;;
  -h|--help|help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' ;;
  *) die "usage: harness.sh run|gen-small|machine ... (--help)" ;;
esac
