#!/bin/bash
# Training and inference speed of randommix (fast kernels and burn's generic ones) beside
# PyTorch, at 1 and 2 threads, in one run; prints a table of samples/s and ratios.
# Needs the peers venv: ../shared/peers/setup.sh (creates /tmp/peers). Run on a quiet machine.
set -e
cd "$(dirname "$0")/.."
PY=${PEERS_PYTHON:-/tmp/peers/bin/python}
date; uptime
cargo bench --bench train_step --no-run 2>&1 | tail -1
B=$(ls -t target/release/deps/train_step-* | grep -v '\.d$' | head -1)
out=${OUT_TABLE:-$(mktemp)}
for t in 1 2; do
  for k in fast generic; do
    g=0; [ $k = generic ] && g=1
    RANDOMMIX_GENERIC_KERNELS=$g RAYON_NUM_THREADS=$t "$B" --bench --warm-up-time 2 --measurement-time 8 2>&1 \
      | tee -a "${RAW:-/dev/null}" \
      | awk -v t=$t -v k=$k '/^(train_step|inference)\//{name=$1} /thrpt:/ && name != "" {gsub(/\[/,""); v=$4; if ($5 ~ /^K/) v*=1000; if ($5 ~ /^M/) v*=1e6; print t, k, name, v; name=""}' >> "$out"
  done
  "$PY" ../shared/peers/bench_train.py --threads $t --steps 40 | awk -v t=$t '
    /torch_train/{for(i=1;i<=NF;i++) if($i=="samples/s") print t, "torch", "train_step/reference_b64", $(i-1)}
    /torch_infer/{print t, "torch", "inference/reference_b64", $2}' >> "$out"
  "$PY" benches/peers_train_default.py --threads $t --steps 40 | awk -v t=$t '
    /torch_default_train/{print t, "torch", "train_step/default_b64", $2}
    /torch_default_infer/{print t, "torch", "inference/default_b64", $2}' >> "$out"
  "$PY" benches/peers_train_bcresnet.py --threads $t --steps 40 | awk -v t=$t '
    /torch_bcresnet_train/{print t, "torch", "train_step/bcresnet1_b64", $2}
    /torch_bcresnet_infer/{print t, "torch", "inference/bcresnet1_b64", $2}' >> "$out"
done
echo
echo "| threads | measure | net | randommix (fast kernels) | randommix (burn generic) | PyTorch | fast / PyTorch | generic / PyTorch |"
echo "|---|---|---|---|---|---|---|---|"
awk '{v[$1" "$3" "$2]=$4; key[$1" "$3]=1}
  END {for (k in key) {split(k, a, " "); split(a[2], b, "/"); f=v[k" fast"]; g=v[k" generic"]; p=v[k" torch"];
    # A net without a PyTorch figure gets no ratio.
    pt = (p > 0) ? sprintf("%.0f", p) : "–"; rf = (p > 0) ? sprintf("%.2f×", f/p) : "–"; rg = (p > 0) ? sprintf("%.2f×", g/p) : "–"
    printf "| %s | %s | %s | %.0f | %.0f | %s | %s | %s |\n", a[1], (b[1]=="train_step"?"training samples/s":"inference clips/s"), b[2], f, g, pt, rf, rg}}' "$out" | sort
[ -z "$OUT_TABLE" ] && rm -f "$out"
date
