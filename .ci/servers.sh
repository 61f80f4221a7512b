#!/usr/bin/env bash
# servers.sh - real SFTP, S3 and WebDAV servers on 127.0.0.1 for the network backend tests.
#
#   .ci/servers.sh start [STATE_DIR]   install what is missing, (re)start the three servers,
#                                      write STATE_DIR/env
#   .ci/servers.sh stop  [STATE_DIR]   stop them (safe to run when nothing is running)
#   .ci/servers.sh status [STATE_DIR]  say which of them is running
#   .ci/servers.sh install             only install what is missing (CI does it while it builds)
#
# STATE_DIR defaults to $PVAULT_TEST_SERVER_STATE, else ${TMPDIR:-/tmp}/pvault-test-servers.
# Everything lives in it: configurations, keys, logs, pid files and the served folders, which
# are emptied at every start. Nothing is written to ~/.ssh or ~/.config.
#
# The servers:
#   sftp    a private sshd (own config, host key and client key; key-only, internal-sftp)
#   s3      s3s-fs, one bucket "pvault-test", a fixed access key and secret; or, with
#           PVAULT_SERVERS_S3=garage, a one-node Garage (replication factor 1, no compression)
#           with the same bucket name and a fixed key of Garage's form. Garage is a
#           production object store: use it to time pvault against a server that is not the
#           bottleneck (s3s-fs streams every object in 4 KiB reads). It is not installed here
#           (cargo install garage --locked takes 15-25 minutes): on PATH or in ~/.cargo/bin.
#   webdav  rclone serve webdav, with a user and a password
#
# After `start`, `source STATE_DIR/env` exports:
#   PATH                          prefixed with STATE_DIR/bin, holding an `ssh` wrapper that
#                                 uses the private known_hosts and client key
#   PVAULT_TEST_SFTP_BASE         sftp://USER@127.0.0.1:PORT/ABSOLUTE/FOLDER
#   PVAULT_TEST_S3_BASE           s3:http://127.0.0.1:PORT/pvault-test
#   PVAULT_TEST_S3_ACCESS_KEY, PVAULT_TEST_S3_SECRET_KEY, PVAULT_TEST_S3_REGION
#   PVAULT_TEST_S3_SERVER         s3s-fs or garage
#   PVAULT_TEST_WEBDAV_BASE       webdav:http://127.0.0.1:PORT/
#   PVAULT_TEST_WEBDAV_USER, PVAULT_TEST_WEBDAV_PASSWORD
#   PVAULT_TEST_S3S_FS            the s3s-fs binary, for tests that run (and kill) one of their own
#   PVAULT_TEST_SERVER_STATE      STATE_DIR
#
# Ports (override when taken): PVAULT_SERVERS_SFTP_PORT (2222), PVAULT_SERVERS_S3_PORT
# (18014), PVAULT_SERVERS_WEBDAV_PORT (18080). PVAULT_SERVERS_WAIT: seconds to wait for each
# server to answer (default 20).
#
# Installs when missing: openssh-server, rclone and curl with apt-get (as root), and s3s-fs
# with cargo (about 3 minutes; it goes to $CARGO_HOME/bin, by default ~/.cargo/bin). s3s-fs
# is installed in Garage mode too: some tests start and kill an s3s-fs of their own.
set -euo pipefail

