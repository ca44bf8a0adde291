"""benchmarks/toy_modes.py: every recipe trains and is scored, and the table's arithmetic."""

from __future__ import annotations

import importlib.util

import pytest
import torch

from tests.conftest import REPO


def load_benchmark():
    spec = importlib.util.spec_from_file_location("toy_modes", REPO / "benchmarks" / "toy_modes.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


toy_modes = load_benchmark()


@pytest.fixture
def restore_threads():
    threads = torch.get_num_threads()  # train_one pins its worker process to one thread
    yield
    torch.set_num_threads(threads)


@pytest.mark.parametrize("recipe", sorted(toy_modes.RECIPES))
def test_every_recipe_trains_and_is_scored(recipe, restore_threads):
    # 24 divides by every pack size; 20 steps is 4 generator steps even at n_critic 5
    result = toy_modes.train_one(recipe, "ring", seed=0, steps=20, batch_size=24, lr=5e-4, arch="mlp")
    assert result["recipe"] == recipe and result["total_modes"] == 8
    assert 0 <= result["modes"] <= 8 and 0.0 <= result["hq"] <= 100.0


def test_hidden_sets_the_width_of_both_networks(restore_threads):
    result = toy_modes.train_one("gan", "ring", seed=0, steps=4, batch_size=24, lr=5e-4, arch="mlp", hidden=16)
    # G: 2 -> 16 -> 16 -> 16 -> 2 and D: 2 -> 16 -> 16 -> 16 -> 1, weights and biases
    generator = (2 * 16 + 16) + 2 * (16 * 16 + 16) + (16 * 2 + 2)
    discriminator = (2 * 16 + 16) + 2 * (16 * 16 + 16) + (16 * 1 + 1)
    assert result["parameters"] == generator + discriminator


def test_summary_reports_mean_spread_and_full_coverage():
    runs = [{"recipe": "r", "dataset": "grid", "seed": 0, "seconds": 10.0, "modes": 25, "hq": 90.0, "kl": 0.1,
             "total_modes": 25},
            {"recipe": "r", "dataset": "grid", "seed": 1, "seconds": 30.0, "modes": 24, "hq": 80.0, "kl": None,
             "total_modes": 25}]
    header, rule, row = toy_modes.summarize(runs, ["r"], ["grid"])
    assert row == "| r | grid | 24.5 ± 0.5 / 25 | 85.0 ± 5.0 | 0.100 ± 0.000 (1 inf) | 1/2 seeds | 20 |"


def test_a_plain_run_trains_the_recipes_the_issue_asks_for():
    assert {"gan", "pack2", "pack3", "pack4", "wgan-gp"} <= set(toy_modes.DEFAULT_RECIPES) <= set(toy_modes.RECIPES)
