#!/usr/bin/env python3
"""Synthesize a small Speech-Commands-shaped keyword-spotting dataset.

Every clip is made by espeak-ng (a formant synthesizer) and post-processed
with sox, then trimmed, levelled and placed at a random offset inside a
1 s, 16 kHz, 16-bit mono WAV.  The layout and the train/validation/test
split rule are those of Google Speech Commands:

    <out>/<word>/<speaker>_nohash_<n>.wav
    <out>/_background_noise_/*.wav
    <out>/validation_list.txt, <out>/testing_list.txt
    <out>/speakers.csv                (synthesis parameters of each speaker)

Requirements: Python 3 (stdlib only) and the command-line tools
    apt-get install espeak-ng sox

Usage (from the repository root):
    python3 data/make_dataset.py                 # full set into data/
    python3 data/make_dataset.py --limit 8 --out /tmp/kws_small
    python3 data/make_dataset.py --seed 7 --jobs 2 --out /tmp/other

The same --seed (with the same espeak-ng / sox versions) gives the same set
of speakers, files and synthesis parameters; all randomness is derived from
the seed, per clip, so the number of parallel jobs does not matter.
"""

import argparse
import array
import csv
import hashlib
import math
import multiprocessing
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import wave

SAMPLE_RATE = 16000
CLIP_SAMPLES = SAMPLE_RATE  # exactly 1 s
MAX_WORD_SAMPLES = int(0.95 * SAMPLE_RATE)
TARGET_FIT_SAMPLES = int(0.92 * SAMPLE_RATE)

COMMAND_WORDS = ["yes", "no", "up", "down", "left", "right", "on", "off", "stop", "go"]
UNKNOWN_WORDS = ["bed", "bird", "cat", "dog", "happy", "house", "marvin", "sheila", "tree", "wow"]

# English espeak-ng voices (file-based "gmw" voices; mbrola voices need extra
# packages and are not used).  `en` is the same voice as `en-gb`.
ENGLISH_VOICES = [
    "en-us", "en-gb", "en-gb-scotland", "en-gb-x-gbclan", "en-gb-x-gbcwmd",
    "en-gb-x-rp", "en-029", "en-us-nyc",
]

# "Microphone" colourings applied by sox (one per speaker).
MIC_FILTERS = [
    [],
    [],
    ["highpass", "150"],
    ["highpass", "300", "lowpass", "5000"],
    ["sinc", "300-3400"],                       # telephone band
    ["lowpass", "3500"],
    ["bass", "-8", "treble", "+4"],
    ["equalizer", "1500", "1q", "+6"],
    ["equalizer", "800", "2q", "-8"],
    ["highpass", "100", "treble", "-6"],
]

# Speech Commands split rule (TensorFlow speech_commands/input_data.py which_set).
MAX_NUM_WAVS_PER_CLASS = 2 ** 27 - 1
VALIDATION_PERCENTAGE = 10
TESTING_PERCENTAGE = 10

# Defaults of the committed set.
DEFAULT_SEED = 20240611
DEFAULT_SPEAKERS = 120
COMMAND_PARTICIPATION = 0.76   # chance that a speaker says a given command word
REPEAT_PROBABILITY = 0.03      # chance of an extra repetition (n=1)
UNKNOWN_SPEAKERS_PER_WORD = 14

# Babble vocabulary: no command or unknown words in it.
BABBLE_WORDS = (
    "the a we they some many very little water morning table window garden "
    "people yesterday after before maybe because coffee paper station "
    "number letter market summer winter music picture teacher kitchen "
    "really always never often quickly slowly about under behind between "
    "little children moment answer question evening weather travel"
).split()


def which_set(filename, validation_percentage=VALIDATION_PERCENTAGE,
              testing_percentage=TESTING_PERCENTAGE):
    base_name = os.path.basename(filename)
    hash_name = re.sub(r"_nohash_.*$", "", base_name)
    hash_name_hashed = hashlib.sha1(hash_name.encode("utf-8")).hexdigest()
    percentage_hash = ((int(hash_name_hashed, 16) % (MAX_NUM_WAVS_PER_CLASS + 1))
                       * (100.0 / MAX_NUM_WAVS_PER_CLASS))
    if percentage_hash < validation_percentage:
        return "validation"
    if percentage_hash < testing_percentage + validation_percentage:
        return "testing"
    return "training"