readonly S3S_FS_VERSION=0.14.1
readonly HOST=127.0.0.1
readonly SFTP_PORT=${PVAULT_SERVERS_SFTP_PORT:-2222}
readonly S3_PORT=${PVAULT_SERVERS_S3_PORT:-18014}
readonly WEBDAV_PORT=${PVAULT_SERVERS_WEBDAV_PORT:-18080}
readonly WAIT_SECONDS=${PVAULT_SERVERS_WAIT:-20}
readonly S3_SERVER=${PVAULT_SERVERS_S3:-s3s-fs}
readonly S3_BUCKET=pvault-test
readonly S3_REGION=us-east-1
case $S3_SERVER in
  s3s-fs)
    readonly S3_ACCESS_KEY=PVTESTACCESSKEY0001
    readonly S3_SECRET_KEY=pvault-test-secret-key-not-for-production ;;
  garage) # Garage's forms: "GK" and 24 hex digits; 64 hex digits
    readonly S3_ACCESS_KEY=GK707661756c742d7465737431
    readonly S3_SECRET_KEY=70766175746573742d7365637265742d6e6f742d666f722d70726f6475637421 ;;
  *) echo "servers: error: PVAULT_SERVERS_S3=$S3_SERVER: use s3s-fs or garage" >&2; exit 2 ;;
esac
# Either S3 server's process, for pid files written by either mode.
readonly S3_PROCESS='s3s-fs\|garage'
readonly WEBDAV_USER=pvault
readonly WEBDAV_PASSWORD=pvault-test-webdav-password

say() { echo "servers: $*"; }
die() { echo "servers: error: $*" >&2; exit 1; }

usage() {
  sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
}

# --- state folder -------------------------------------------------------------------------

set_state_dir() {
  local dir=${1:-${PVAULT_TEST_SERVER_STATE:-${TMPDIR:-/tmp}/pvault-test-servers}}
  mkdir -p "$dir"
  STATE=$(cd "$dir" && pwd -P)
  SSH_DIR=$STATE/ssh
  BIN_DIR=$STATE/bin
  LOG_DIR=$STATE/logs
  RUN_DIR=$STATE/run
  SFTP_ROOT=$STATE/sftp-root
  S3_ROOT=$STATE/s3-root
  WEBDAV_ROOT=$STATE/webdav-root
}

# --- installing -----------------------------------------------------------------------------

cargo_bin_dir() { echo "${CARGO_HOME:-$HOME/.cargo}/bin"; }

# The s3s-fs binary: on PATH, or where cargo install puts it.
find_s3s_fs() {
  if command -v s3s-fs >/dev/null 2>&1; then
    command -v s3s-fs
  elif [[ -x $(cargo_bin_dir)/s3s-fs ]]; then
    echo "$(cargo_bin_dir)/s3s-fs"
  else
    return 1
  fi
}

# The garage binary: on PATH, or where cargo install puts it.
find_garage() {
  if command -v garage >/dev/null 2>&1; then
    command -v garage
  elif [[ -x $(cargo_bin_dir)/garage ]]; then
    echo "$(cargo_bin_dir)/garage"
  else
    return 1
  fi
}

