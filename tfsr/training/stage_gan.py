"""What the three training stages share: the n_critic:1 update schedule, noise, EMA, metrics and checkpoints.

A stage (`DegradationGAN`, `SuperResolutionGAN`, `JointFineTune`) only says how one batch becomes generated
images: its `generate(data)` returns one `Branch` per generator/discriminator pair. `StageGAN.train_step` splits
the (per-replica) batch into `n_critic` strided parts, part `i` holding samples `[i::n_critic]`, so that one
device and N replicas put the same samples in each part when the batch divides by `n_critic * N`; then it

1. runs the trained generators on part 0, recording gradients, and scores the generated images with the
   discriminators called with `training=False` (spectral norm's `u` only advances in their own updates): the
   generator loss `alpha * pixel + beta * GAN`;
2. runs the generators on parts 1 to n_critic - 1 without recording gradients;
3. makes `n_critic` discriminator updates, update `i` on the real and (gradient-stopped) generated images of
   part `i`;
4. makes the generator update with the gradient of step 1.

Over a run this is the alternation of Miyato et al.'s SN-GAN (a generator update, then `n_critic` discriminator
updates): each generator update is scored by the discriminators that the previous step's updates left. As in the
authors' code, the generator update sees one discriminator batch (`batch_size / n_critic` samples), not the
whole batch: back-propagating through all of it cost about three times the generator work for the same update
size. Part 0's generated images serve both its discriminator update and the generator update, so every sample
goes through the generators once per step.

Every loss is divided by the number of replicas inside its GradientTape: the optimizers sum gradients over
replicas, so the update equals that of one device on the global batch.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import keras
import tensorflow as tf

from tfsr.training import diff_augment
from tfsr.training.distribute import MultiWorkerFitFixes, fit_logs
from tfsr.training.ema import ExponentialMovingAverage
from tfsr.training.losses import discriminator_hinge_loss, generator_hinge_loss, mean_colour_loss, pixel_loss

METRIC_NAMES = ("d_loss", "g_loss", "g_pixel", "g_gan", "d_real", "d_fake")
# Noise streams 0-3 belong to the stages; augmentation draws its own.
AUGMENT_STREAM = 7


class Branch(NamedTuple):
    """One adversarial pair of a stage.

    Args:
        discriminator: the discriminator that scores `real` against `fake`.
        real: real images of the discriminator's input size (per-replica batch).
        fake: generated images of the same size, with gradients to the trained generators.
        target: what `fake` should match pixel-wise (the pixel loss's target).
        anchored: what the pixel loss (and colour anchor) compare with `target` when not `fake` itself:
            High-to-Low's output without its degradation prior, whose levels answer to the discriminator
            alone (a pixel loss would pull every blur and noise level to zero).
    """

    discriminator: keras.Model
    real: tf.Tensor
    fake: tf.Tensor
    target: tf.Tensor
    anchored: tf.Tensor | None = None

    @property
    def pixel_fake(self) -> tf.Tensor:
        """The image that the pixel loss compares with `target`."""
        return self.fake if self.anchored is None else self.anchored


class ModelWeights(tf.Module):
    """A model's weights (trainable or not) as a checkpointable mapping keyed by their paths.

    Keras 3 models hide the weights of layers kept in Python lists (residual groups, discriminator blocks) from
    `tf.train.Checkpoint`, which would then silently save a few BatchNorm statistics and nothing else.
    """

    def __init__(self, model: keras.Model) -> None:
        super().__init__(name=f"{model.name}_weights")
        self.by_path = {w.path: w.value for w in model.weights}


def critic_slice(x: tf.Tensor, index: int, n_critic: int) -> tf.Tensor:
    """The samples of discriminator update `index`: every `n_critic`-th sample, starting at `index`."""
    return x[index::n_critic]


class StageGAN(MultiWorkerFitFixes, keras.Model):
    """Base of the stage models: trained by plain `fit`, under any `tf.distribute` strategy.

    Subclasses set the networks as attributes, pass the trained ones to `__init__`, and implement
    `generate(data) -> list[Branch]`.

    Args:
        trained_generators: generators updated by this stage, keyed `high_to_low` / `low_to_high`.
        discriminators: the discriminators of this stage.
        n_critic: discriminator updates per generator update.
        alpha: weight of the pixel loss.
        beta: weight of the GAN loss; 0 is the pixel-only baseline (the discriminators still train, so their
            metrics exist, but no GAN term reaches the generators).
        ema_decay: decay of the generators' weight averages.
        seed: seed of the noise; draws are keyed by (seed, step, replica), so resuming repeats them exactly.
        colour_anchor: weight of `mean_colour_loss` (each output's mean colour against its pixel target's),
            added to the generator loss; 0 (the paper) for none.
        d_augment: differentiable augmentations (`diff_augment.POLICIES`) of every discriminator input, real
            and generated; empty (the paper) for none. Their draws are per replica, so with them a 2-replica
            run is a statistically equal, not an identical, run to one device.
    """

    def __init__(
        self,
        trained_generators: dict[str, keras.Model],
        discriminators: list[keras.Model],
        n_critic: int = 5,
        alpha: float = 1.0,
        beta: float = 0.05,
        ema_decay: float = 0.999,
        seed: int = 0,
        d_augment: tuple[str, ...] = (),
        colour_anchor: float = 0.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if n_critic < 1:
            raise ValueError(f"n_critic must be >= 1, got {n_critic}")
        unknown = [p for p in d_augment if p not in diff_augment.POLICIES]
        if unknown:
            raise ValueError(f"unknown d_augment policies {unknown}; known: {list(diff_augment.POLICIES)}")
        self.d_augment = tuple(d_augment)
        self.colour_anchor = float(colour_anchor)
        self.n_critic = int(n_critic)
        self.alpha = float(alpha)
        self.beta = float(beta)
        self.seed = int(seed)
        self._trained = dict(trained_generators)
        self._discriminators = list(discriminators)
        self.emas = {key: ExponentialMovingAverage(g, ema_decay, name=f"{key}_ema") for key, g in self._trained.items()}
        # Generator updates done: keys the noise and survives checkpoints (an optimizer's `iterations` would
        # also count the loss-scale optimizer's skipped float16 steps differently).
        self._step = tf.Variable(0, dtype=tf.int64, trainable=False, name="step")
        # Which part of the batch `generate` is running on (see the module docstring).
        self._part = 0
        self.trackers = {name: keras.metrics.Mean(name=name) for name in METRIC_NAMES}
        self.g_optimizer: keras.optimizers.Optimizer | None = None
        self.d_optimizer: keras.optimizers.Optimizer | None = None
        # Every network is built; fit must not try to build this model by calling it.
        self.built = True

    # ----------------------------------------------------------------------------------- public API
    def compile(
        self,
        g_optimizer: keras.optimizers.Optimizer,
        d_optimizer: keras.optimizers.Optimizer,
        jit_compile: bool = False,
        **kwargs: Any,
    ) -> None:
        """Sets the optimizers and builds their variables (so a checkpoint can be restored before `fit`).

        Call it inside the strategy's scope, as the networks were built.

        Args:
            g_optimizer: updates the trained generators (one optimizer: Adam's state is per variable).
            d_optimizer: updates the discriminators.
            jit_compile: XLA-compile the train step (single device only).
            **kwargs: passed to `keras.Model.compile` (e.g. `steps_per_execution`).
        """
        super().compile(optimizer=None, jit_compile=jit_compile, **kwargs)
        self.g_optimizer = g_optimizer
        self.d_optimizer = d_optimizer
        g_optimizer.build(self.generator_variables)
        d_optimizer.build(self.discriminator_variables)

    @property
    def step(self) -> tf.Variable:
        """Generator updates done: an int64 variable (mirrored under a strategy; `int(gan.step.numpy())` reads it)."""
        return self._step

    @property
    def generator_variables(self) -> list[Any]:
        return [v for g in self._trained.values() for v in g.trainable_variables]

    @property
    def discriminator_variables(self) -> list[Any]:
        return [v for d in self._discriminators for v in d.trainable_variables]

    def generators(self, ema: bool = True) -> dict[str, keras.Model]:
        """The trained generators keyed `high_to_low` / `low_to_high`: new float32 models holding the moving
        averages of the weights when `ema`, else the live networks."""
        if ema:
            return {key: average.averaged_model() for key, average in self.emas.items()}
        return dict(self._trained)

    def checkpoint_items(self) -> dict[str, Any]:
        """Everything an exact resume restores: networks (spectral norm's `u` included), both optimizers,
        the weight averages and the step. Pass it to `tf.train.Checkpoint(**items)`."""
        if self.g_optimizer is None or self.d_optimizer is None:
            raise RuntimeError(f"{self.name}: compile() before asking for checkpoint items")
        items: dict[str, Any] = {f"generator_{key}": ModelWeights(g) for key, g in self._trained.items()}
        items.update({f"discriminator_{d.input_size}": ModelWeights(d) for d in self._discriminators})
        items.update({f"ema_{key}": average for key, average in self.emas.items()})
        items.update(g_optimizer=self.g_optimizer, d_optimizer=self.d_optimizer, step=self._step)
        return items

    @property
    def metrics(self) -> list[keras.metrics.Metric]:
        # Listed so that fit resets them at each epoch.
        return list(self.trackers.values())

    # ------------------------------------------------------------------------------ for subclasses
    def generate(self, data: Any) -> list[Branch]:
        """The stage's forward pass on one (per-replica) batch; runs under the generator tape."""
        raise NotImplementedError

    def step_seed(self, stream: int) -> tf.Tensor:
        """A stateless seed keyed by (seed, stream, step): the same on every replica; fold in the replica id
        (or draw for the global batch and slice, as `noise` does) for per-replica draws."""
        base = tf.constant([self.seed, stream], tf.int64)
        seed = tf.random.experimental.stateless_fold_in(base, self._step.read_value())
        # Each part of the batch draws its own values (a Python int while the step is traced).
        return tf.random.experimental.stateless_fold_in(seed, self._part)

    def noise(self, batch_size: tf.Tensor, dim: int, stream: int = 0) -> tf.Tensor:
        """Standard normal noise `(batch_size, dim)` for this replica's samples of this step.

        The draw covers the global batch and this replica takes its rows (the strategy gives replica `r`
        rows `[r * B, (r + 1) * B)`), so replicas differ and each sample's noise is the same on one device as
        on N replicas.
        """
        context = tf.distribute.get_replica_context()
        replicas = context.num_replicas_in_sync
        replica = tf.cast(context.replica_id_in_sync_group, tf.int32)
        z = tf.random.stateless_normal((replicas * batch_size, dim), self.step_seed(stream))
        return tf.reshape(z, (replicas, batch_size, dim))[replica]

    # ------------------------------------------------------------------------------------ training
    def _replicas(self) -> int:
        return tf.distribute.get_replica_context().num_replicas_in_sync

    def _augment(self, images: tf.Tensor, use: int) -> tf.Tensor:
        """A discriminator input through `d_augment`, drawn per (step, use, replica); `use` tells the calls
        of one step apart (0: scoring the generator, 1 + i: discriminator update i; times 8 plus the branch)."""
        if not self.d_augment:
            return images
        replica = tf.distribute.get_replica_context().replica_id_in_sync_group
        seed = tf.random.experimental.stateless_fold_in(self.step_seed(AUGMENT_STREAM), use)
        seed = tf.random.experimental.stateless_fold_in(seed, replica)
        return diff_augment.augment(images, seed, self.d_augment)

    def _critic_update(self, branches: list[Branch], part: int) -> tuple[tf.Tensor, tf.Tensor, tf.Tensor]:
        """One discriminator update on one part's branches; returns (loss, mean real score, mean fake score)."""
        replicas = self._replicas()
        with tf.GradientTape() as tape:
            loss, real_mean, fake_mean = 0.0, 0.0, 0.0
            for index, branch in enumerate(branches):
                fake = tf.stop_gradient(branch.fake)
                real = tf.cast(branch.real, fake.dtype)
                # One call on real and fake together: spectral norm's power iteration advances once per update.
                both = self._augment(tf.concat([real, fake], 0), 8 * (1 + part) + index)
                scores = branch.discriminator(both, training=True)
                real_scores, fake_scores = scores[: tf.shape(real)[0]], scores[tf.shape(real)[0] :]
                loss += discriminator_hinge_loss(real_scores, fake_scores)
                real_mean += tf.reduce_mean(real_scores) / len(branches)
                fake_mean += tf.reduce_mean(fake_scores) / len(branches)
            scaled = self.d_optimizer.scale_loss(loss / replicas)
        variables = self.discriminator_variables
        self.d_optimizer.apply_gradients(zip(tape.gradient(scaled, variables), variables))
        return loss, real_mean, fake_mean

    def _generate_part(self, data: Any, part: int) -> list[Branch]:
        """`generate` on part `part` of the batch, with that part's noise."""
        self._part = part
        try:
            return self.generate(tf.nest.map_structure(lambda x: critic_slice(x, part, self.n_critic), data))
        finally:
            self._part = 0

    def train_step(self, data: Any) -> dict[str, tf.Tensor]:
        replicas = self._replicas()
        g_variables = self.generator_variables
        with tf.GradientTape(watch_accessed_variables=False) as tape:
            tape.watch([v.value for v in g_variables])
            scored = self._generate_part(data, 0)
            g_pixel = tf.add_n([pixel_loss(b.pixel_fake, b.target) for b in scored])
            # The generator is scored by the discriminators as they stand before this step's updates (the
            # schedule of Miyato et al.'s SN-GAN: one generator update, then n_critic discriminator updates).
            # Scoring after them would read variables just written in the same step, and under
            # MirroredStrategy such a read is not ordered after the write on every replica: measured, the
            # generator's gradient then differed by 1-5% between one device and 2 replicas.
            g_gan = tf.add_n([
                generator_hinge_loss(b.discriminator(self._augment(b.fake, index), training=False))
                for index, b in enumerate(scored)
            ])
            # beta = 0 drops the GAN term from the graph: no gradient (not even 0 * NaN) comes from it.
            g_loss = self.alpha * g_pixel + self.beta * g_gan if self.beta else self.alpha * g_pixel
            if self.colour_anchor:
                g_loss += self.colour_anchor * tf.add_n([mean_colour_loss(b.pixel_fake, b.target) for b in scored])
            scaled = self.g_optimizer.scale_loss(g_loss / replicas)
        parts = [scored] + [self._generate_part(data, i) for i in range(1, self.n_critic)]
        # The control dependency makes the discriminator updates (their reads and writes) wait for the score
        # above on every replica, so it always sees the discriminators before their updates.
        with tf.control_dependencies([g_gan]):
            d_stats = [self._critic_update(branches, i) for i, branches in enumerate(parts)]
        grads = tape.gradient(scaled, [v.value for v in g_variables])
        self.g_optimizer.apply_gradients(zip(grads, g_variables))
        for average in self.emas.values():
            average.update()
        self._step.assign_add(1)

        d_loss, d_real, d_fake = (tf.reduce_mean(tf.stack(s)) for s in zip(*d_stats))
        values = {"d_loss": d_loss, "g_loss": g_loss, "g_pixel": g_pixel, "g_gan": g_gan, "d_real": d_real, "d_fake": d_fake}
        for name, value in values.items():
            self.trackers[name].update_state(value)
        return fit_logs({name: tracker.result() for name, tracker in self.trackers.items()})
