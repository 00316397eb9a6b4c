#!/bin/bash
# All speed figures side by side in one session.
# Needs the peers venv: ../shared/peers/setup.sh (creates /tmp/peers).
cd "$(dirname "$0")/.."
date; uptime
echo "== train step (randommix, criterion) threads=2 (rayon default)"
RAYON_NUM_THREADS=2 cargo bench --bench train_step -- --warm-up-time 2 --measurement-time 8 2>&1 | grep -E "^(train_step|inference)/|time:|thrpt:" | grep -v "change"
echo "== train step threads=1"
RAYON_NUM_THREADS=1 cargo bench --bench train_step -- --warm-up-time 2 --measurement-time 8 2>&1 | grep -E "^(train_step|inference)/|time:|thrpt:" | grep -v "change"
echo "== torch threads 2 / 1"
/tmp/peers/bin/python ../shared/peers/bench_train.py --threads 2 --steps 40
/tmp/peers/bin/python ../shared/peers/bench_train.py --threads 1 --steps 40
echo "== streaming spot, real-time factor (randommix, one core; elem/s = audio seconds per second)"
RAYON_NUM_THREADS=1 cargo bench -p randommix --bench stream_rtf -- --warm-up-time 2 --measurement-time 8 2>&1 | grep -E "^stream/|thrpt:" | grep -v "change"
echo "== logmel (randommix)"
cargo bench --bench logmel 2>&1 | grep -E "^[a-z_/0-9]+|time:|thrpt:" | grep -v "change\|Warming\|Collecting\|Analyzing\|Benchmarking"
echo "== logmel peers"
/tmp/peers/bin/python ../shared/peers/bench_logmel.py data/synthetic --threads 1
echo "== mix (randommix)"
cargo bench --bench mix 2>&1 | grep -E "time:|^[a-z_/0-9]+ " | grep -v "change\|Warming\|Collecting\|Analyzing\|Benchmarking"
echo "== mix peers"
/tmp/peers/bin/python ../shared/peers/bench_mix.py --threads 1
date; uptime
echo "== invert peers (librosa, 5 clips)"
/tmp/peers/bin/python benches/peers_invert.py $(ls data/synthetic/yes/*.wav | head -5) --repeat 1 2>&1 | tail -8
date