install_missing() {
  local packages=()
  [[ -x /usr/sbin/sshd ]] || packages+=(openssh-server)
  command -v ssh-keygen >/dev/null 2>&1 || packages+=(openssh-client)
  command -v rclone >/dev/null 2>&1 || packages+=(rclone)
  command -v curl >/dev/null 2>&1 || packages+=(curl)
  if ((${#packages[@]})); then
    [[ $(id -u) -eq 0 ]] || die "missing ${packages[*]}; install them (apt-get needs root)"
    say "installing ${packages[*]} with apt-get"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    # openssh-server's postinst may try to start the system sshd; the private one below does
    # not depend on it.
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      "${packages[@]}" >/dev/null
  fi
  if ! find_s3s_fs >/dev/null; then
    command -v cargo >/dev/null 2>&1 || die "s3s-fs is missing and cargo is not on PATH"
    say "building s3s-fs $S3S_FS_VERSION with cargo install (about 3 minutes)"
    cargo install "s3s-fs@$S3S_FS_VERSION" --features binary --locked --quiet
    find_s3s_fs >/dev/null || die "cargo install s3s-fs finished but s3s-fs is not in $(cargo_bin_dir)"
  fi
}

# --- processes ------------------------------------------------------------------------------

# pid_alive PIDFILE NAME: the pid in PIDFILE runs a program whose command line mentions NAME
# (so that a pid reused by another process is never signalled).
pid_alive() {
  local file=$1 name=$2 pid
  [[ -s $file ]] || return 1
  pid=$(<"$file")
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  { tr '\0' ' ' <"/proc/$pid/cmdline"; } 2>/dev/null | grep -q -- "$name"
}

# running PIDFILE: the process exists and has not exited (an exited process stays a zombie
# until it is reaped, which `kill -0` does not tell apart).
running() {
  local pid state
  pid=$(<"$1") || return 1
  state=$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null | cut -d' ' -f1) || return 1
  [[ -n $state && $state != Z ]]
}

stop_one() {
  local label=$1 file=$2 name=$3 pid i
  if ! pid_alive "$file" "$name"; then
    rm -f "$file"
    return 0
  fi
  pid=$(<"$file")
  kill -TERM "$pid" 2>/dev/null || true
  # Not `kill -0`: an exited server stays a zombie until init reaps it, which can take
  # seconds; its command line is empty at once.
  for ((i = 0; i < 50; i++)); do
    pid_alive "$file" "$name" || break
    sleep 0.1
  done
  if pid_alive "$file" "$name"; then
    kill -KILL "$pid" 2>/dev/null || true
    say "$label (pid $pid) did not stop on SIGTERM; killed"
  else
    say "stopped $label (pid $pid)"
  fi
  rm -f "$file"
}

stop_all() {
  stop_one sftp "$RUN_DIR/sshd.pid" "$SSH_DIR/sshd_config"
  stop_one s3 "$RUN_DIR/s3.pid" "$S3_PROCESS"
  stop_one s3 "$RUN_DIR/s3s-fs.pid" s3s-fs # the pid file's name before Garage mode
  stop_one webdav "$RUN_DIR/rclone.pid" rclone
}

# Start a program in the background, detached from this shell's terminal and output, and
# record its pid.
spawn() {
  local pidfile=$1 log=$2
  shift 2
  setsid "$@" </dev/null >"$log" 2>&1 &
  echo $! >"$pidfile"
}

port_taken() { (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null; }

# A server just stopped may hold its port a moment longer: wait up to 5 s.
check_port_free() {
  local label=$1 port=$2 variable=$3 i
  for ((i = 0; i < 50; i++)); do
    port_taken "$port" || return 0
    sleep 0.1
  done
  die "port $port ($label) is already taken by another program; stop it or choose another port with $variable=PORT"
}

# wait_for LABEL LOG PIDFILE COMMAND...: run COMMAND until it succeeds, at most WAIT_SECONDS
# or until the server exits; fail naming the server and showing the end of its log. (sshd
# writes its pid file only once in the background, so a missing one is not an exit.)
wait_for() {
  local label=$1 log=$2 pidfile=$3 deadline=$((SECONDS + WAIT_SECONDS)) exited
  shift 3
  until "$@" >/dev/null 2>&1; do
    exited=0
    [[ ! -s $pidfile ]] || running "$pidfile" || exited=1
    if ((exited || SECONDS >= deadline)); then
      if ((exited)); then
        sleep 0.2 # let its last words reach the log
        echo "servers: error: the $label server exited instead of coming up." >&2
      else
        echo "servers: error: the $label server did not come up within ${WAIT_SECONDS} s." >&2
      fi
      echo "servers: last lines of $log:" >&2
      tail -n 20 "$log" >&2 2>/dev/null || true
      stop_all
      exit 1
    fi
    sleep 0.1
  done
}

# --- the three servers ------------------------------------------------------------------------

USER_NAME=$(id -un)

# The first ssh on PATH that is not our own wrapper.
real_ssh() {
  local dir
  local IFS=:
  for dir in $PATH; do
    [[ $dir == "$BIN_DIR" || -z $dir ]] && continue
    if [[ -x $dir/ssh && ! -d $dir/ssh ]]; then
      echo "$dir/ssh"
      return 0
    fi
  done
  return 1
}

start_sftp() {
  mkdir -p "$SSH_DIR" "$SFTP_ROOT" "$BIN_DIR"
  chmod 700 "$SSH_DIR"
  [[ -s $SSH_DIR/host_ed25519 ]] || ssh-keygen -q -t ed25519 -N '' -C pvault-test-host -f "$SSH_DIR/host_ed25519"
  [[ -s $SSH_DIR/client_ed25519 ]] || ssh-keygen -q -t ed25519 -N '' -C pvault-test-client -f "$SSH_DIR/client_ed25519"
  cp "$SSH_DIR/client_ed25519.pub" "$SSH_DIR/authorized_keys"
  # The host key is ours, so known_hosts is written from it rather than scanned.
  echo "[$HOST]:$SFTP_PORT $(cut -d' ' -f1-2 "$SSH_DIR/host_ed25519.pub")" >"$SSH_DIR/known_hosts"

  cat >"$SSH_DIR/sshd_config" <<EOF
# Private sshd for photovault's SFTP tests (written by .ci/servers.sh).
ListenAddress $HOST
Port $SFTP_PORT
HostKey $SSH_DIR/host_ed25519
PidFile $RUN_DIR/sshd.pid
AuthorizedKeysFile $SSH_DIR/authorized_keys
AuthenticationMethods publickey
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
AllowUsers $USER_NAME
UsePAM no
StrictModes no
PrintMotd no
MaxStartups 100:30:200
MaxSessions 100
Subsystem sftp internal-sftp
EOF

  local ssh_bin
  ssh_bin=$(real_ssh) || die "no ssh client on PATH (package openssh-client)"
  cat >"$BIN_DIR/ssh" <<EOF
#!/bin/sh
# ssh with the private known_hosts and client key of the test sshd (.ci/servers.sh);
# nothing in ~/.ssh is read for them or written.
exec '$ssh_bin' -o 'UserKnownHostsFile=$SSH_DIR/known_hosts' -o IdentitiesOnly=yes -i '$SSH_DIR/client_ed25519' "\$@"
EOF
  chmod 755 "$BIN_DIR/ssh"

  # sshd refuses to start as root without its privilege separation folder.
  [[ $(id -u) -ne 0 ]] || mkdir -p /run/sshd
  /usr/sbin/sshd -t -f "$SSH_DIR/sshd_config" 2>"$LOG_DIR/sshd.log" ||
    { cat "$LOG_DIR/sshd.log" >&2; die "the sshd configuration $SSH_DIR/sshd_config is refused"; }
  # sshd puts itself in the background and writes its pid file.
  /usr/sbin/sshd -f "$SSH_DIR/sshd_config" -E "$LOG_DIR/sshd.log" </dev/null
  wait_for sftp "$LOG_DIR/sshd.log" "$RUN_DIR/sshd.pid" \
    "$BIN_DIR/ssh" -o BatchMode=yes -o ConnectTimeout=2 -p "$SFTP_PORT" "$USER_NAME@$HOST" true
}

# s3_answers: a signed ListObjectsV2 of the bucket succeeds (curl signs with SigV4 itself; S3
# servers want the payload hash header, which curl does not add).
s3_answers() {
  curl -sf --max-time 2 --aws-sigv4 "aws:amz:$S3_REGION:s3" --user "$S3_ACCESS_KEY:$S3_SECRET_KEY" \
    -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' "http://$HOST:$S3_PORT/$S3_BUCKET?list-type=2"
}

start_s3() {
  case $S3_SERVER in
    s3s-fs) start_s3s_fs ;;
    garage) start_garage ;;
  esac
}

start_s3s_fs() {
  local s3s_fs
  s3s_fs=$(find_s3s_fs) || die "s3s-fs not found"
  mkdir -p "$S3_ROOT/$S3_BUCKET" # each top-level folder is a bucket
  spawn "$RUN_DIR/s3.pid" "$LOG_DIR/s3.log" \
    env RUST_LOG=info "$s3s_fs" --host "$HOST" --port "$S3_PORT" \
    --access-key "$S3_ACCESS_KEY" --secret-key "$S3_SECRET_KEY" "$S3_ROOT"
  wait_for s3 "$LOG_DIR/s3.log" "$RUN_DIR/s3.pid" s3_answers
}

# One Garage node holding every partition: RPC on the S3 port + 1, metadata and data under
# S3_ROOT, then the layout, the key and the bucket through its command line.
start_garage() {
  local garage config=$STATE/garage.toml id
  garage=$(find_garage) || die "PVAULT_SERVERS_S3=garage, but no garage binary on PATH or in $(cargo_bin_dir) (cargo install garage --locked)"
  mkdir -p "$S3_ROOT/meta" "$S3_ROOT/data"
  {
    echo "# One-node Garage for photovault's S3 tests and benchmarks (written by .ci/servers.sh)."
    echo "metadata_dir = \"$S3_ROOT/meta\""
    echo "data_dir = \"$S3_ROOT/data\""
    echo 'db_engine = "lmdb"'
    echo 'replication_factor = 1'
    echo 'compression_level = "none"'
    echo "rpc_bind_addr = \"$HOST:$((S3_PORT + 1))\""
    echo "rpc_public_addr = \"$HOST:$((S3_PORT + 1))\""
    echo "rpc_secret = \"$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')\""
    echo '[s3_api]'
    echo "s3_region = \"$S3_REGION\""
    echo "api_bind_addr = \"$HOST:$S3_PORT\""
  } >"$config"
  chmod 600 "$config"
  spawn "$RUN_DIR/s3.pid" "$LOG_DIR/s3.log" env RUST_LOG=garage=warn "$garage" -c "$config" server
  wait_for s3 "$LOG_DIR/s3.log" "$RUN_DIR/s3.pid" "$garage" -c "$config" status
  id=$("$garage" -c "$config" node id -q)
  "$garage" -c "$config" layout assign -z local -c 100G "${id%@*}" >/dev/null
  "$garage" -c "$config" layout apply --version 1 >/dev/null
  "$garage" -c "$config" key import "$S3_ACCESS_KEY" "$S3_SECRET_KEY" -n pvault-test --yes >/dev/null
  "$garage" -c "$config" bucket create "$S3_BUCKET" >/dev/null
  "$garage" -c "$config" bucket allow --read --write --owner "$S3_BUCKET" --key pvault-test >/dev/null
  wait_for s3 "$LOG_DIR/s3.log" "$RUN_DIR/s3.pid" s3_answers
}

start_webdav() {
  mkdir -p "$WEBDAV_ROOT"
  : >"$STATE/rclone.conf" # an empty config of its own: ~/.config/rclone is not read
  # --dir-cache-time 0: a listing always reads the folder, so files changed behind the server's
  # back (tests that damage a repository) are seen at once.
  spawn "$RUN_DIR/rclone.pid" "$LOG_DIR/rclone.log" \
    rclone serve webdav "$WEBDAV_ROOT" --config "$STATE/rclone.conf" \
    --addr "$HOST:$WEBDAV_PORT" --user "$WEBDAV_USER" --pass "$WEBDAV_PASSWORD" \
    --dir-cache-time 0s --log-level NOTICE
  wait_for webdav "$LOG_DIR/rclone.log" "$RUN_DIR/rclone.pid" \
    curl -sf --max-time 2 -u "$WEBDAV_USER:$WEBDAV_PASSWORD" -X PROPFIND -H 'Depth: 0' \
    "http://$HOST:$WEBDAV_PORT/"
}

write_env() {
  local tmp=$STATE/env.tmp
  {
    echo "# Written by .ci/servers.sh start; source it to reach the test servers."
    # shellcheck disable=SC2016 # $PATH is expanded when the file is sourced
    printf 'export PATH=%q:"$PATH"\n' "$BIN_DIR"
    printf 'export PVAULT_TEST_SFTP_BASE=%q\n' "sftp://$USER_NAME@$HOST:$SFTP_PORT$SFTP_ROOT"
    printf 'export PVAULT_TEST_S3_BASE=%q\n' "s3:http://$HOST:$S3_PORT/$S3_BUCKET"
    printf 'export PVAULT_TEST_S3_ACCESS_KEY=%q\n' "$S3_ACCESS_KEY"
    printf 'export PVAULT_TEST_S3_SECRET_KEY=%q\n' "$S3_SECRET_KEY"
    printf 'export PVAULT_TEST_S3_REGION=%q\n' "$S3_REGION"
    printf 'export PVAULT_TEST_S3_SERVER=%q\n' "$S3_SERVER"
    printf 'export PVAULT_TEST_WEBDAV_BASE=%q\n' "webdav:http://$HOST:$WEBDAV_PORT/"
    printf 'export PVAULT_TEST_WEBDAV_USER=%q\n' "$WEBDAV_USER"
    printf 'export PVAULT_TEST_WEBDAV_PASSWORD=%q\n' "$WEBDAV_PASSWORD"
    printf 'export PVAULT_TEST_S3S_FS=%q\n' "$(find_s3s_fs)"
    printf 'export PVAULT_TEST_SERVER_STATE=%q\n' "$STATE"
  } >"$tmp"
  mv "$tmp" "$STATE/env"
}

start_all() {
  local began=$SECONDS
  install_missing
  stop_all
  rm -f "$STATE/env"
  check_port_free sftp "$SFTP_PORT" PVAULT_SERVERS_SFTP_PORT
  check_port_free s3 "$S3_PORT" PVAULT_SERVERS_S3_PORT
  check_port_free webdav "$WEBDAV_PORT" PVAULT_SERVERS_WEBDAV_PORT
  # Every start serves empty folders (only these three; the rest of STATE_DIR is kept).
  rm -rf "$SFTP_ROOT" "$S3_ROOT" "$WEBDAV_ROOT"
  mkdir -p "$LOG_DIR" "$RUN_DIR" "$BIN_DIR"
  start_sftp
  start_s3
  start_webdav
  write_env
  say "sftp on $HOST:$SFTP_PORT (pid $(<"$RUN_DIR/sshd.pid")), s3 ($S3_SERVER) on $HOST:$S3_PORT (pid $(<"$RUN_DIR/s3.pid")), webdav on $HOST:$WEBDAV_PORT (pid $(<"$RUN_DIR/rclone.pid")), up in $((SECONDS - began)) s"
  say "source $STATE/env"
}

status_all() {
  local label file name entry code=0
  for entry in "sftp sshd.pid $SSH_DIR/sshd_config" "s3 s3.pid $S3_PROCESS" "webdav rclone.pid rclone"; do
    read -r label file name <<<"$entry"
    if pid_alive "$RUN_DIR/$file" "$name"; then
      say "$label running (pid $(<"$RUN_DIR/$file"))"
    else
      say "$label not running"
      code=1
    fi
  done
  return $code
}

main() {
  local command=${1:-}
  case $command in
    start) set_state_dir "${2:-}"; start_all ;;
    stop)
      # Nothing to stop in a state folder that does not exist (and none is created).
      local dir=${2:-${PVAULT_TEST_SERVER_STATE:-${TMPDIR:-/tmp}/pvault-test-servers}}
      [[ -d $dir ]] || { say "nothing to stop: $dir does not exist"; return 0; }
      set_state_dir "$dir"
      stop_all
      ;;
    status) set_state_dir "${2:-}"; status_all ;;
    install) install_missing ;;
    -h | --help | help) usage ;;
    *) usage >&2; exit 2 ;;
  esac
}

main "$@"
