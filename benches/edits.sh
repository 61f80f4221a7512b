#!/usr/bin/env bash
# What one metadata edit adds to a repository, per format: photovault with plain FastCDC,
# photovault with container parts (SPEC §12.5), and restic. Prints the markdown tables of
# benches/EDITS.md.
#
#   benches/edits.sh                 # real files made by ffmpeg, heif-enc and exiftool
#   WORK=/tmp/edits benches/edits.sh # keep the samples and repositories there
#   SCALE=0.05 benches/edits.sh      # corpus size for the day-2 (mkcorpus --mutate) table
#   MUTATIONS=20 benches/edits.sh    # how many --mutate seeds pick photos to edit
#
# Needs exiftool (libimage-exiftool-perl), heif-enc (libheif-examples), ffmpeg, restic, and
# builds pvault and mkcorpus in release mode. For each sample and each edit: back up the
# original into a fresh repository, apply the edit with exiftool, back up again, and count
# what the second backup added: photovault's `data_added` (plaintext of the new blobs, data
# and folder listings) and the growth of restic's `stats --mode raw-data` (restic 0.14:
# uncompressed blobs, data and trees).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

for tool in exiftool:libimage-exiftool-perl heif-enc:libheif-examples ffmpeg:ffmpeg restic:restic; do
  command -v "${tool%%:*}" >/dev/null || {
    echo "edits.sh: ${tool%%:*} is missing (apt-get install ${tool#*:})" >&2
    exit 1
  }
done
cargo build --release -q -p photovault-cli -p photovault-testkit
target=${CARGO_TARGET_DIR:-$root/target}
pvault=$target/release/pvault
mkcorpus=$target/release/mkcorpus

work=${WORK:-$(mktemp -d /tmp/pvault-edits.XXXXXX)}
mkdir -p "$work"
export PVAULT_PASSWORD=edits RESTIC_PASSWORD=edits
keyword=$(printf 'k%.0s' $(seq 1024))

# --- samples, made once --------------------------------------------------------------------
samples=$work/samples
mkdir -p "$samples"
cd "$samples"
noise="nullsrc=s=4000x3000,geq=random(1)*255:128+30*sin(X/50):128"
if [ ! -f photo.jpg ]; then
  # A 12 MP photo with camera EXIF and a thumbnail, as cameras write them.
  ffmpeg -loglevel error -y -f lavfi -i "$noise" -frames:v 1 -q:v 2 photo.jpg
  ffmpeg -loglevel error -y -i photo.jpg -vf scale=160:120 thumb.jpg
  exiftool -q -overwrite_original '-ThumbnailImage<=thumb.jpg' -Make=Canon '-Model=Canon EOS R6' \
    '-DateTimeOriginal=2021:06:15 10:20:30' -ISO=200 -ExposureTime=1/250 -FNumber=5.6 photo.jpg
fi
if [ ! -f photo.heic ]; then
  heif-enc -q 90 -p preset=ultrafast -o photo.heic photo.jpg >/dev/null
fi
if [ ! -f clip.mp4 ]; then
  # Camera layout: ftyp, mdat, then moov at the end.
  ffmpeg -loglevel error -y -f lavfi -i "testsrc2=s=1280x720:r=30,noise=alls=40:allf=t" -t 8 \
    -c:v libx264 -preset ultrafast -b:v 16M -pix_fmt yuv420p clip.mp4
fi
if [ ! -f photo.dng ]; then
  # 16-bit TIFF strips with DNG tags: the layout of a DNG (header, IFDs, image strips).
  ffmpeg -loglevel error -y -i photo.jpg -vf scale=2400:1800 -pix_fmt rgb48le -compression_algo raw photo.tif
  exiftool -q -overwrite_original -DNGVersion=1.4.0.0 -Make=Canon '-Model=Canon EOS R6' \
    '-DateTimeOriginal=2021:06:15 10:20:30' photo.tif
  mv photo.tif photo.dng
fi
if [ ! -f photo.png ]; then
  ffmpeg -loglevel error -y -i photo.jpg -vf scale=2000:1500 photo.png
fi
cd "$root"

