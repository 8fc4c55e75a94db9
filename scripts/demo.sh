#!/usr/bin/env bash
# Runs the product on a fresh machine: sets up, speaks the sample script, renders the sample lesson.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

out=out/demo
mkdir -p "$out"
espeak-ng -v en-us -s 150 -w "$out/voice.wav" -f samples/lesson-en.txt
node dist/render-node/src/cli/vt.js render \
  --image samples/trainer-portrait.jpg \
  --audio "$out/voice.wav" \
  --prompt "A friendly trainer welcomes new staff in a modern office" \
  --out "$out/lesson.mp4" --force
echo
echo "Your lesson is ready: $(pwd)/$out/lesson.mp4"
echo "Poster: $out/lesson.jpg · HLS: $out/lesson.hls/index.m3u8 · details: $out/lesson.json"
