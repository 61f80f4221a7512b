#!/usr/bin/env bash
# garage.sh - pvault against a three-node Garage cluster on this machine, with one node lost.
#
# Usage: benches/garage.sh [options] [PVAULT_BINARY]
#   PVAULT_BINARY   the pvault to test; default: build it (cargo build --release -p
#                   photovault-cli) and use target/release/pvault (or $CARGO_TARGET_DIR's)
#   --scale S       corpus scale for mkcorpus (default 0.02: 100-250 MB in about 400 files)
#   --garage PATH   the garage binary (default: garage on PATH, else ~/.cargo/bin/garage)
#   --port-base N   node k (1-3) listens on N+10(k-1) for S3 and N+10(k-1)+1 for RPC
#                   (default 3900: 3900/3901, 3910/3911, 3920/3921)
#   --keep          keep the state folder (configs, logs, node data, corpus, restores)
#   --cluster-only  start the cluster, make the key and bucket, check them, stop; no pvault
#
# What it does, all on 127.0.0.1 under one temporary state folder:
#   1. starts three Garage nodes (replication factor 3, consistency "consistent", S3 region
#      "garage"), each with its own config, metadata and data folders, and one rpc_secret;
#   2. connects them, assigns each a role in its own zone with 1 GB of capacity, applies the
#      layout and waits until the cluster is healthy;
#   3. imports a generated access key, creates bucket "pvault-bench" and allows the key on it
#      (read, write, owner), and lists the bucket with a signed request;
#   4. generates the corpus with mkcorpus, then times: pvault init, backup, check
#      --read-data, restore latest and its byte-for-byte comparison with the corpus;
#   5. stops node 3 (pvault talks to node 1's S3 endpoint), then times with two of three
#      nodes: restore latest (compared again), mkcorpus --mutate (the "day 2" change: files
#      added, EXIF rewritten, sidecars edited, files deleted and renamed), backup, check,
#      check --read-data, restore latest (compared with the changed corpus);
#   6. stops the cluster and prints the time of every step, the corpus and the bucket size.
#
# pvault reaches the cluster as `-r s3:http://127.0.0.1:PORT/pvault-bench` with
# AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_DEFAULT_REGION=garage and PVAULT_PASSWORD;
# its cache goes to the state folder (XDG_CACHE_HOME).
#
# Any failure stops the run with a message naming the step; the state folder is then kept
# for its logs. Needs: garage (cargo install garage --locked; not built by this script),
# cargo, curl (signed S3 requests), diff.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)

SCALE=0.02 GARAGE="" PORT_BASE=3900 KEEP=0 CLUSTER_ONLY=0 PVAULT=""
while [[ $# -gt 0 ]]; do
  case $1 in
    --scale) SCALE=$2; shift 2 ;;
    --garage) GARAGE=$2; shift 2 ;;
    --port-base) PORT_BASE=$2; shift 2 ;;
    --keep) KEEP=1; shift ;;
    --cluster-only) CLUSTER_ONLY=1; shift ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "garage.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    *) [[ -z $PVAULT ]] || { echo "garage.sh: one pvault binary only" >&2; exit 2; }
       PVAULT=$1; shift ;;
  esac
done

readonly NODES=3 HOST=127.0.0.1 REGION=garage BUCKET=pvault-bench KEY_NAME=pvault-bench
readonly WAIT_SECONDS=${GARAGE_WAIT:-60}

log() { echo "garage.sh: $*"; }
die() {
  echo "garage.sh: error: $*" >&2
  exit 1
}

# --- tools ------------------------------------------------------------------------------------

if [[ -z $GARAGE ]]; then
  if command -v garage >/dev/null 2>&1; then
    GARAGE=$(command -v garage)
  elif [[ -x ${CARGO_HOME:-$HOME/.cargo}/bin/garage ]]; then
    GARAGE=${CARGO_HOME:-$HOME/.cargo}/bin/garage
  else
    die "no garage binary: not on PATH nor in ${CARGO_HOME:-$HOME/.cargo}/bin (cargo install garage --locked, or --garage PATH)"
  fi
