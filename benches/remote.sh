#!/usr/bin/env bash
# remote.sh - pvault's network backends timed next to a local folder, on the same corpus:
# S3 (s3s-fs) and SFTP (a private sshd), both on loopback, from .ci/servers.sh.
#
# Usage: benches/remote.sh [options]
#   --scale S          main corpus: mkcorpus --seed 1 --scale S (default 0.3: about 1 GB in
#                      6,200 files)
#   --files-scale S    the no-change corpus, for many files (default 1: 3.5 GB in 20,586
#                      files; 0 skips that part)
#   --runs N           repeat the main measurements N times (default 3); tables give medians
#   --nochange-runs N  timed no-change backups of the many-files corpus per backend (default 5)
#   --backends "..."   main part: any of local s3 sftp (default all three, in that order)
#   --files-backends "..."  many-files part (default "local s3")
#   --connections "..."  -o connections=N values tried for the first backup and restore on
#                      S3 besides the default (default "2 8"; "" for none)
#   --conn-backends "..."  backends the --connections values are tried on (default "s3")
#   --work DIR         corpora, repositories, caches, logs, results (default
#                      ${TMPDIR:-/tmp}/pvault-remote-bench); emptied first, except corpora
#                      that are already complete
#   --proxy-port N     port of the counting proxy (default 18399)
#   --no-build         use pvault and mkcorpus already built in $CARGO_TARGET_DIR/release
#   --no-count         no counted runs through the proxy
#   --keep             keep repositories and corpora (they are deleted as soon as done:
#                      the disk holds the corpus plus at most three repositories at a time)
#   table              only print the tables of WORK/results.tsv again
#
# Servers: if PVAULT_TEST_S3_BASE, PVAULT_TEST_SFTP_BASE and PVAULT_TEST_SERVER_STATE are set
# (`source STATE/env` after `.ci/servers.sh start STATE`), those servers are used; otherwise
# the script starts them in WORK/servers (ports from PVAULT_SERVERS_*_PORT, as servers.sh
# reads them) and stops them when it ends. Repositories go under the S3 bucket as
# s3:…/pvault-test/NAME and under the SFTP folder as sftp://…/FOLDER/NAME.
#
# Main part, per run and backend (one backend after the other inside a run, so that the
# machine's load drifts over all of them alike), each with a fresh repository and a fresh
# cache folder (--cache-dir):
#   init               pvault init
#   backup             first backup of the corpus
#   nochange           the same backup again, nothing changed
#   restore            restore latest:CORPUS into an empty folder; then, untimed, diff -r
#                      with the corpus (the verify column)
# then on the --conn-backends, for each --connections value N: a fresh repository, backup
# and restore with -o connections=N (rows "s3-cN").
# Counted (once, after run 1, not timed): through countproxy.py in front of s3s-fs, on a
# repository of its own: first backup, no-change backup, restore; the proxy records every
# HTTP request (method and path) and the bytes each way (WORK/counts/*.json). SFTP: the same
# through the proxy in raw mode (bytes only: the requests are inside ssh), with
# -o sftp.known-hosts=accept since the proxy's port is not in known_hosts.
# Many-files part: mkcorpus --scale FILES_SCALE; per backend a first backup, then
# NOCHANGE_RUNS timed no-change backups, then (S3, SFTP) one counted no-change backup.
#
# Every timed step runs under GNU time (/usr/bin/time) after `sync`. Columns of
# WORK/results.tsv: part run backend step status rc wall_s user_s sys_s (pvault's, with the
# ssh client it starts) maxrss_kib mb_s (corpus bytes / 1e6 / wall_s) server_cpu_s (CPU of
# s3s-fs, or of the sshd sessions, during the step) other_cpu_s (CPU the rest of the
# machine used meanwhile: noise) load1 repo_bytes verify.
#
# Needs: cargo (unless --no-build), GNU time, python3 (standard library), diff, and what
# .ci/servers.sh needs (s3s-fs, sshd, rclone).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)