# --- one measurement ------------------------------------------------------------------------
# cost TOOL BEFORE_DIR AFTER_DIR: bytes added by backing up AFTER_DIR's content after
# BEFORE_DIR's, at the same path. TOOL: plain, container or restic.
cost() {
  local tool=$1 before=$2 after=$3 repo=$work/repo-$1 src=$work/src
  rm -rf "$repo" "$src" "$work/cache"
  cp -a "$before" "$src"
  case $tool in
    restic)
      restic -q -r "$repo" init >/dev/null
      restic -q -r "$repo" backup --host edits "$src" >/dev/null
      local a b
      a=$(restic -q -r "$repo" stats --mode raw-data --json | grep -o '"total_size":[0-9]*' | cut -d: -f2)
      rm -rf "$src"; cp -a "$after" "$src"; touch "$src"/*
      restic -q -r "$repo" backup --host edits "$src" >/dev/null
      b=$(restic -q -r "$repo" stats --mode raw-data --json | grep -o '"total_size":[0-9]*' | cut -d: -f2)
      echo $((b - a))
      ;;
    *)
      local pv=("$pvault" -r "$repo" --cache-dir "$work/cache")
      "${pv[@]}" init --chunking "$tool" --kdf-memory 1024 --kdf-iterations 1 -q
      "${pv[@]}" backup --host edits --json "$src" >/dev/null
      rm -rf "$src"; cp -a "$after" "$src"; touch "$src"/*
      "${pv[@]}" backup --host edits --json "$src" | grep '"summary"' |
        grep -o '"data_added":[0-9]*' | cut -d: -f2
      ;;
  esac
}

kib() { awk -v b="$1" 'BEGIN { printf "%.1f KiB", b / 1024 }'; }
pct() { awk -v b="$1" -v n="$2" 'BEGIN { printf "%.2f %%", 100 * b / n }'; }

# --- real files, real edits -----------------------------------------------------------------
echo "| file | size | edit (exiftool) | plain CDC | container parts | restic 0.14 |"
echo "|---|---|---|---|---|---|"
for file in photo.jpg photo.heic clip.mp4 photo.dng photo.png; do
  for edit in keyword rating; do
    before=$work/before-$file after=$work/after-$file-$edit
    rm -rf "$before" "$after"; mkdir -p "$before" "$after"
    cp "$samples/$file" "$before/"; cp "$samples/$file" "$after/"
    case $edit in
      keyword) exiftool -q -overwrite_original "-XMP-dc:Subject+=$keyword" "$after/$file" ;;
      rating) exiftool -q -overwrite_original -Rating=4 "$after/$file" ;;
    esac
    size=$(stat -c %s "$samples/$file")
    row="| $file | $(awk -v b="$size" 'BEGIN { printf "%.1f MB", b / 1e6 }') | $edit"
    for tool in plain container restic; do
      row="$row | $(kib "$(cost $tool "$before" "$after")")"
    done
    echo "$row |"
  done
done

# --- the corpus's day-2 EXIF rewrites -------------------------------------------------------
scale=${SCALE:-0.05}
corpus=$work/corpus-$scale
if [ ! -d "$corpus" ]; then
  "$mkcorpus" "$corpus" --seed 1 --scale "$scale" >/dev/null 2>&1
fi
rm -rf "$work/exif-before" "$work/exif-after"
mkdir -p "$work/exif-before" "$work/exif-after"
n=0 bytes=0
# Each mutation seed rewrites the EXIF of other photos (2% of the JPEGs each).
for seed in $(seq 1 "${MUTATIONS:-20}"); do
  rm -rf "$work/day2"
  cp -a "$corpus" "$work/day2"
  "$mkcorpus" "$work/day2" --seed "$seed" --mutate >/dev/null 2>&1
  while IFS= read -r rel; do
    old=$corpus/$rel new=$work/day2/$rel
    if [ -f "$new" ] && ! cmp -s "$old" "$new"; then
      name=$seed-$(echo "$rel" | tr / _)
      cp "$old" "$work/exif-before/$name"; cp "$new" "$work/exif-after/$name"
      n=$((n + 1)); bytes=$((bytes + $(stat -c %s "$new")))
    fi
  done < <(cd "$corpus" && find Photos -iname '*.jpg' | sort)
done
echo
echo "| day-2 EXIF rewrites (mkcorpus --scale $scale, --mutate with seeds 1-${MUTATIONS:-20}) | photos | their size | plain CDC | container parts | restic 0.14 |"
echo "|---|---|---|---|---|---|"
row="| JPEGs whose APP1 grew in place | $n | $(awk -v b="$bytes" 'BEGIN { printf "%.1f MB", b / 1e6 }')"
for tool in plain container restic; do
  c=$(cost $tool "$work/exif-before" "$work/exif-after")
  row="$row | $(kib "$c") ($(pct "$c" "$bytes"))"
done
echo "$row |"
[ -n "${WORK:-}" ] || rm -rf "$work"
