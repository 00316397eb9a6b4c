#!/bin/sh
# Builds the seed corpora under fuzz/corpus/<target> from the repository's own files
# (crates/frontend/tests/data, tests/data and data/). Run from the repository root: sh fuzz/seed_corpora.sh
set -eu
C=fuzz/corpus
mkdir -p "$C/wav_decode" "$C/dataset_list" "$C/npy_render" "$C/mix_spec" "$C/mixers"

# WAV: the format fixtures and broken files, plus short prefixes of bundled clips.
cp crates/frontend/tests/data/audio/*.wav "$C/wav_decode/"
for f in data/synthetic/yes/02155165_nohash_0.wav data/synthetic/_background_noise_/hum.wav; do
    n=$(basename "$f" .wav)
    head -c 2048 "$f" > "$C/wav_decode/prefix2k-$n.wav"
    head -c 60 "$f" > "$C/wav_decode/prefix60-$n.wav"
done
# The regression inputs of earlier crashes, if any.
if [ -d tests/data/fuzz ]; then
    for t in wav_decode dataset_list npy_render mix_spec mixers; do
        [ -d "tests/data/fuzz/$t" ] && cp tests/data/fuzz/"$t"/* "$C/$t/" 2>/dev/null || true
    done
fi

# Dataset lists: the bundled lists and a few hand-written bad lines.
head -n 40 data/validation_list.txt > "$C/dataset_list/validation_head.txt"
head -n 40 data/testing_list.txt > "$C/dataset_list/testing_head.txt"
printf 'yes/a_nohash_0.wav\n../x.wav\n' > "$C/dataset_list/dotdot.txt"
printf '/etc/passwd\n' > "$C/dataset_list/absolute.txt"
printf 'yes\\a_nohash_0.wav\r\n./no/b.wav\n\n' > "$C/dataset_list/windows.txt"

# .npy: the reference filterbanks.
cp crates/frontend/tests/data/logmel_ref/*.npy "$C/npy_render/"

# Mix specs: the README examples.
i=0
for s in none mixup cutmix resizemix fmix 'mixup:1,cutmix:1,resizemix:1,fmix:1' \
    'mixup:1(alpha=0.4),cutmix:2(region=time)' 'mixup:1,fmix:1(decay=3,region=freq);p=0.5;per=sample' \
    'resizemix(min=0.1,max=0.8,per=sample)' 'cutmix:-1' 'fmix(alpha=0)'; do
    printf '%s' "$s" > "$C/mix_spec/readme-$i"
    i=$((i + 1))
done

# Mixers: a few byte strings (the target builds its batches from any bytes), taken from the
# middle of a bundled clip so that the seeds are the same on every machine.
for n in 16 64 256 1024 4096; do
    tail -c +2000 data/yes/02155165_nohash_0.wav | head -c "$n" > "$C/mixers/clip-$n"
done
echo "seed corpora in $C"
