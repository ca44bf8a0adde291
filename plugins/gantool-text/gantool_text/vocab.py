"""A vocabulary: token strings by id, and which ids are padding and end-of-sequence.

Invariants: sequences are int64 `[N, T]`; when the vocabulary has an `<eos>`, every token
after a sequence's first `<eos>` is `<pad>`, and neither is ever a generated token's text.
Vocabularies without them (the synthetic oracle) have `pad_id = eos_id = -1` and
fixed-length sequences. Torch-free: `gantool sample` detokenises without torch.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np

PAD, EOS, UNK = "<pad>", "<eos>", "<unk>"


@dataclass(frozen=True)
class Vocab:
    tokens: tuple[str, ...]
    pad_id: int = -1
    eos_id: int = -1
    separator: str = " "  # how detokenised tokens are joined: "" for characters

    def __len__(self) -> int:
        return len(self.tokens)

    def encode(self, pieces: list[str], max_len: int) -> np.ndarray:
        """Token strings -> ids [max_len]: `<eos>` after the last piece, `<pad>` after that
        (the caller keeps len(pieces) < max_len when there is an `<eos>`)."""
        index = {t: i for i, t in enumerate(self.tokens)}
        unk = index.get(UNK)
        ids = [index.get(p, unk) for p in pieces]
        if self.eos_id >= 0:
            ids.append(self.eos_id)
        out = np.full(max_len, max(self.pad_id, 0), dtype=np.int64)
        out[: len(ids)] = ids[:max_len]
        return out

    def decode(self, ids: np.ndarray) -> list[str]:
        """One line of text per sequence, cut at its first `<eos>`; padding dropped."""
        lines = []
        for row in np.asarray(ids).astype(np.int64):
            pieces = []
            for i in row:
                if i == self.eos_id:
                    break
                if i != self.pad_id and 0 <= i < len(self.tokens):
                    pieces.append(self.tokens[i])
            lines.append(self.separator.join(pieces))
        return lines

    def pieces(self, ids: np.ndarray) -> list[list[int]]:
        """Each sequence as its list of ids up to (not including) its first `<eos>`: what
        BLEU and novelty compare."""
        out = []
        for row in np.asarray(ids).astype(np.int64):
            ends = np.flatnonzero(row == self.eos_id) if self.eos_id >= 0 else []
            out.append([int(i) for i in (row[: ends[0]] if len(ends) else row) if i != self.pad_id])
        return out

    def to_json(self) -> str:
        return json.dumps({"tokens": list(self.tokens), "pad_id": self.pad_id, "eos_id": self.eos_id,
                           "separator": self.separator})

    @classmethod
    def from_json(cls, text: str) -> Vocab:
        d = json.loads(text)
        return cls(tuple(d["tokens"]), int(d["pad_id"]), int(d["eos_id"]), str(d["separator"]))


def with_specials(tokens: list[str], separator: str) -> Vocab:
    """`<pad>` = 0 and `<eos>` = 1, then `tokens`."""
    return Vocab((PAD, EOS, *tokens), pad_id=0, eos_id=1, separator=separator)