fi
[[ -x $GARAGE ]] || die "$GARAGE is not an executable"
command -v curl >/dev/null 2>&1 || die "curl is needed (apt-get install curl)"
GARAGE_VERSION=$("$GARAGE" --version 2>/dev/null | head -n 1)

TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
if ((!CLUSTER_ONLY)); then
  packages=(-p photovault-testkit --bin mkcorpus)
  [[ -n $PVAULT ]] || packages+=(-p photovault-cli --bin pvault)
  log "cargo build --release ${packages[*]}"
  (cd "$ROOT" && cargo build --release --quiet "${packages[@]}")
  MKCORPUS=$TARGET_DIR/release/mkcorpus
  PVAULT=${PVAULT:-$TARGET_DIR/release/pvault}
  [[ -x $PVAULT ]] || die "pvault binary $PVAULT not found or not executable"
  PVAULT=$(cd "$(dirname "$PVAULT")" && pwd)/$(basename "$PVAULT")
fi

# --- state and cleanup ------------------------------------------------------------------------

STATE=$(mktemp -d "${TMPDIR:-/tmp}/pvault-garage.XXXXXX")
OK=0 CURRENT_STEP=""
declare -a NODE_PID=()

# running PID: the process exists and has not exited (an exited child stays a zombie, which
# `kill -0` still finds, until it is waited for).
running() {
  local state
  state=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) || return 1
  [[ -n $state && $state != Z ]]
}

stop_node() {
  local k=$1 pid=${NODE_PID[$1]:-} i
  [[ -n $pid ]] || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 100; i++)); do
    running "$pid" || break
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  NODE_PID[k]=""
}

stop_cluster() {
  local k
  for ((k = 1; k <= NODES; k++)); do stop_node "$k"; done
}

