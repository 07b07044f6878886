"""Distribution: 2 replicas on 2 logical CPUs train exactly like one device; 2 worker processes stay in sync.

Both need a fresh TensorFlow (logical devices and collective ops are fixed when TF initialises), so each runs
this file as a script in a subprocess (`python tests/test_training_distributed.py <mode> <out.npz>`).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

HERE = Path(__file__).resolve()
REPO = HERE.parent.parent
# One step, compared to 1e-5: from the second step on, the hinge loss's kinks (with 2 samples per slice, a score
# crossing one at the rounding level changes a gradient by half) grow rounding into ~1e-5 within 3 steps.
STEPS = 1
TIMEOUT_S = 300

TINY = {
    "model": {
        "high_to_low": {"filters": 8, "noise_dim": 8, "blocks_per_group": 1},
        "low_to_high": {"group_filters": [16, 8, 8], "group_blocks": [1, 1, 1]},
        "discriminator": {"filters": 16},
    },
    # Adam's epsilon at its default (1e-7) turns rounding-level gradients (the bias of a convolution followed by
    # BatchNorm has an exact gradient of 0) into full-size steps of either sign; 1e-3 keeps them rounding-sized.
    "training": {
        "stage": "high_to_low", "batch_size": 8, "n_critic": 2, "steps": STEPS, "steps_per_epoch": STEPS,
        "g_optimizer": {"epsilon": 1e-3}, "d_optimizer": {"epsilon": 1e-3},
        # The paper's beta: the GAN term's path (generated faces through the discriminator) must agree too.
        "beta": 0.05,
    },
}


def _env(**extra: str) -> dict[str, str]:
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONPATH=str(REPO), **extra)
    env.pop("TF_CONFIG", None)
    env.update(extra)
    return env


def _free_ports(n: int) -> list[int]:
    sockets = [socket.socket() for _ in range(n)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


# ------------------------------------------------------------------------------------------ the tests
def test_two_replicas_train_like_one_device(tmp_path):
    out = tmp_path / "mirrored.npz"
    result = subprocess.run(
        [sys.executable, str(HERE), "mirrored", str(out)], env=_env(), capture_output=True, text=True, timeout=TIMEOUT_S
    )
    assert result.returncode == 0, result.stderr[-3000:]
    data = np.load(out)
    assert int(data["replicas"]) == 2
    assert not bool(data["jit"])  # jit_compile asked for, dropped under 2 replicas
    # Each replica draws noise for its own samples: the rows one device draws for the whole batch.
    np.testing.assert_array_equal(data["noise_mirrored"], data["noise_one"])
    names = sorted({k.split(":", 1)[1] for k in data.files if k.startswith("one:")})
    assert len(names) > 100
    worst = max(float(np.max(np.abs(data[f"one:{n}"] - data[f"mirrored:{n}"]))) for n in names)
    moved = max(float(np.max(np.abs(data[f"one:{n}"] - data[f"init:{n}"]))) for n in names if f"init:{n}" in data)
    assert moved > 1e-4  # the networks did train...
    # ...identically on both setups: rounding (~1e-6), where a mis-ordered read of the discriminators gave 4e-4.
    assert worst < 1e-5, f"2 replicas drifted from one device by {worst}"


def test_two_worker_processes_stay_identical(tmp_path):
    ports = _free_ports(2)
    cluster = {"worker": [f"127.0.0.1:{p}" for p in ports]}
    procs = []
    try:
        for index in range(2):
            tf_config = json.dumps({"cluster": cluster, "task": {"type": "worker", "index": index}})
            procs.append(
                subprocess.Popen(
                    [sys.executable, str(HERE), "multi_worker", str(tmp_path / f"worker{index}.npz")],
                    env=_env(TF_CONFIG=tf_config),
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    text=True,
                )
            )
        logs = [p.communicate(timeout=TIMEOUT_S)[0] for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    for index, (p, log) in enumerate(zip(procs, logs)):
        assert p.returncode == 0, f"worker {index}:\n{log[-3000:]}"
    a, b = np.load(tmp_path / "worker0.npz"), np.load(tmp_path / "worker1.npz")
    assert int(a["replicas"]) == 2 and int(a["step"]) == 3
    assert a.files == b.files and len(a.files) > 100
    for name in a.files:
        np.testing.assert_array_equal(a[name], b[name], err_msg=name)


# ----------------------------------------------------------------------------------- subprocess side
def _state(gan) -> dict[str, np.ndarray]:
    import tensorflow as tf

    return {
        f"{name}/{i}": np.array(v)
        for name, item in gan.checkpoint_items().items()
        for i, v in enumerate(tf.nest.flatten(getattr(item, "variables", item)))
    }


def _dataset(batch_size: int, steps: int):
    import tensorflow as tf

    rng = np.random.default_rng(0)
    hr = rng.uniform(-1, 1, (batch_size * steps, 64, 64, 3)).astype("float32")
    lr = rng.uniform(-1, 1, (batch_size * steps, 16, 16, 3)).astype("float32")
    return tf.data.Dataset.from_tensor_slices((hr, lr)).batch(batch_size, drop_remainder=True)


def _mirrored(out: str) -> None:
    import tensorflow as tf

    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    from tfsr.config import config_from_dict
    from tfsr.training.distribute import make_strategy
    from tfsr.training.stage import build_stage_model

    results: dict[str, np.ndarray] = {}
    for mode in ("one_device", "mirrored"):
        raw = json.loads(json.dumps(TINY))
        raw["training"].update(strategy=mode, jit_compile=mode == "mirrored")
        cfg = config_from_dict(raw, "tiny.yaml")
        strategy = make_strategy(mode)
        gan = build_stage_model(cfg, strategy)
        key = "one" if mode == "one_device" else "mirrored"
        if mode == "one_device":
            results.update({f"init:{k}": v for k, v in _state(gan).items()})
            results["noise_one"] = np.array(gan.noise(tf.constant(8), 8))
        else:
            results["replicas"], results["jit"] = np.array(strategy.num_replicas_in_sync), np.array(gan.jit_compile)
            per_replica = strategy.run(lambda: gan.noise(tf.constant(4), 8))
            results["noise_mirrored"] = np.concatenate([np.array(t) for t in strategy.experimental_local_results(per_replica)])
        gan.fit(_dataset(8, STEPS), epochs=1, verbose=0)
        results.update({f"{key}:{k}": v for k, v in _state(gan).items()})
    np.savez(out, **results)


def _multi_worker(out: str) -> None:
    from tfsr.training.distribute import make_strategy

    strategy = make_strategy("multi_worker")  # first: collective ops are configured at start-up
    from tfsr.config import config_from_dict
    from tfsr.training.stage import build_stage_model

    raw = json.loads(json.dumps(TINY))
    raw["training"].update(strategy="multi_worker", steps=3, steps_per_epoch=3)
    gan = build_stage_model(config_from_dict(raw, "tiny.yaml"), strategy)
    gan.fit(_dataset(8, 3), epochs=1, verbose=0)
    np.savez(out, replicas=np.array(strategy.num_replicas_in_sync), step=gan.step.numpy(), **_state(gan))


if __name__ == "__main__":
    {"mirrored": _mirrored, "multi_worker": _multi_worker}[sys.argv[1]](sys.argv[2])
