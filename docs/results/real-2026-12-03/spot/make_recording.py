#!/usr/bin/env python3
"""The spot test recording: the ten command words of three real test speakers in a row.

    python3 docs/results/real-2026-12-03/spot/make_recording.py /tmp/spot

Writes real_words.wav (0.5 s of digital silence between words), real_words_noisy.wav (the same
with data/real/_background_noise_/gsc_silence.wav, real room and device noise, added at its
recorded level) and truth.txt (start time, word, speaker). Python 3 stdlib only; run from the
repository root.
"""
import array, glob, os, random, sys, wave

out_dir = sys.argv[1] if len(sys.argv) > 1 else "."
os.makedirs(out_dir, exist_ok=True)
words = "yes no up down left right on off stop go".split()
speakers = ["563aa4e6", "5e3dde6b", "7257420c"]  # speakers of data/real/testing_list.txt
random.seed(0)
gap = array.array("h", [0] * 8000)
audio = array.array("h", gap)
truth = []
for s in speakers:
    order = words[:]
    random.shuffle(order)
    for w in order:
        f = sorted(glob.glob(f"data/real/{w}/{s}_nohash_*.wav"))[0]
        with wave.open(f) as r:
            clip = array.array("h", r.readframes(r.getnframes()))
        truth.append((len(audio) / 16000, w, s))
        audio.extend(clip)
        audio.extend(gap)


def write(path, samples):
    with wave.open(path, "wb") as o:
        o.setnchannels(1), o.setsampwidth(2), o.setframerate(16000)
        o.writeframes(samples.tobytes())


write(os.path.join(out_dir, "real_words.wav"), audio)
with wave.open("data/real/_background_noise_/gsc_silence.wav") as n:
    noise = array.array("h", n.readframes(n.getnframes()))
noisy = array.array("h", (max(-32768, min(32767, a + noise[i % len(noise)])) for i, a in enumerate(audio)))
write(os.path.join(out_dir, "real_words_noisy.wav"), noisy)
with open(os.path.join(out_dir, "truth.txt"), "w") as t:
    t.writelines(f"{t0:.2f} {w} {s}\n" for t0, w, s in truth)