SCALE=0.3 FILES_SCALE=1 RUNS=3 NOCHANGE_RUNS=5 BACKENDS="local s3 sftp"
FILES_BACKENDS="local s3" CONNECTIONS="2 8" CONN_BACKENDS="s3"
WORK=${TMPDIR:-/tmp}/pvault-remote-bench PROXY_PORT=18399 BUILD=1 COUNT=1 KEEP=0 TABLE_ONLY=0
while [[ $# -gt 0 ]]; do
  case $1 in
    --scale) SCALE=$2; shift 2 ;;
    --files-scale) FILES_SCALE=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --nochange-runs) NOCHANGE_RUNS=$2; shift 2 ;;
    --backends) BACKENDS=$2; shift 2 ;;
    --files-backends) FILES_BACKENDS=$2; shift 2 ;;
    --connections) CONNECTIONS=$2; shift 2 ;;
    --conn-backends) CONN_BACKENDS=$2; shift 2 ;;
    --work) WORK=$2; shift 2 ;;
    --proxy-port) PROXY_PORT=$2; shift 2 ;;
    --no-build) BUILD=0; shift ;;
    --no-count) COUNT=0; shift ;;
    --keep) KEEP=1; shift ;;
    table) TABLE_ONLY=1; shift ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "remote.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done

say() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { printf 'remote.sh: error: %s\n' "$*" >&2; exit 1; }

RES=$WORK/results.tsv LOGS=$WORK/logs COUNTS=$WORK/counts
COLUMNS_TSV='part run backend step status rc wall_s user_s sys_s maxrss_kib mb_s server_cpu_s ssh_cpu_s other_cpu_s steal_s load1 repo_bytes verify'