def sub_rng(*parts):
    """An independent random.Random derived from the given parts."""
    h = hashlib.sha256("\x1f".join(str(p) for p in parts).encode("utf-8")).digest()
    return random.Random(int.from_bytes(h[:16], "big"))


# ---------------------------------------------------------------- tools

def run(cmd, stdin=None):
    p = subprocess.run(cmd, input=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if p.returncode != 0:
        raise RuntimeError("command failed (%d): %s\n%s" % (
            p.returncode, " ".join(cmd), p.stderr.decode("utf-8", "replace")))
    return p.stdout


def tool_versions():
    esp = run(["espeak-ng", "--version"]).decode().strip()
    sox = run(["sox", "--version"]).decode().strip()
    return esp, sox


def espeak_data_dir():
    out = run(["espeak-ng", "--version"]).decode()
    m = re.search(r"Data at:\s*(\S.*)$", out.strip())
    if not m:
        raise RuntimeError("cannot find espeak-ng data dir in: " + out)
    return m.group(1).strip()


def espeak_wav(voice, text, pitch=50, speed=175, tmpdir=None):
    """Run espeak-ng; return the WAV bytes it wrote."""
    fd, path = tempfile.mkstemp(suffix=".wav", dir=tmpdir)
    os.close(fd)
    try:
        run(["espeak-ng", "-v", voice, "-p", str(pitch), "-s", str(speed), "-w", path, text])
        with open(path, "rb") as f:
            return f.read()
    finally:
        os.unlink(path)


def sox_to_float(wav_bytes, effects):
    """WAV bytes -> list of float samples at 16 kHz mono after sox effects."""
    raw = run(["sox", "-R", "-V1", "-t", "wav", "-",
               "-t", "raw", "-e", "floating-point", "-b", "32", "-L",
               "-r", str(SAMPLE_RATE), "-c", "1", "-"] + effects, stdin=wav_bytes)
    return floats_from_raw(raw)


def sox_float_effects(samples, effects):
    raw_in = array.array("f", samples)
    if sys.byteorder != "little":
        raw_in.byteswap()
    fmt = ["-t", "raw", "-e", "floating-point", "-b", "32", "-L",
           "-r", str(SAMPLE_RATE), "-c", "1"]
    raw = run(["sox", "-R", "-V1"] + fmt + ["-"] + fmt + ["-"] + effects,
              stdin=raw_in.tobytes())
    return floats_from_raw(raw)


def sox_synth(seconds, effects):
    fmt = ["-t", "raw", "-e", "floating-point", "-b", "32", "-L",
           "-r", str(SAMPLE_RATE), "-c", "1"]
    raw = run(["sox", "-R", "-V1", "-n"] + fmt + ["-", "synth", "%g" % seconds] + effects)
    return floats_from_raw(raw)[: int(seconds * SAMPLE_RATE)]


def floats_from_raw(raw):
    a = array.array("f")
    a.frombytes(raw[: len(raw) - len(raw) % 4])
    if sys.byteorder != "little":
        a.byteswap()
    return list(a)


def write_wav16(path, samples_int):
    a = array.array("h", samples_int)
    if sys.byteorder != "little":
        a.byteswap()
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(SAMPLE_RATE)
        w.writeframes(a.tobytes())


def quantize(samples):
    out = []
    for x in samples:
        v = int(round(x * 32767.0))
        out.append(32767 if v > 32767 else (-32768 if v < -32768 else v))
    return out


def peak(samples):
    return max((abs(x) for x in samples), default=0.0)


# ---------------------------------------------------------------- voices

def discover_variants(tmpdir, log):
    """Variant file names under espeak-ng-data/voices/!v that really change the voice.

    espeak-ng silently falls back to the plain voice for an unknown variant,
    so every name is checked by synthesis: variants whose output equals the
    plain voice, or equals an earlier variant's output, are dropped.
    """
    vdir = os.path.join(espeak_data_dir(), "voices", "!v")
    names = sorted(n for n in os.listdir(vdir) if os.path.isfile(os.path.join(vdir, n)))
    probe = "yes no up down left right on off stop go"
    base = hashlib.sha1(espeak_wav("en-us", probe, tmpdir=tmpdir)).hexdigest()
    seen = {base: "(no variant)"}
    kept, dropped = [], []
    for n in names:
        h = hashlib.sha1(espeak_wav("en-us+" + n, probe, tmpdir=tmpdir)).hexdigest()
        if h in seen:
            dropped.append((n, seen[h]))
        else:
            seen[h] = n
            kept.append(n)
    log("espeak-ng variants in %s: %d files, %d distinct, dropped %s" % (
        vdir, len(names), len(kept),
        ", ".join("%s (= %s)" % d for d in dropped) or "none"))
    return kept, dropped


def check_voices(tmpdir, log):
    listing = run(["espeak-ng", "--voices=en"]).decode().lower()
    probe = "yes no up down left right on off stop go"
    kept, seen = [], {}
    for v in ENGLISH_VOICES:
        if not re.search(r"\s%s\s" % re.escape(v), listing):
            log("voice %s not listed by espeak-ng --voices=en; skipped" % v)
            continue
        h = hashlib.sha1(espeak_wav(v, probe, tmpdir=tmpdir)).hexdigest()
        if h in seen:
            log("voice %s sounds identical to %s; skipped" % (v, seen[h]))
            continue
        seen[h] = v
        kept.append(v)
    log("espeak-ng voices used: %s" % ", ".join(kept))
    return kept


def make_speakers(seed, n, voices, variants):
    rng = sub_rng(seed, "speakers")
    # Every (voice, variant) pair at most once; variants (plus "no variant")
    # are dealt round-robin so all of them get used before any repeats.
    pool_variants = [""] + list(variants)
    deck = []
    while len(deck) < n:
        vs = pool_variants[:]
        rng.shuffle(vs)
        deck.extend(vs)
    speakers, used_pairs, ids = [], set(), set()
    vi = rng.randrange(len(voices))
    for i in range(n):
        variant = deck[i]
        for _ in range(len(voices)):
            voice = voices[vi % len(voices)]
            vi += 1
            if (voice, variant) not in used_pairs:
                break
        used_pairs.add((voice, variant))
        pitch = rng.randint(20, 80)
        speed = rng.randint(135, 205)
        mic = rng.choice(MIC_FILTERS)
        cents = rng.choice([0, 0, rng.randint(-250, 250)])
        reverb = rng.random() < 0.25
        effects = ["gain", "-6"]
        if cents:
            effects += ["pitch", str(cents)]
        effects += mic
        if reverb:
            effects += ["reverb", str(rng.randint(20, 60)), "50", str(rng.randint(20, 80))]
        params = "voice=%s|variant=%s|pitch=%d|speed=%d|sox=%s" % (
            voice, variant, pitch, speed, " ".join(effects))
        sid = hashlib.sha1(params.encode("utf-8")).hexdigest()[:8]
        assert sid not in ids, "speaker id collision"
        ids.add(sid)
        speakers.append({
            "id": sid, "voice": voice, "variant": variant, "pitch": pitch,
            "speed": speed, "effects": effects, "split": which_set(sid + "_nohash_0.wav"),
        })
    return speakers


def plan_clips(seed, speakers):
    """List of (word, speaker, n) to synthesize."""
    rng = sub_rng(seed, "plan")
    clips = []
    for word in COMMAND_WORDS + UNKNOWN_WORDS:
        if word in COMMAND_WORDS:
            chosen = [s for s in speakers if rng.random() < COMMAND_PARTICIPATION]
        else:
            chosen = rng.sample(speakers, min(UNKNOWN_SPEAKERS_PER_WORD, len(speakers)))
        # Every word gets at least one speaker in each split (when possible).
        for split in ("training", "validation", "testing"):
            if not any(s["split"] == split for s in chosen):
                cands = [s for s in speakers if s["split"] == split and s not in chosen]
                if cands:
                    chosen.append(rng.choice(cands))
        chosen.sort(key=lambda s: s["id"])
        for s in chosen:
            clips.append((word, s, 0))
            if rng.random() < REPEAT_PROBABILITY:
                clips.append((word, s, 1))
    return clips


# ---------------------------------------------------------------- clips

def trim_bounds(x, rel_db=-40.0):
    p = peak(x)
    if p <= 0:
        return 0, 0
    thr = p * 10 ** (rel_db / 20.0)
    first = next(i for i, v in enumerate(x) if abs(v) > thr)
    last = len(x) - 1 - next(i for i, v in enumerate(reversed(x)) if abs(v) > thr)
    start = max(0, first - int(0.010 * SAMPLE_RATE))
    end = min(len(x), last + 1 + int(0.020 * SAMPLE_RATE))
    return start, end


def fade(x, ms=5):
    n = min(len(x) // 2, int(ms * SAMPLE_RATE / 1000))
    for i in range(n):
        g = i / n
        x[i] *= g
        x[-1 - i] *= g
    return x


def synth_clip(job):
    seed, out_dir, word, spk, n = job
    rng = sub_rng(seed, "clip", spk["id"], word, n)
    # Small per-utterance jitter so repetitions differ.
    if n == 0:
        pitch, speed = spk["pitch"], spk["speed"]
    else:
        pitch = min(99, max(0, spk["pitch"] + rng.randint(-6, 6)))
        speed = spk["speed"] + rng.randint(-15, 15)
    voice = spk["voice"] + ("+" + spk["variant"] if spk["variant"] else "")
    wav = espeak_wav(voice, word, pitch, speed)
    raw_hash = hashlib.sha1(wav).hexdigest()
    x = sox_to_float(wav, spk["effects"])
    a, b = trim_bounds(x)
    x = x[a:b]
    sped = 1.0
    if len(x) > MAX_WORD_SAMPLES:
        sped = len(x) / TARGET_FIT_SAMPLES
        x = sox_float_effects(x, ["tempo", "-s", "%.4f" % sped])
        a, b = trim_bounds(x)
        x = x[a:b][:MAX_WORD_SAMPLES]
    x = fade(x)
    level_db = rng.uniform(-12.0, -1.0)
    g = 10 ** (level_db / 20.0) / max(peak(x), 1e-9)
    x = [v * g for v in x]
    offset = rng.randint(0, CLIP_SAMPLES - len(x))
    noise_std = math.exp(rng.uniform(math.log(1.5), math.log(10.0))) / 32767.0
    out = [rng.gauss(0.0, noise_std) for _ in range(CLIP_SAMPLES)]
    for i, v in enumerate(x):
        out[offset + i] += v
    name = "%s_nohash_%d.wav" % (spk["id"], n)
    path = os.path.join(out_dir, word, name)
    write_wav16(path, quantize(out))
    return {
        "word": word, "file": name, "speaker": spk["id"], "raw_hash": raw_hash,
        "word_samples": len(x), "tempo": sped, "offset": offset,
    }


# ---------------------------------------------------------------- background

def normalize(x, peak_db):
    g = 10 ** (peak_db / 20.0) / max(peak(x), 1e-9)
    return [v * g for v in x]


def smooth_envelope(rng, n, rate_hz, lo, hi):
    """Random, smoothly varying gain curve (cosine-interpolated control points)."""
    step = max(1, int(SAMPLE_RATE / rate_hz))
    pts = [rng.uniform(lo, hi) for _ in range(n // step + 2)]
    env = []
    for i in range(n):
        k, f = divmod(i, step)
        t = (1 - math.cos(math.pi * f / step)) / 2
        env.append(pts[k] * (1 - t) + pts[k + 1] * t)
    return env


def make_background(seed, out_dir, speakers, log):
    bg = os.path.join(out_dir, "_background_noise_")
    os.makedirs(bg, exist_ok=True)
    rng = sub_rng(seed, "background")
    files = {}
    sec = 12
    n = sec * SAMPLE_RATE
    files["white_noise.wav"] = normalize(sox_synth(sec, ["whitenoise"]), -6)
    files["pink_noise.wav"] = normalize(sox_synth(sec, ["pinknoise"]), -6)
    files["brown_noise.wav"] = normalize(
        sox_synth(sec, ["brownnoise", "highpass", "20"]), -6)

    # Running tap: band-limited noise with a fluctuating level plus small drips.
    tap = sox_synth(sec, ["whitenoise", "sinc", "400-6000", "equalizer", "2500", "1q", "+6"])
    env = smooth_envelope(rng, n, 12, 0.55, 1.0)
    tap = [v * e for v, e in zip(tap, env)]
    for _ in range(sec * 6):
        f = rng.uniform(800, 3000)
        pos = rng.randrange(n - 2000)
        amp = rng.uniform(0.3, 0.9)
        for i in range(1200):
            tap[pos + i] += amp * math.exp(-i / 250.0) * math.sin(
                2 * math.pi * (f + 1.2 * i) * i / SAMPLE_RATE)
    files["running_tap.wav"] = normalize(tap, -6)

    # Mains hum with harmonics plus a fan-like low rumble.
    fan = sox_synth(sec, ["pinknoise", "lowpass", "800"])
    fan = normalize(fan, -1)
    harm = [(50, 1.0), (100, 0.6), (150, 0.35), (200, 0.2), (250, 0.12), (350, 0.06)]
    phases = [rng.uniform(0, 2 * math.pi) for _ in harm]
    hum = []
    for i in range(n):
        t = i / SAMPLE_RATE
        s = sum(a * math.sin(2 * math.pi * f * t + p) for (f, a), p in zip(harm, phases))
        hum.append(0.5 * s + 0.25 * fan[i])
    files["hum.wav"] = normalize(hum, -6)

    # Babble: many quiet, overlapping espeak utterances of non-keyword speech.
    babble = [0.0] * n
    # Only training-split speakers, so no validation/test voice leaks into
    # the noise that training mixes in.
    talkers = [s for s in speakers if s["split"] == "training"] or speakers
    tmpdir = tempfile.mkdtemp(prefix="babble")
    try:
        for k in range(36):
            spk = rng.choice(talkers)
            text = " ".join(rng.choice(BABBLE_WORDS) for _ in range(rng.randint(4, 9)))
            voice = spk["voice"] + ("+" + spk["variant"] if spk["variant"] else "")
            wav = espeak_wav(voice, text, spk["pitch"], spk["speed"], tmpdir=tmpdir)
            x = sox_to_float(wav, spk["effects"] + ["reverb", "60"])
            x = normalize(x, rng.uniform(-14, -6))
            pos = rng.randrange(-len(x) // 2, n)
            for i, v in enumerate(x):
                j = (pos + i) % n  # wrap around so the file loops cleanly
                babble[j] += v
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)
    babble = sox_float_effects(babble, ["lowpass", "4000"])
    files["babble.wav"] = normalize(babble, -6)

    for name, x in sorted(files.items()):
        x = x[:n] + [0.0] * (n - len(x))
        write_wav16(os.path.join(bg, name), quantize(x))
    log("background noise: %s (%d s each)" % (", ".join(sorted(files)), sec))
    return sorted(files)


# ---------------------------------------------------------------- main

def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=here, help="output folder (default: the script's folder, data/)")
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed (default %(default)s)")
    ap.add_argument("--speakers", type=int, default=DEFAULT_SPEAKERS,
                    help="size of the synthetic speaker pool (default %(default)s)")
    ap.add_argument("--limit", type=int, default=None,
                    help="only use the first N speakers of the pool (quick test)")
    ap.add_argument("--jobs", type=int, default=2, help="parallel workers (default %(default)s)")
    ap.add_argument("--no-background", action="store_true", help="skip _background_noise_")
    args = ap.parse_args()

    for tool in ("espeak-ng", "sox"):
        if shutil.which(tool) is None:
            sys.exit("%s not found; install with: apt-get install espeak-ng sox" % tool)

    def log(msg):
        print(msg, flush=True)

    out = os.path.abspath(args.out)
    os.makedirs(out, exist_ok=True)
    esp_v, sox_v = tool_versions()
    log("%s | %s" % (esp_v.splitlines()[0], sox_v))

    tmpdir = tempfile.mkdtemp(prefix="kwsgen")
    try:
        variants, _dropped = discover_variants(tmpdir, log)
        voices = check_voices(tmpdir, log)
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)

    speakers = make_speakers(args.seed, args.speakers, voices, variants)
    if args.limit:
        speakers = speakers[: args.limit]
    clips = plan_clips(args.seed, speakers)
    log("%d speakers, %d clips planned" % (len(speakers), len(clips)))

    # Remove clips of an earlier run (only files this script would write).
    pat = re.compile(r"^[0-9a-f]{8}_nohash_\d+\.wav$")
    for word in COMMAND_WORDS + UNKNOWN_WORDS:
        d = os.path.join(out, word)
        os.makedirs(d, exist_ok=True)
        for f in os.listdir(d):
            if pat.match(f):
                os.unlink(os.path.join(d, f))

    jobs = [(args.seed, out, w, s, k) for (w, s, k) in clips]
    results = []
    with multiprocessing.Pool(max(1, args.jobs)) as pool:
        for i, r in enumerate(pool.imap(synth_clip, jobs, chunksize=8), 1):
            results.append(r)
            if i % 100 == 0 or i == len(jobs):
                log("  %d/%d clips" % (i, len(jobs)))

    if not args.no_background:
        make_background(args.seed, out, speakers, log)

    # Split lists.
    lists = {"validation": [], "testing": []}
    for r in results:
        rel = "%s/%s" % (r["word"], r["file"])
        split = which_set(r["file"])
        r["split"] = split
        if split in lists:
            lists[split].append(rel)
    for split, fname in (("validation", "validation_list.txt"), ("testing", "testing_list.txt")):
        with open(os.path.join(out, fname), "w", newline="\n") as f:
            for rel in sorted(lists[split]):
                f.write(rel + "\n")

    # Speaker table.
    with open(os.path.join(out, "speakers.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["speaker", "split", "voice", "variant", "pitch", "speed_wpm", "sox_effects"])
        for s in sorted(speakers, key=lambda s: s["id"]):
            w.writerow([s["id"], s["split"], s["voice"], s["variant"], s["pitch"],
                        s["speed"], " ".join(s["effects"])])

    # Checks and summary.
    ok = True
    dup = {}
    for r in results:
        dup.setdefault((r["word"], r["raw_hash"]), set()).add(r["speaker"])
    same = [(w, sorted(s)) for (w, _), s in dup.items() if len(s) > 1]
    if same:
        ok = False
        log("WARNING: byte-identical espeak output for different speakers: %s" % same[:10])
    else:
        log("check: no two speakers produced byte-identical espeak audio for the same word")
    sped = [r for r in results if r["tempo"] > 1.0]
    log("clips sped up to fit 0.95 s: %d" % len(sped))
    durs = sorted(r["word_samples"] / SAMPLE_RATE for r in results)
    log("word duration after trim: min %.3f s, median %.3f s, max %.3f s" % (
        durs[0], durs[len(durs) // 2], durs[-1]))

    splits = ("training", "validation", "testing")
    log("\n%-8s %9s %11s %8s %6s" % ("word", "training", "validation", "testing", "total"))
    totals = dict.fromkeys(splits, 0)
    for word in COMMAND_WORDS + UNKNOWN_WORDS:
        c = {s: sum(1 for r in results if r["word"] == word and r["split"] == s) for s in splits}
        for s in splits:
            totals[s] += c[s]
        log("%-8s %9d %11d %8d %6d" % (word, c["training"], c["validation"], c["testing"], sum(c.values())))
        if word in COMMAND_WORDS and not args.limit and min(c.values()) == 0:
            ok = False
            log("WARNING: %s lacks clips in some split" % word)
    log("%-8s %9d %11d %8d %6d" % ("all", totals["training"], totals["validation"],
                                    totals["testing"], sum(totals.values())))
    spk_split = {s: len({r["speaker"] for r in results if r["split"] == s}) for s in splits}
    log("distinct speakers: %d (training %d, validation %d, testing %d)" % (
        len({r["speaker"] for r in results}), spk_split["training"],
        spk_split["validation"], spk_split["testing"]))
    log("distinct (voice, variant) pairs: %d" % len({(s["voice"], s["variant"]) for s in speakers}))
    if not ok:
        sys.exit(1)


if __name__ == "__main__":
    main()
