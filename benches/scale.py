#!/usr/bin/env python3
"""Scale benchmark: `randommix train` on a folder the size of Speech Commands v0.02.

Builds (once) a folder of N one-second clips (default 105,000) in the 35 word folders of
v0.02, made of hard links to the bundled clips (data/real + data/synthetic; reading stays
cheap and the folder takes no disk), with the hash-rule splits (no list files), and trains one
epoch on it. Reports the index + decode time, peak RSS and training samples/s.

    python3 benches/scale.py                     # target/release/randommix, 105,000 clips
    python3 benches/scale.py --bin /path/randommix --clips 20000 --threads 2 --task 12

The folder is kept in --folder (default /tmp/randommix-scale-<N>) for later runs.
"""
import argparse, hashlib, os, re, resource, subprocess, sys, time

WORDS = ("backward bed bird cat dog down eight five follow forward four go happy house learn "
         "left marvin nine no off on one right seven sheila six stop three tree two up visual "
         "wow yes zero").split()


def sources(repo):
    out = []
    for root in ("data/real", "data/synthetic"):
        for dirpath, _, files in os.walk(os.path.join(repo, root)):
            if "_background_noise_" in dirpath:
                continue
            out += [os.path.join(dirpath, f) for f in sorted(files) if f.endswith(".wav")]
    return sorted(out)


def build(folder, n, repo):
    done = os.path.join(folder, ".complete")
    if os.path.exists(done) and open(done).read().strip() == str(n):
        return
    src = sources(repo)
    if not src:
        sys.exit("no bundled clips found under data/")
    tmp = folder + ".partial"
    subprocess.run(["rm", "-rf", tmp], check=True)
    for w in WORDS:
        os.makedirs(os.path.join(tmp, w))
    noise_src = os.path.join(repo, "data/real/_background_noise_")
    os.makedirs(os.path.join(tmp, "_background_noise_"))
    for f in sorted(os.listdir(noise_src)):
        if f.endswith(".wav"):
            os.link(os.path.join(noise_src, f), os.path.join(tmp, "_background_noise_", f))
    for k in range(n):
        # About five clips per speaker, as in Speech Commands.
        spk = hashlib.sha1(str(k // 5).encode()).hexdigest()[:8]
        name = f"{spk}_nohash_{k % 5}.wav"
        os.link(src[k % len(src)], os.path.join(tmp, WORDS[k % len(WORDS)], name))
    with open(os.path.join(tmp, ".complete"), "w") as f:
        f.write(str(n))
    subprocess.run(["rm", "-rf", folder], check=True)
    os.rename(tmp, folder)


def main():
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", default=os.path.join(repo, "target/release/randommix"))
    ap.add_argument("--clips", type=int, default=105_000)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--task", default="all",
                    help="`all` (every word a class: all 105 k clips in use) or `12`")
    ap.add_argument("--folder")
    ap.add_argument("--out", help="run folder (default: a fresh one under /tmp)")
    a = ap.parse_args()
    folder = a.folder or f"/tmp/randommix-scale-{a.clips}"
    t = time.time()
    build(folder, a.clips, repo)
    print(f"folder: {folder} ({a.clips} clips; ready in {time.time() - t:.1f} s)")
    out = a.out or f"/tmp/randommix-scale-run-{os.getpid()}"
    cmd = [a.bin, "--threads", str(a.threads), "train", "--data", folder, "--epochs", "1",
           "--task", a.task, "--quiet", "--out", out]
    print("command:", " ".join(cmd))
    t = time.time()
    p = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.time() - t
    rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # KiB -> MiB
    log = p.stdout + p.stderr
    if p.returncode != 0:
        sys.exit(f"training failed ({p.returncode}):\n{log}")
    data = re.search(r"^data: [^(]*\((.*)\)$", log, re.M)
    index = re.search(r"indexed in ([0-9.]+) s", log)
    load = re.search(r"(?:decoded|checked.*?) in ([0-9.]+) s", log)
    epoch = re.search(r"epoch +1: .*?\| ([0-9.]+) samples/s, data wait ([0-9.]+) %", log)
    print(f"data: {data.group(1) if data else '?'}")
    print(f"index: {index.group(1) if index else '?'} s; decode: {load.group(1) if load else '?'} s")
    print(f"training: {epoch.group(1) if epoch else '?'} samples/s "
          f"(data wait {epoch.group(2) if epoch else '?'} %)")
    print(f"peak RSS: {rss:.0f} MiB")
    print(f"wall: {wall:.0f} s")


if __name__ == "__main__":
    main()
