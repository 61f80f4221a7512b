#!/usr/bin/env bash
# Reading a large video through `pvault mount` against `pvault restore` of the same file.
#
#   benches/mount-read.sh [SIZE_MB]      (default 1000; needs FUSE: root, or fusermount3)
#
# Backs up one incompressible QuickTime movie of SIZE_MB into a scratch repository, reads
# the repository's packs once (so both sides read them from the page cache and the figures
# compare CPU paths, not the disk), then, best of three each:
#   restore: `pvault restore latest:<file>` into an empty folder (wall time of the command,
#            and the same less the time of restoring a 1-byte file: start-up, index, lock)
#   mount:   a fresh `pvault mount` each time (cold blob cache, cold kernel page cache),
#            `cat` of the file through it to /dev/null
# and prints MB/s for each and the mount/restore ratio. A report, not a pass/fail test.
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE_MB=${1:-1000}
cargo build --release -q -p photovault-cli
P=$PWD/target/release/pvault
W=$(mktemp -d /tmp/pvault-mount-bench.XXXXXX)
MNT=$W/mnt
MOUNT_PID=
cleanup() {
  if [[ -n $MOUNT_PID ]]; then kill -TERM "$MOUNT_PID" 2>/dev/null || true; wait "$MOUNT_PID" 2>/dev/null || true; fi
  if mountpoint -q "$MNT" 2>/dev/null; then fusermount3 -u -z "$MNT" 2>/dev/null || umount -l "$MNT" || true; fi
  rm -rf "$W"
}
trap cleanup EXIT
export PVAULT_PASSWORD=bench PVAULT_REPOSITORY=$W/repo PVAULT_CACHE_DIR=$W/cache
unset PVAULT_PASSWORD_FILE
mkdir -p "$W/src" "$MNT"

python3 - "$W/src/big.MOV" "$SIZE_MB" <<'EOF'
import os, sys
path, mb = sys.argv[1], int(sys.argv[2])
size = mb * 1000 * 1000
box = lambda kind, body: (len(body) + 8).to_bytes(4, "big") + kind + body
with open(path, "wb") as f:
    f.write(box(b"ftyp", b"qt  \0\0\0\0qt  "))
    f.write((1).to_bytes(4, "big") + b"mdat" + (size + 16).to_bytes(8, "big"))
    left = size
    while left:
        n = min(left, 8 << 20)
        f.write(os.urandom(n))
        left -= n
    f.write(box(b"moov", box(b"mvhd", b"\0" * 100)))
EOF
printf x > "$W/src/tiny.txt"
BYTES=$(stat -c %s "$W/src/big.MOV")
"$P" init -q --kdf-memory 1024 --kdf-iterations 1 >/dev/null
"$P" backup -q "$W/src" >/dev/null
cat "$W"/repo/data/*/* > /dev/null

now() { date +%s.%N; }
best=
time_restore() { # SUBPATH -> seconds
  local best_t= t0 t
  for _ in 1 2 3; do
    rm -rf "$W/out"
    t0=$(now); "$P" restore -q "latest:$1" --target "$W/out"; t=$(echo "$(now) - $t0" | bc)
    if [[ -z $best_t ]] || (( $(echo "$t < $best_t" | bc) )); then best_t=$t; fi
  done
  echo "$best_t"
}
restore_s=$(time_restore "$W/src/big.MOV")
startup_s=$(time_restore "$W/src/tiny.txt")
rm -rf "$W/out"

mount_s=
for _ in 1 2 3; do
  "$P" mount "$MNT" >/dev/null 2>"$W/mount.err" & MOUNT_PID=$!
  for _ in $(seq 300); do mountpoint -q "$MNT" && break; sleep 0.05; done
  mountpoint -q "$MNT" || { echo "mount failed:"; cat "$W/mount.err"; exit 1; }
  F=$MNT/snapshots/latest${W}/src/big.MOV
  stat "$F" >/dev/null
  t0=$(now); cat "$F" > /dev/null; t=$(echo "$(now) - $t0" | bc)
  if [[ -z $mount_s ]] || (( $(echo "$t < $mount_s" | bc) )); then mount_s=$t; fi
  kill -TERM "$MOUNT_PID"; wait "$MOUNT_PID" || true; MOUNT_PID=
done

mbps() { echo "scale=0; $BYTES / $1 / 1000000" | bc; }
restore_net=$(echo "$restore_s - $startup_s" | bc)
printf 'file: %s MB, %s cores\n' "$((BYTES / 1000000))" "$(nproc)"
printf 'restore (whole command)      %6.2f s  %5s MB/s\n' "$restore_s" "$(mbps "$restore_s")"
printf 'restore (less start-up %.2fs) %6.2f s  %5s MB/s\n' "$startup_s" "$restore_net" "$(mbps "$restore_net")"
printf 'mount: cat through the mount %6.2f s  %5s MB/s\n' "$mount_s" "$(mbps "$mount_s")"
printf 'mount / restore: %s%% of the whole command, %s%% of restore less start-up\n' \
  "$(echo "scale=0; 100 * $restore_s / $mount_s" | bc)" "$(echo "scale=0; 100 * $restore_net / $mount_s" | bc)"
