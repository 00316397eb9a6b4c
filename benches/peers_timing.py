"""Timing shared by randommix's PyTorch twins (peers_train_default.py, peers_train_bcresnet.py),
measured like ../shared/peers/bench_train.py: soft-target cross-entropy, AdamW lr 1e-3, 5 warm-up
steps, then `steps` timed training steps and `steps` timed inference batches."""
import time

import torch


def time_net(net, batch, threads, steps, tag):
    """Prints `torch_<tag>_train: N samples/s …` and `torch_<tag>_infer: N clips/s` for `net`
    on a random [batch, 1, 40, 101] input."""
    opt = torch.optim.AdamW(net.parameters(), lr=1e-3)
    x = torch.randn(batch, 1, 40, 101); t = torch.softmax(torch.randn(batch, 12), dim=1)

    def step():
        opt.zero_grad()
        loss = -(t * torch.log_softmax(net(x), dim=1)).sum(1).mean()
        loss.backward(); opt.step()

    for _ in range(5):
        step()
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    dt = time.perf_counter() - t0
    print(f"torch_{tag}_train: {steps * batch / dt:.0f} samples/s (batch {batch}, {threads} thread(s))")
    net.eval()
    with torch.inference_mode():
        for _ in range(3):
            net(x)
        t0 = time.perf_counter()
        for _ in range(steps):
            net(x)
        dt = time.perf_counter() - t0
    print(f"torch_{tag}_infer: {steps * batch / dt:.0f} clips/s")
