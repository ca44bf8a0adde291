"""`gantool eval` for a token generator (the `tokens` kind's `evaluate`), torch-free.

Scores, over `-n` sequences sampled with ONNX Runtime from seeded latents:
- `nll_oracle`: their mean per-token NLL under the oracle (oracle data only; the oracle is
  rebuilt from the seed in the file's metadata);
- `nll_test`: the generator's per-token NLL of the dataset's held-out split, through the
  exported `generator-nll.onnx` beside the generator (collapse shows here, not above);
- `bleu2..5`: mean sentence BLEU of the first `HYPOTHESES` samples against the first
  `REFERENCES` held-out sequences, and `selfbleu2..5` of those samples among themselves;
- for character vocabularies, `novel` and `real_held_out` (gantool_text.kind).
With no `--metrics` all apply (the core's `--metrics` parser knows the image metrics only).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from gantool import DataRequest, EvalResult, UserError, open_session, write_result
from gantool_text import PLUGIN
from gantool_text.bleu import bleu, self_bleu
from gantool_text.kind import vocab_of, words_metrics

HYPOTHESES, REFERENCES = 1000, 5000  # fixed sizes, so scores compare across runs
ORDERS = (2, 3, 4, 5)


def evaluate_tokens(registry, sampler, out_dir: Path, settings, *, data: str | None = None,
                    progress=None) -> EvalResult:
    start = time.perf_counter()
    if settings.chosen:  # gantool's --metrics parser knows only the image metrics so far
        raise UserError(f"{PLUGIN}: a token generator is scored by nll_oracle, nll_test, bleu2-5 and selfbleu2-5 "
                        f"together; drop --metrics {','.join(settings.chosen)}")
    md = sampler.info.metadata
    vocab = vocab_of(md, sampler.path)
    reference = data or md.get("dataset")
    if not reference:
        raise UserError(f"{PLUGIN}: {sampler.path} does not name its dataset; pass --data")
    options = json.loads(md.get("data_options") or "{}")
    test = registry.open_dataset(reference, DataRequest(split="test", options=options), kind="tokens",
                                 mismatch="dataset {name!r} is {kind} data; a token generator is scored against tokens")
    if test.x.shape[1] != int(md.get("max_len", test.x.shape[1])):
        raise UserError(f"{PLUGIN}: {reference} has sequences of {test.x.shape[1]}, the generator {md.get('max_len')}")
    fake = np.rint(sampler.sample(settings.n, seed=settings.seed, batch_size=settings.batch_size)).astype(np.int64)
    values: dict[str, float] = {}
    if md.get("oracle_seed") is not None:
        from gantool_text.oracle import Oracle

        values["nll_oracle"] = Oracle.recorded(int(md["oracle_seed"]), md.get("oracle_digest")).nll(fake)
    nll_file = sampler.path.with_name(f"{sampler.path.stem}-nll.onnx")
    notes = []
    if nll_file.is_file():
        values["nll_test"] = sequence_nll(nll_file, test.x, vocab.eos_id, settings.batch_size, settings.provider)
    else:
        notes.append(f"no {nll_file.name} beside the generator: nll_test skipped (export it with gantool export)")
    hyps, refs = vocab.pieces(fake[:HYPOTHESES]), vocab.pieces(test.x[:REFERENCES])
    for n in ORDERS:
        values[f"bleu{n}"] = bleu(hyps, refs, n)
    for n in ORDERS:
        values[f"selfbleu{n}"] = self_bleu(hyps, n)
    if vocab.separator == "":
        values.update(words_metrics(vocab.decode(fake), set(vocab.decode(test.held_out)), set(vocab.decode(test.x))))
    protocol = {"reference": f"{reference} (test split)", "data_options": options, "n": settings.n,
                "seed": settings.seed, "extractor": "none (token metrics)", "hypotheses": min(HYPOTHESES, len(fake)),
                "references": min(REFERENCES, len(test.x)), "bleu": "sentence BLEU, smoothing method 1, mean",
                "generator": str(sampler.path), "model": md.get("model"), "training_step": md.get("training_step"),
                "provider": sampler.provider}
    result = EvalResult(values, protocol, time.perf_counter() - start, notes, kind="tokens")
    result.path = write_result(result, out_dir)
    return result


def sequence_nll(path: Path, x: np.ndarray, eos_id: int, batch_size: int, provider: str) -> float:
    """Per-token NLL of sequences `x` under the exported `nll` graph (tokens up to each `<eos>`)."""
    session, _ = open_session(path, provider, prefix=f"{PLUGIN}: ")
    total = sum(float(session.run(None, {"tokens": x[s : s + batch_size]})[0].sum(dtype=np.float64))
                for s in range(0, len(x), batch_size))
    return total / scored_tokens(x, eos_id)


def scored_tokens(x: np.ndarray, eos_id: int) -> int:
    """Tokens a model chose: all of them, or each sequence's up to and including `<eos>`."""
    if eos_id < 0:
        return int(x.size)
    is_eos = x == eos_id
    return int(((np.cumsum(is_eos, axis=1) - is_eos) == 0).sum())
