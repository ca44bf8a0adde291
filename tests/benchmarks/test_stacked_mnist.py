"""benchmarks/stacked_mnist.py: every recipe trains on Stacked MNIST and is scored, and the table's arithmetic."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest
import torch

from tests.conftest import REPO


def load_benchmark():
    spec = importlib.util.spec_from_file_location("stacked_mnist_benchmark", REPO / "benchmarks" / "stacked_mnist.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


stacked = load_benchmark()


@pytest.fixture
def restore_threads():
    threads = torch.get_num_threads()  # train_one pins its worker process to one thread
    yield
    torch.set_num_threads(threads)


@pytest.mark.parametrize("recipe", sorted(stacked.RECIPES))
def test_every_recipe_trains_and_is_scored(recipe, restore_threads, mnist_mirror):
    result = stacked.train_one(recipe, seed=0, steps=2, batch_size=8, samples=40)
    assert result["recipe"] == recipe and result["samples"] == 40
    # 40 samples can fall in at most 40 modes; KL of a histogram to uniform is >= 0
    assert 1 <= result["modes"] <= 40 and result["kl"] >= 0.0


def test_samples_come_from_fixed_latents(restore_threads):
    generator = torch.nn.Sequential(torch.nn.Linear(4, 3 * 28 * 28), torch.nn.Tanh(), torch.nn.Unflatten(1, (3, 28, 28)))
    first = stacked.sample_images(generator, 4, 25, seed=3, batch_size=10)
    again = stacked.sample_images(generator, 4, 25, seed=3, batch_size=25)
    # the same latents whatever the batch size (a matmul's batching may move the last bit)
    assert first.shape == (25, 3, 28, 28) and np.allclose(first, again, atol=1e-6)
    assert not np.allclose(first, stacked.sample_images(generator, 4, 25, seed=4), atol=1e-3)


def test_summary_counts_seeds_at_every_mode_with_small_kl():
    runs = [{"recipe": "r", "seed": 0, "seconds": 10.0, "modes": 1000, "kl": 0.05},
            {"recipe": "r", "seed": 1, "seconds": 30.0, "modes": 1000, "kl": 0.15},
            {"recipe": "r", "seed": 2, "seconds": 20.0, "modes": 999, "kl": 0.01}]
    header, rule, row = stacked.summarize(runs, ["r"])
    assert row == "| r | 999.7 ± 0.5 | 0.070 ± 0.059 | 1/3 | 20 |"


def test_a_plain_run_compares_the_recipes_the_issue_names():
    assert {"dcgan", "pack2", "mbstd"} <= set(stacked.DEFAULT_RECIPES) <= set(stacked.RECIPES)