# ---- tables ----------------------------------------------------------------------------------
print_tables() {
  python3 - "$RES" "$COUNTS" <<'PY'
import csv, glob, json, os, statistics, sys
from collections import OrderedDict
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
def med(xs):
    xs = [float(x) for x in xs if x not in ("", "-")]
    return statistics.median(xs) if xs else None
def f(x, d=2):
    return "-" if x is None else f"{x:.{d}f}"
for part in OrderedDict.fromkeys(r["part"] for r in rows):
    prs = [r for r in rows if r["part"] == part and r["status"] == "ok"]
    bad = [r for r in rows if r["part"] == part and r["status"] != "ok"]
    print(f"\n### {part}: medians over runs (n = runs that succeeded)\n")
    print("| backend | step | n | wall s | MB/s | pvault CPU s | server CPU s | ssh CPU s | other CPU s | steal s | load | vs local (local wall / wall) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    local = {}
    groups = OrderedDict()
    for r in prs:
        groups.setdefault((r["backend"], r["step"]), []).append(r)
    for (b, s), rs in groups.items():
        if b == "local":
            local[s] = med(r["wall_s"] for r in rs)
    for (b, s), rs in groups.items():
        wall = med(r["wall_s"] for r in rs)
        cpu = med(float(r["user_s"]) + float(r["sys_s"]) for r in rs)
        ratio = "-"
        if b != "local" and local.get(s) and wall:
            ratio = f"{local[s] / wall:.2f}"
        print(f"| {b} | {s} | {len(rs)} | {f(wall)} | {f(med(r['mb_s'] for r in rs), 0)} | {f(cpu)} "
              f"| {f(med(r['server_cpu_s'] for r in rs))} | {f(med(r['ssh_cpu_s'] for r in rs))} "
              f"| {f(med(r['other_cpu_s'] for r in rs))} | {f(med(r['steal_s'] for r in rs))} "
              f"| {f(med(r['load1'] for r in rs), 1)} | {ratio} |")
    for r in bad:
        print(f"\nFAILED: run {r['run']} {r['backend']} {r['step']}: status {r['status']} rc {r['rc']}")
    sizes = OrderedDict()
    for r in prs:
        if r["repo_bytes"] not in ("", "-"):
            sizes[r["backend"]] = int(r["repo_bytes"])
    if sizes:
        print("\nrepository bytes after the last step: " + ", ".join(f"{b} {v/1e6:.0f} MB" for b, v in sizes.items()))
counts = sorted(glob.glob(os.path.join(sys.argv[2], "*.json")))
if counts:
    print("\n### Counted through the proxy (not timed)\n")
    print("| what | connections | requests | by method | up (client to server) | down |")
    print("|---|---|---|---|---|---|")
    for path in counts:
        c = json.load(open(path))
        methods = OrderedDict()
        for m, _ in c["requests"]:
            methods[m] = methods.get(m, 0) + 1
        by = ", ".join(f"{m} {n}" for m, n in methods.items()) or "(inside ssh)"
        name = os.path.basename(path)[:-5]
        req = len(c["requests"]) if c["requests"] or "sftp" not in name else "-"
        print(f"| {name} | {c['connections']} | {req} | {by} | {c['bytes_up']:,} B | {c['bytes_down']:,} B |")
PY
}

if ((TABLE_ONLY)); then
  [[ -s $RES ]] || die "no results in $RES"
  print_tables
  exit 0
fi

# ---- tools -----------------------------------------------------------------------------------
[[ -x /usr/bin/time ]] || die "GNU time is needed at /usr/bin/time (apt-get install time)"
command -v python3 >/dev/null || die "python3 is needed (the counting proxy, the tables)"
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
if ((BUILD)); then
  say "cargo build --release -p photovault-cli -p photovault-testkit --bin pvault --bin mkcorpus"
  (cd "$ROOT" && nice cargo build --release --quiet -p photovault-cli -p photovault-testkit \
    --bin pvault --bin mkcorpus)
fi
PVAULT=$TARGET_DIR/release/pvault MKCORPUS=$TARGET_DIR/release/mkcorpus
[[ -x $PVAULT && -x $MKCORPUS ]] || die "no $PVAULT or $MKCORPUS (build, or drop --no-build)"
TARGET_DIR=$(cd "$TARGET_DIR" && pwd) PVAULT=$TARGET_DIR/release/pvault MKCORPUS=$TARGET_DIR/release/mkcorpus

# ---- work folder and servers -----------------------------------------------------------------
mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
RES=$WORK/results.tsv LOGS=$WORK/logs COUNTS=$WORK/counts
rm -rf "$LOGS" "$COUNTS" "$WORK/repos" "$WORK/cache" "$WORK/restore" "$RES"
mkdir -p "$LOGS" "$COUNTS" "$WORK/repos" "$WORK/cache"

STARTED_SERVERS="" PROXY_PID=""
cleanup() {
  [[ -z ${SSH_BEFORE:-} ]] || stop_leaked_ssh
  [[ -z $PROXY_PID ]] || { kill "$PROXY_PID" 2>/dev/null || true; wait "$PROXY_PID" 2>/dev/null || true; }
  if [[ -n $STARTED_SERVERS ]]; then
    "$ROOT/.ci/servers.sh" stop "$STARTED_SERVERS" >&2 || true
  fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [[ -z ${PVAULT_TEST_S3_BASE:-} || -z ${PVAULT_TEST_SFTP_BASE:-} || -z ${PVAULT_TEST_SERVER_STATE:-} ]]; then
  say "starting the test servers in $WORK/servers"
  "$ROOT/.ci/servers.sh" start "$WORK/servers" >&2
  STARTED_SERVERS=$WORK/servers
  # shellcheck disable=SC1091
  source "$WORK/servers/env"
fi
SERVER_STATE=$PVAULT_TEST_SERVER_STATE
S3_BUCKET=${PVAULT_TEST_S3_BASE##*/}
S3_ROOT=$SERVER_STATE/s3-root/$S3_BUCKET
S3_HOSTPORT=${PVAULT_TEST_S3_BASE#s3:http://}
S3_HOSTPORT=${S3_HOSTPORT%%/*}
SFTP_DIR=/${PVAULT_TEST_SFTP_BASE#sftp://*/}
SFTP_AUTH=${PVAULT_TEST_SFTP_BASE#sftp://}
SFTP_AUTH=${SFTP_AUTH%%/*} # user@host:port
SFTP_USERHOST=${SFTP_AUTH%:*} SFTP_PORT=${SFTP_AUTH##*:}
export AWS_ACCESS_KEY_ID=$PVAULT_TEST_S3_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$PVAULT_TEST_S3_SECRET_KEY
export AWS_DEFAULT_REGION=$PVAULT_TEST_S3_REGION
export PVAULT_PASSWORD=remote-bench-password
unset PVAULT_REPOSITORY PVAULT_PASSWORD_FILE AWS_PROFILE AWS_SESSION_TOKEN AWS_ENDPOINT_URL
for f in "$SERVER_STATE/run/s3.pid" "$SERVER_STATE/run/sshd.pid"; do
  [[ -s $f ]] || die "no $f: are the servers of $SERVER_STATE running? (.ci/servers.sh status)"
done
S3_PID=$(<"$SERVER_STATE/run/s3.pid") SSHD_PID=$(<"$SERVER_STATE/run/sshd.pid")

# ssh_masters: pids of the ssh processes to the SFTP server's (or the proxy's) port.
ssh_masters() {
  local d args
  for d in /proc/[0-9]*; do
    [[ $(cat "$d/comm" 2>/dev/null) == ssh ]] || continue
    args=$(tr '\0' ' ' <"$d/cmdline" 2>/dev/null) || continue
    [[ " $args " != *" -p $SFTP_PORT "* && " $args " != *" -p $PROXY_PORT "* ]] || echo "${d#/proc/}"
  done
}
SSH_BEFORE=" $(ssh_masters | tr '\n' ' ') "
# stop_leaked_ssh: the ssh processes to the server that appeared during this run and are
# still running once pvault has exited (pvault's ssh masters, started with -f and
# ControlPersist=yes, outlive it): counted into WORK/leaked-ssh.txt, then stopped, by pid.
stop_leaked_ssh() {
  local pid n=0
  for pid in $(ssh_masters); do
    [[ $SSH_BEFORE != *" $pid "* ]] || continue
    n=$((n + 1))
    kill "$pid" 2>/dev/null || true
  done
  echo "$n" >"$WORK/leaked-ssh.txt"
  ((n == 0)) || say "$n ssh processes to the SFTP server outlived the pvault commands that started them; stopped"
}

# ---- machine facts ---------------------------------------------------------------------------
{
  echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores"
  echo "ram: $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
  echo "kernel: $(uname -r); $(. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME")"
  echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "pvault: $("$PVAULT" --version 2>/dev/null) ($(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?'))"
  echo "s3 server: $(tr '\0' ' ' </proc/"$S3_PID"/cmdline | cut -d' ' -f1) (pid $S3_PID)"
  echo "sshd: $(/usr/sbin/sshd -V 2>&1 | head -n1 || true) (pid $SSHD_PID)"
  echo "ssh client: $(ssh -V 2>&1)"
  echo "s3: $PVAULT_TEST_S3_BASE; sftp: $PVAULT_TEST_SFTP_BASE"
} | tee "$WORK/machine.txt" >&2

# ---- measuring -------------------------------------------------------------------------------
TICK=$(getconf CLK_TCK)

# cpu_ticks BACKEND: "SERVER SSH" CPU ticks used so far by the backend's server and by the ssh
# clients pvault started. S3: s3s-fs itself. SFTP: the sshd listener with its reaped sessions
# (cutime, cstime) plus the sessions still alive (children and grandchildren of the listener;
# pvault may leave them open); ssh: the live `ssh` processes whose command line names the
# server's or the proxy's port (ssh masters that pvault starts detach with -f, so GNU time
# does not see them; one that has exited is lost: a lower bound).
cpu_ticks() {
  case $(kind_of "$1") in
    s3) echo "$(ticks_of "$S3_PID" all) 0" ;;
    sftp) sftp_ticks ;;
    *) echo "0 0" ;;
  esac
}
# ticks_of PID self|all: utime+stime (self), plus cutime+cstime (all).
ticks_of() {
  local line
  line=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null) || { echo 0; return; }
  # After the command name, the state is field 3: utime, stime, cutime, cstime (fields 14
  # to 17 of /proc/PID/stat) are the 12th to 15th words.
  awk -v all="$2" '{print $12 + $13 + (all == "all" ? $14 + $15 : 0)}' <<<"$line"
}
sftp_ticks() {
  local server ssh=0 d pid ppid pppid comm args line
  server=$(ticks_of "$SSHD_PID" all)
  for d in /proc/[0-9]*; do
    pid=${d#/proc/}
    line=$(sed 's/.*) //' "$d/stat" 2>/dev/null) || continue
    ppid=$(awk '{print $2}' <<<"$line")
    # Not $(<FILE): under set -e a process that exits meanwhile would end the whole function.
    comm=$(cat "$d/comm" 2>/dev/null) || continue
    case $comm in
      sshd)
        pppid=$(sed 's/.*) //' "/proc/$ppid/stat" 2>/dev/null | awk '{print $2}') || pppid=""
        if [[ $ppid == "$SSHD_PID" || $pppid == "$SSHD_PID" ]]; then
          server=$((server + $(awk '{print $12 + $13 + $14 + $15}' <<<"$line")))
        fi ;;
      ssh)
        args=$(tr '\0' ' ' <"$d/cmdline" 2>/dev/null) || continue
        if [[ " $args " == *" -p $SFTP_PORT "* || " $args " == *" -p $PROXY_PORT "* ]]; then
          ssh=$((ssh + $(awk '{print $12 + $13 + $14 + $15}' <<<"$line")))
        fi ;;
    esac
  done
  echo "$server $ssh"
}

# machine_ticks: "BUSY STEAL" ticks of all CPUs (busy: user nice system irq softirq), from
# /proc/stat.
machine_ticks() { awk '/^cpu / {print $2 + $3 + $4 + $7 + $8, $9}' /proc/stat; }

dir_bytes() { if [[ -e $1 ]]; then du -sb "$1" | cut -f1; else echo -; fi; }
corpus_bytes() { find "$1" -type f -printf '%s\n' | awk '{n += $1} END {printf "%.0f\n", n}'; }

# A backend label is local, s3 or sftp, or one of those with -cN (-o connections=N).
kind_of() { echo "${1%%-*}"; }
# options_of LABEL: sets OPTS to the label's -o options.
options_of() {
  OPTS=()
  [[ $1 != *-c* ]] || OPTS=(-o "connections=${1##*-c}")
}
# location LABEL NAME [PORT]: the repository location; PORT: through the counting proxy.
location() {
  local port=${3:-}
  case $(kind_of "$1") in
    local) echo "$WORK/repos/$2" ;;
    s3)
      if [[ -n $port ]]; then
        echo "s3:http://127.0.0.1:$port/$S3_BUCKET/$2"
      else
        echo "$PVAULT_TEST_S3_BASE/$2"
      fi ;;
    sftp)
      if [[ -n $port ]]; then
        echo "sftp://$SFTP_USERHOST:$port$SFTP_DIR/$2"
      else
        echo "$PVAULT_TEST_SFTP_BASE/$2"
      fi ;;
  esac
}
# repo_path LABEL NAME: where the repository's files are on this machine.
repo_path() {
  case $(kind_of "$1") in
    local) echo "$WORK/repos/$2" ;;
    s3) echo "$S3_ROOT/$2" ;;
    sftp) echo "$SFTP_DIR/$2" ;;
  esac
}
remove_repo() { rm -rf "$(repo_path "$1" "$2")" "$WORK/cache/$2"; }

# pv_cmd LABEL NAME ARGS...: sets PV to the pvault command line on that repository, with its
# own cache folder; through the counting proxy when PROXIED is set.
PROXIED="" PV=()
pv_cmd() {
  local label=$1 name=$2 extra=()
  shift 2
  options_of "$label"
  [[ -z $PROXIED || $(kind_of "$label") != sftp ]] || extra=(-o sftp.known-hosts=accept)
  PV=("$PVAULT" -r "$(location "$label" "$name" "$PROXIED")" --cache-dir "$WORK/cache/$name"
    "${OPTS[@]}" "${extra[@]}" "$@")
}

# timed PART RUN LABEL STEP BYTES NAME COMMAND...: runs COMMAND under GNU time and keeps the
# row in ROW; emit_row [VERIFY] writes it to results.tsv. BYTES is what MB/s divides ("-").
ROW=() LAST_RC=0
timed() {
  local part=$1 run=$2 label=$3 step=$4 bytes=$5 name=$6
  shift 6
  local base=$LOGS/$part.r$run.$label.$step
  local rc=0 s0 s1 h0 h1 b0 b1 t0 t1 load wall user sys rss mbs server ssh other steal status=ok
  sync
  load=$(cut -d' ' -f1 /proc/loadavg)
  read -r s0 h0 < <(cpu_ticks "$label")
  read -r b0 t0 < <(machine_ticks)
  { printf '$'; printf ' %q' "$@"; echo; } >"$base.log"
  /usr/bin/time -f '%e %U %S %M' -o "$base.time" "$@" >>"$base.log" 2>&1 || rc=$?
  read -r b1 t1 < <(machine_ticks)
  sleep 0.3 # sshd reaps its finished sessions
  read -r s1 h1 < <(cpu_ticks "$label")
  read -r wall user sys rss < <(tail -n 1 "$base.time")
  server=$(awk -v a="$s0" -v b="$s1" -v t="$TICK" 'BEGIN {printf "%.2f", (b - a) / t}')
  ssh=$(awk -v a="$h0" -v b="$h1" -v t="$TICK" 'BEGIN {printf "%.2f", (b - a) / t}')
  steal=$(awk -v a="$t0" -v b="$t1" -v t="$TICK" 'BEGIN {printf "%.2f", (b - a) / t}')
  other=$(awk -v a="$b0" -v b="$b1" -v t="$TICK" -v u="$user" -v s="$sys" -v sv="$server" -v h="$ssh" \
    'BEGIN {o = (b - a) / t - u - s - sv - h; printf "%.2f", (o < 0 ? 0 : o)}')
  mbs=-
  [[ $bytes == - ]] || mbs=$(awk -v n="$bytes" -v w="$wall" 'BEGIN {printf "%.1f", (w > 0 ? n / 1e6 / w : 0)}')
  if ((rc != 0)); then
    status=failed
    say "FAILED (exit $rc): $part r$run $label $step; log $base.log"
    tail -n 5 "$base.log" >&2
  fi
  LAST_RC=$rc
  ROW=("$part" "$run" "$label" "$step" "$status" "$rc" "$wall" "$user" "$sys" "$rss" "$mbs"
    "$server" "$ssh" "$other" "$steal" "$load" "$(dir_bytes "$(repo_path "$label" "$name")")")
  say "$part r$run $label $step: ${wall} s, $mbs MB/s; cpu pvault $user+$sys, server $server, ssh $ssh, others $other, steal $steal; load $load"
}
emit_row() {
  local IFS=$'\t'
  echo "${ROW[*]}"$'\t'"${1:--}" >>"$RES"
}

# step PART RUN LABEL STEP BYTES NAME PVAULT_ARGS...: one timed pvault command, recorded.
step() {
  local part=$1 run=$2 label=$3 stepname=$4 bytes=$5 name=$6
  shift 6
  pv_cmd "$label" "$name" "$@"
  timed "$part" "$run" "$label" "$stepname" "$bytes" "$name" "${PV[@]}"
  emit_row
}

# restore_step PART RUN LABEL NAME CORPUS BYTES: a timed restore of latest:CORPUS into an empty
# folder, then (untimed) diff -r with CORPUS: the verify column says ok or DIFFERS.
restore_step() {
  local part=$1 run=$2 label=$3 name=$4 corpus=$5 bytes=$6 verify=-
  rm -rf "$WORK/restore"
  pv_cmd "$label" "$name" restore "latest:$corpus" --target "$WORK/restore"
  timed "$part" "$run" "$label" restore "$bytes" "$name" "${PV[@]}"
  if ((LAST_RC == 0)); then
    if diff -r --no-dereference "$corpus" "$WORK/restore" >"$LOGS/$part.r$run.$label.restore.diff" 2>&1; then
      verify=ok
    else
      verify=DIFFERS
      say "restore DIFFERS from the corpus: $LOGS/$part.r$run.$label.restore.diff"
    fi
  fi
  emit_row "$verify"
  rm -rf "$WORK/restore"
}

# counted PART LABEL STEP ...: like step (or restore_step with STEP restore), but through
# countproxy.py, whose counts go to COUNTS/PART.LABEL.STEP.json.
counted() {
  local part=$1 label=$2 stepname=$3 mode=http target=$S3_HOSTPORT
  shift 3
  [[ $(kind_of "$label") == s3 ]] || { mode=raw target=127.0.0.1:$SFTP_PORT; }
  python3 "$HERE/remote/countproxy.py" "$PROXY_PORT" "${target%:*}" "${target##*:}" "$mode" \
    "$COUNTS/$part.$label.$stepname.json" 2>"$LOGS/proxy.$part.$label.$stepname.log" &
  PROXY_PID=$!
  local i
  for ((i = 0; i < 100; i++)); do
    [[ ! -e $COUNTS/$part.$label.$stepname.json.ready ]] || break
    sleep 0.1
  done
  rm -f "$COUNTS/$part.$label.$stepname.json.ready"
  PROXIED=$PROXY_PORT
  if [[ $stepname == restore ]]; then
    restore_step "$part" 1 "$label" "$@"
  else
    step "$part" 1 "$label" "$stepname" "$@"
  fi
  PROXIED=""
  kill -TERM "$PROXY_PID"
  wait "$PROXY_PID" || true
  PROXY_PID=""
}

# make_corpus DIR SCALE: generate unless a complete one is there.
make_corpus() {
  if [[ -f $1.done ]]; then
    say "corpus $1 already generated"
    return
  fi
  rm -rf "$1"
  say "mkcorpus $1 --seed 1 --scale $2"
  nice "$MKCORPUS" "$1" --seed 1 --scale "$2" >&2
  touch "$1.done"
}
drop_corpus() { ((KEEP)) || rm -rf "$1" "$1.done"; }
drop_repo() { ((KEEP)) || remove_repo "$@"; }

COLS=${COLUMNS_TSV// /$'\t'}
echo "$COLS" >"$RES"

# ---- main part: first backup, no-change backup, restore ----------------------------------------
if [[ -n $BACKENDS ]]; then
  CORPUS=$WORK/corpus-$SCALE
  make_corpus "$CORPUS" "$SCALE"
  BYTES=$(corpus_bytes "$CORPUS") FILES=$(find "$CORPUS" -type f | wc -l)
  echo "main corpus: mkcorpus --seed 1 --scale $SCALE: $FILES files, $BYTES bytes" | tee -a "$WORK/machine.txt" >&2
  for ((run = 1; run <= RUNS; run++)); do
    labels=()
    for b in $BACKENDS; do labels+=("$b"); done
    for b in $CONN_BACKENDS; do
      for c in $CONNECTIONS; do labels+=("$b-c$c"); done
    done
    for label in "${labels[@]}"; do
      name=main-r$run-$label
      remove_repo "$label" "$name"
      step main "$run" "$label" init - "$name" init
      ((LAST_RC == 0)) || continue
      step main "$run" "$label" backup "$BYTES" "$name" backup "$CORPUS"
      # The no-change backup is timed for the backends proper; -cN labels only differ in
      # uploads.
      [[ $label == *-c* ]] || step main "$run" "$label" nochange "$BYTES" "$name" backup "$CORPUS"
      restore_step main "$run" "$label" "$name" "$CORPUS" "$BYTES"
      drop_repo "$label" "$name"
    done
    if ((run == 1 && COUNT)); then
      for b in $BACKENDS; do
        [[ $b != local ]] || continue
        name=count-main-$b
        remove_repo "$b" "$name"
        counted main-counted "$b" init - "$name" init
        counted main-counted "$b" backup "$BYTES" "$name" backup "$CORPUS"
        counted main-counted "$b" nochange "$BYTES" "$name" backup "$CORPUS"
        counted main-counted "$b" restore "$name" "$CORPUS" "$BYTES"
        drop_repo "$b" "$name"
      done
    fi
  done
  drop_corpus "$CORPUS"
fi

# ---- many files: the no-change backup --------------------------------------------------------
if [[ $FILES_SCALE != 0 && -n $FILES_BACKENDS ]]; then
  FCORPUS=$WORK/corpus-$FILES_SCALE
  make_corpus "$FCORPUS" "$FILES_SCALE"
  FBYTES=$(corpus_bytes "$FCORPUS") FFILES=$(find "$FCORPUS" -type f | wc -l)
  echo "many-files corpus: mkcorpus --seed 1 --scale $FILES_SCALE: $FFILES files, $FBYTES bytes" | tee -a "$WORK/machine.txt" >&2
  for label in $FILES_BACKENDS; do
    name=files-$label
    remove_repo "$label" "$name"
    step files 1 "$label" init - "$name" init
    ((LAST_RC == 0)) || continue
    step files 1 "$label" backup "$FBYTES" "$name" backup "$FCORPUS"
    for ((run = 1; run <= NOCHANGE_RUNS; run++)); do
      step files "$run" "$label" nochange "$FBYTES" "$name" backup "$FCORPUS"
    done
    if ((COUNT)) && [[ $label != local ]]; then
      counted files-counted "$label" nochange "$FBYTES" "$name" backup "$FCORPUS"
    fi
    drop_repo "$label" "$name"
  done
  drop_corpus "$FCORPUS"
fi

stop_leaked_ssh
SSH_BEFORE=""
echo "ssh processes left running by the pvault commands (stopped by the script): $(<"$WORK/leaked-ssh.txt")" >>"$WORK/machine.txt"
cat "$WORK/machine.txt"
print_tables | tee "$WORK/tables.md"