cleanup() {
  [[ -z $CURRENT_STEP ]] || echo "garage.sh: error: step '$CURRENT_STEP' failed" >&2
  stop_cluster
  if ((OK && !KEEP)); then
    rm -rf "$STATE"
  else
    echo "garage.sh: state folder kept: $STATE (node logs: $STATE/node*/garage.log)" >&2
  fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# garage_on K ARGS...: the garage CLI, talking to node K.
garage_on() {
  local k=$1
  shift
  "$GARAGE" -c "$STATE/node$k/garage.toml" "$@"
}

# wait_until WHAT COMMAND...: retry COMMAND (output hidden) until it succeeds or WAIT_SECONDS
# pass.
wait_until() {
  local what=$1 deadline=$((SECONDS + WAIT_SECONDS))
  shift
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || die "$what: not after ${WAIT_SECONDS} s"
    sleep 0.2
  done
}

# --- the cluster -----------------------------------------------------------------------------

RPC_SECRET=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')
KEY_ID=GK$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
SECRET_KEY=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')
s3_port() { echo $((PORT_BASE + 10 * ($1 - 1))); }
rpc_port() { echo $((PORT_BASE + 10 * ($1 - 1) + 1)); }
ENDPOINT=http://$HOST:$(s3_port 1)

for ((k = 1; k <= NODES; k++)); do
  for port in "$(s3_port "$k")" "$(rpc_port "$k")"; do
    if (exec 3<>"/dev/tcp/$HOST/$port") 2>/dev/null; then
      die "port $port is taken; choose other ports with --port-base N"
    fi
  done
done

write_config() {
  local k=$1 dir=$STATE/node$1
  mkdir -p "$dir/meta" "$dir/data"
  cat >"$dir/garage.toml" <<EOF
# node $k of the pvault Garage benchmark (benches/garage.sh)
metadata_dir = "$dir/meta"
data_dir = "$dir/data"
db_engine = "lmdb"
replication_factor = 3
consistency_mode = "consistent"
rpc_bind_addr = "$HOST:$(rpc_port "$k")"
rpc_public_addr = "$HOST:$(rpc_port "$k")"
rpc_secret = "$RPC_SECRET"

[s3_api]
s3_region = "$REGION"
api_bind_addr = "$HOST:$(s3_port "$k")"
EOF
  chmod 600 "$dir/garage.toml"
}

start_node() {
  local k=$1 dir=$STATE/node$1
  RUST_LOG=${GARAGE_LOG:-garage=info} setsid "$GARAGE" -c "$dir/garage.toml" server \
    </dev/null >>"$dir/garage.log" 2>&1 &
  NODE_PID[k]=$!
}

node_answers() { garage_on "$1" status; }

# The cluster is healthy: every storage node up and every partition fully replicated.
cluster_healthy() { garage_on 1 health | grep -Eq 'Cluster health:[[:space:]]+HEALTHY'; }

cluster_degraded() { garage_on 1 health | grep -Eq 'Storage nodes up:[[:space:]]+2$'; }

s3_list_bucket() {
  curl -sSf --max-time 10 --aws-sigv4 "aws:amz:$REGION:s3" --user "$KEY_ID:$SECRET_KEY" \
    -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' "$ENDPOINT/$BUCKET?list-type=2"
}

declare -a STEP_NAMES=() STEP_SECONDS=()
now_ms() { echo $(($(date +%s%N) / 1000000)); }
# step NAME COMMAND...: run and time one step. A failing command ends the script (set -e);
# the exit trap names the step.
step() {
  local name=$1 began ms
  shift
  log "step: $name"
  CURRENT_STEP=$name
  began=$(now_ms)
  "$@"
  ms=$(($(now_ms) - began))
  CURRENT_STEP=""
  STEP_NAMES+=("$name")
  STEP_SECONDS+=("$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))")
}

start_cluster() {
  local k ids=()
  for ((k = 1; k <= NODES; k++)); do
    write_config "$k"
    start_node "$k"
  done
  for ((k = 1; k <= NODES; k++)); do
    wait_until "node $k answering (log: $STATE/node$k/garage.log)" node_answers "$k"
    ids[k]=$(garage_on "$k" node id -q)
  done
  for ((k = 2; k <= NODES; k++)); do
    garage_on 1 node connect "${ids[k]}" >/dev/null
  done
  for ((k = 1; k <= NODES; k++)); do
    garage_on 1 layout assign -z "zone$k" -c 1G "${ids[k]%@*}" >/dev/null
  done
  garage_on 1 layout apply --version 1 >/dev/null
  wait_until "cluster healthy after the layout was applied" cluster_healthy
}

make_key_and_bucket() {
  garage_on 1 key import "$KEY_ID" "$SECRET_KEY" -n "$KEY_NAME" --yes >/dev/null
  garage_on 1 bucket create "$BUCKET" >/dev/null
  garage_on 1 bucket allow --read --write --owner "$BUCKET" --key "$KEY_NAME" >/dev/null
  # A new key may take a moment to reach every node's table.
  wait_until "bucket $BUCKET listable with the new key" s3_list_bucket
}

show_cluster() {
  garage_on 1 status
  garage_on 1 bucket info "$BUCKET"
  log "signed ListObjectsV2 of $BUCKET answers:"
  s3_list_bucket
  echo
}

# --- pvault -----------------------------------------------------------------------------------

pv() { "$PVAULT" -r "s3:$ENDPOINT/$BUCKET" "$@"; }

# same_tree A B: identical files, folders and symlinks, byte for byte.
same_tree() { diff -r --no-dereference "$1" "$2" >/dev/null || { diff -rq --no-dereference "$1" "$2" | head -n 20 >&2; return 1; }; }

# quiet_pv LOG ARGS...: pvault's output goes to LOG, and its end to stderr if it fails.
quiet_pv() {
  local logfile=$1 rc=0
  shift
  pv "$@" >"$logfile" 2>&1 || rc=$?
  ((rc == 0)) || { tail -n 20 "$logfile" >&2; echo "garage.sh: pvault $1 exited with $rc" >&2; }
  return "$rc"
}

# restore_and_compare NAME TARGET: time a restore of latest into TARGET, then its comparison with
# the corpus (restore recreates the corpus's absolute path under TARGET).
restore_and_compare() {
  local name=$1 target=$2
  step "$name restore latest" quiet_pv "$LOGS/${target##*/}.log" restore latest --target "$target"
  step "$name   compare with corpus" same_tree "$CORPUS" "$target$CORPUS"
  rm -rf "$target"
}

report_health() {
  log "cluster health now:"
  garage_on 1 health | sed 's/^/    /' || true
}

run_pvault() {
  export AWS_ACCESS_KEY_ID=$KEY_ID AWS_SECRET_ACCESS_KEY=$SECRET_KEY AWS_DEFAULT_REGION=$REGION
  export PVAULT_PASSWORD=garage-bench-password XDG_CACHE_HOME=$STATE/cache
  unset PVAULT_REPOSITORY PVAULT_PASSWORD_FILE AWS_PROFILE AWS_SESSION_TOKEN AWS_ENDPOINT_URL
  CORPUS=$STATE/corpus LOGS=$STATE/logs
  mkdir -p "$LOGS"

  step "mkcorpus --scale $SCALE" "$MKCORPUS" "$CORPUS" --seed 1 --scale "$SCALE"
  CORPUS_BYTES=$(du -sb "$CORPUS" | cut -f1)
  CORPUS_FILES=$(find "$CORPUS" -type f | wc -l)
  log "corpus: $CORPUS_FILES files, $CORPUS_BYTES bytes"

  step "3/3 nodes: init" quiet_pv "$LOGS/init.log" init
  step "3/3 nodes: backup" quiet_pv "$LOGS/backup1.log" backup "$CORPUS"
  step "3/3 nodes: check --read-data" quiet_pv "$LOGS/check1.log" check --read-data
  restore_and_compare "3/3 nodes:" "$STATE/restore1"

  step "stop node 3" stop_node 3
  # Go on once the cluster itself counts node 3 as down: the steps below then run against a
  # cluster that knows it is degraded, not one still routing to the stopped node.
  step "cluster sees node 3 down" wait_until "cluster reporting node 3 down" cluster_degraded
  report_health
  restore_and_compare "2/3 nodes:" "$STATE/restore2"
  step "mkcorpus --mutate (corpus changed)" "$MKCORPUS" "$CORPUS" --seed 2 --mutate
  step "2/3 nodes: backup (changed corpus)" quiet_pv "$LOGS/backup2.log" backup "$CORPUS"
  step "2/3 nodes: check" quiet_pv "$LOGS/check2.log" check
  step "2/3 nodes: check --read-data" quiet_pv "$LOGS/check3.log" check --read-data
  restore_and_compare "2/3 nodes:" "$STATE/restore3"
  pv snapshots >"$LOGS/snapshots.log" 2>&1 || true
}

# --- run --------------------------------------------------------------------------------------

log "$GARAGE_VERSION, state in $STATE"
step "start 3 nodes, layout, healthy" start_cluster
step "key + bucket" make_key_and_bucket
show_cluster
if ((!CLUSTER_ONLY)); then
  run_pvault
  BUCKET_INFO=$(garage_on 1 bucket info "$BUCKET" 2>/dev/null || true)
fi
step "stop cluster" stop_cluster

echo
echo "== Garage cluster benchmark: $GARAGE_VERSION, 3 nodes on $HOST, replication factor 3 =="
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores"
if ((!CLUSTER_ONLY)); then
  echo "pvault: $PVAULT ($("$PVAULT" --version 2>/dev/null || echo '?'))"
  echo "corpus: mkcorpus --seed 1 --scale $SCALE: $CORPUS_FILES files, $((CORPUS_BYTES / 1000000)) MB"
  echo "$BUCKET_INFO" | grep -Ei '^\s*(size|objects)' | sed 's/^/bucket /' || true
fi
printf '%-40s %10s\n' step seconds
for i in "${!STEP_NAMES[@]}"; do
  printf '%-40s %10s\n' "${STEP_NAMES[i]}" "${STEP_SECONDS[i]}"
done
OK=1
