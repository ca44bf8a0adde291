"""The generator's sampling contract, the oracle and the datasets, in-process."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from gantool_text.datasets import load_oracle, load_textfile, load_words
from gantool_text.networks import Tempered, TokenGenerator, uniforms
from gantool_text.oracle import Oracle

from gantool import DataRequest, UserError


@pytest.fixture
def words_g() -> TokenGenerator:
    torch.manual_seed(0)
    return TokenGenerator(vocab_size=6, max_len=8, pad_id=0, eos_id=1, embed=4, hidden=8).eval()


def test_sampling_is_the_inverse_cdf_of_the_uniforms():
    """Token t is the first whose cumulative probability reaches u_t, under the logits the
    generator computes for that prefix; same z, same tokens; binary search agrees."""
    torch.manual_seed(1)
    g = TokenGenerator(vocab_size=50, max_len=6, pad_id=-1, eos_id=-1, embed=4, hidden=8).eval()
    z = torch.randn(200, 6)
    with torch.no_grad():
        tokens = g(z).long()
        assert torch.equal(tokens, g(z).long())
        u = uniforms(z.double())
        assert (u - 0.5 * (1 + torch.erf(z.double() / 2 ** 0.5))).abs().max() < 2e-7
        assert torch.equal(tokens, g.generate(u, fast=True)) and torch.equal(tokens, g.sample_tokens(z))
        assert torch.equal(tokens, Tempered(g)(z, torch.ones(200)).long())
        cooler = Tempered(g)(z, torch.full((200,), 0.5)).long()
        assert torch.equal(cooler[:2], Tempered(g)(z[:2], torch.full((2,), 0.5)).long())
        cdf = torch.softmax(g.logits(tokens), dim=-1).cumsum(dim=-1)
    below = torch.gather(cdf, 2, (tokens - 1).clamp_min(0)[..., None])[..., 0] * (tokens > 0)
    at = torch.gather(cdf, 2, tokens[..., None])[..., 0]
    u = u.float()
    assert bool((below <= u + 1e-6).all() and (u <= at + 1e-6).all())


def test_pad_follows_eos_and_is_never_drawn(words_g):
    with torch.no_grad():
        tokens = words_g(torch.randn(500, 8)).long()
    for row in tokens.tolist():
        end = row.index(1) if 1 in row else len(row)
        assert 0 not in row[:end] and all(t == 0 for t in row[end + 1:])
    assert (tokens == 1).any()


def test_rollouts_from_a_saved_prefix_state_equal_rereading_it(words_g):
    u = torch.rand(32, 8)
    with torch.no_grad():
        x = words_g.generate(torch.rand(32, 8))
        states = words_g.prefix_states(x)
        for given in (1, 4, 7):
            fresh = words_g.generate(u, x, given=given, fast=True)
            assert torch.equal(fresh[:, :given], x[:, :given])
            assert torch.equal(fresh, words_g.generate(u, x, given=given, state=states[given], fast=True))


def test_nll_counts_tokens_up_to_eos(words_g):
    x = torch.tensor([[3, 4, 1, 0, 0, 0, 0, 0], [2, 2, 2, 2, 2, 2, 2, 2]])
    with torch.no_grad():
        logp = torch.log_softmax(words_g.logits(x), dim=-1)
        token = -torch.gather(logp, 2, x[..., None])[..., 0]
        per_seq = words_g.nll(x, reduce=False)
        assert per_seq.tolist() == pytest.approx([token[0, :3].sum().item(), token[1].sum().item()], rel=1e-5)
        assert words_g.nll(x).item() == pytest.approx(per_seq.sum().item() / 11, rel=1e-5)


def test_oracle_is_a_function_of_its_seed():
    data = load_oracle("3", DataRequest(options={"sequences": 64}))
    again = load_oracle("3", DataRequest(split="test", options={"sequences": 64}))  # from the cache
    assert data.x.shape == (64, 20) and data.x.dtype == np.int64 and data.kind == "tokens"
    np.testing.assert_array_equal(data.held_out, again.x)
    assert data.oracle_seed == 3 and len(data.vocab) == 5000 and data.vocab.eos_id == -1
    oracle = Oracle.from_seed(3)
    assert oracle.digest() == Oracle.from_seed(3).digest() != Oracle.from_seed(4).digest()
    assert Oracle.recorded(3, oracle.digest()).digest() == oracle.digest()
    with pytest.raises(UserError, match="the run recorded 0123"):
        Oracle.recorded(3, "0123")
    uniform = np.random.default_rng(0).integers(0, 5000, (64, 20))
    assert oracle.nll(data.x) + 2 < oracle.nll(uniform)  # its own samples are far likelier
    with pytest.raises(UserError, match="oracle:SEED takes an integer"):
        load_oracle("x", DataRequest())


def test_words_are_letters_then_eos_then_padding():
    train = load_words(None, DataRequest())
    test = load_words(None, DataRequest(split="test"))
    vocab = train.vocab
    assert train.x.shape[1] == 17 and len(vocab) == 28 and (vocab.pad_id, vocab.eos_id) == (0, 1)
    assert 150_000 < len(train.x) and 0.09 < len(test.x) / (len(train.x) + len(test.x)) < 0.11
    words = vocab.decode(train.x[:1000])
    assert all(w.isalpha() and w.islower() and 0 < len(w) <= 16 for w in words)
    assert not set(vocab.decode(test.x)) & set(vocab.decode(train.x))  # held-out words are unseen
    ends = (train.x == 1).argmax(axis=1)
    assert all((row[e + 1:] == 0).all() for row, e in zip(train.x[:1000], ends[:1000]))


def test_textfile_keeps_the_top_tokens(tmp_path, corpus):
    data = load_textfile(str(corpus), DataRequest(options={"vocab_size": 4, "max_len": 5}))
    assert data.vocab.tokens[:2] == ("<pad>", "<eos>") and data.vocab.tokens[-1] == "<unk>"
    assert len(data.vocab) == 2 + 4 + 1 and data.x.shape[1] == 5
    assert data.vocab.decode(data.x[:1])[0].startswith("the ")
    (tmp_path / "short.txt").write_text("a b\n")
    with pytest.raises(UserError, match="at least 10 are needed"):
        load_textfile(str(tmp_path / "short.txt"), DataRequest())
    with pytest.raises(UserError, match="no such file"):
        load_textfile(str(tmp_path / "none.txt"), DataRequest())
