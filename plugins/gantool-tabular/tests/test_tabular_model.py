"""CTGAN's pieces: the row representation, training-by-sampling, the sampling generator."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from gantool.specs import DataRequest, ModelArgs
from gantool_tabular.datasets import load_sklearn
from gantool_tabular.model import build, prepare
from gantool_tabular.transform import Transform, fit


@pytest.fixture(scope="module")
def wine():
    return load_sklearn("wine", DataRequest(split="all"))


def test_encode_then_decode_gives_the_rows_back(wine):
    t = Transform(fit(wine.x, wine.columns))
    rows = torch.from_numpy(wine.x)
    code = t.encode(rows)
    assert code.shape == (len(rows), t.dim)
    alphas = {s: code[:, s] for s, _, is_alpha in t.spans if is_alpha}
    assert all(a.abs().max() < 1 for a in alphas.values())
    choices = {s: code[:, s : s + n].argmax(1) for s, n, is_alpha in t.spans if not is_alpha}
    back = t.decode(alphas, choices)
    # exact up to float error, except values so far out that alpha was clipped at 0.99
    close = torch.isclose(back, rows, rtol=1e-4, atol=1e-4)
    assert close.float().mean() > 0.99
    assert torch.equal(back[:, -1], rows[:, -1])  # the class column exactly


def _trainer_parts(data, batch=20):
    args = prepare(ModelArgs(latent_dim=16, image_size=0, channels=0, data_dim=data.x.shape[1]), data)
    return args, build(args)


def test_prepare_grows_the_latent_by_one_choice_per_span(wine):
    args, modules = _trainer_parts(wine)
    t = modules.generator.transform
    one_hot_spans = sum(1 for _, _, a in t.spans if not a)
    assert args.latent_dim == 16 + 2 + one_hot_spans
    assert modules.generator.columns == wine.columns


def test_generator_rows_are_valid_and_follow_the_latent(wine):
    _, modules = _trainer_parts(wine)
    g = modules.generator.eval()
    z = torch.randn(256, 16 + 2 + sum(1 for _, _, a in g.transform.spans if not a))
    with torch.no_grad():
        rows = g(z)
        again = g(z.clone())
    assert rows.shape == (256, wine.x.shape[1])
    assert torch.equal(rows, again)  # no hidden randomness: the exported graph is a function of z
    classes = rows[:, -1]
    assert torch.equal(classes, classes.round()) and set(classes.tolist()) <= {0.0, 1.0, 2.0}
    # the conditioning choice comes from z: all three classes get asked for
    assert len(set(classes.tolist())) == 3


def test_training_by_sampling_draws_real_rows_of_the_asked_category(wine):
    from gantool.train.batches import Batches
    from gantool_tabular.step import CTGANStep

    _, modules = _trainer_parts(wine)

    class Ctx:  # the parts of StepContext the step reads at construction
        generator, discriminator = modules.generator, modules.discriminator
        batches = Batches(wine, 20, 0, torch.device("cpu"))
        n_critic = 1
        device = torch.device("cpu")

    step = CTGANStep(Ctx)
    torch.manual_seed(0)
    cond, column, category, real, cond_real = step._conditions(600)
    assert torch.equal(cond.argmax(1), category)  # one discrete column: its categories are the cond vector
    assert torch.equal(real[:, -1].long(), cond_real.argmax(1))  # real rows are of the (shuffled) conditions
    # log-frequency sampling: each class asked for roughly equally (wine: 59 / 71 / 48 rows)
    share = np.bincount(category.numpy(), minlength=3) / 600
    assert np.all(np.abs(share - 1 / 3) < 0.08)
