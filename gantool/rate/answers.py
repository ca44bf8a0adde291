"""The answers file: what the page exports and `gantool rate tui` writes, one per rater
session.

    {"format": "gantool-rate-answers/1", "study": "<hash>", "protocol": "hype",
     "rater": "alice", "session": "<random hex>", "client": "browser" | "terminal",
     "started": "<ISO time>", "finished": "<ISO time>" | null, "complete": true,
     "answers": [{"item": "q001", "answer": "real", "ms": 1830}, ...]}

`ms` is the time from the item appearing to the answer. An undone answer is simply gone.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gantool.core.errors import UserError
from gantool.core.fsutil import atomic_write_json

ANSWERS_FORMAT = "gantool-rate-answers/1"


@dataclass
class RaterAnswers:
    """One answers file, checked against its study."""

    path: Path
    rater: str
    session: str
    complete: bool
    answers: dict[str, str]  # item id -> answer (in the order given)
    ms: dict[str, int]


def answer_files(paths: list[Path]) -> list[Path]:
    """The files given, a folder standing for the *.json files in it."""
    found: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            found += sorted(p for p in path.glob("*.json") if p.is_file())
        elif path.is_file():
            found.append(path)
        else:
            raise UserError(f"{path} does not exist")
    if not found:
        raise UserError("no answers files given (the .json files the raters sent back)")
    return found


def read(path: Path, study: str, protocol: str, choices: set[str], items: set[str]) -> RaterAnswers:
    """One rater's answers; refuses a file of another study, protocol or item set."""
    try:
        data = json.loads(Path(path).read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise UserError(f"{path} is not readable JSON ({exc})") from None
    if not isinstance(data, dict) or data.get("format") != ANSWERS_FORMAT:
        raise UserError(f"{path} is not a gantool rating answers file")
    if data.get("study") != study:
        raise UserError(f"{path} answers study {data.get('study')}, not this study ({study}); "
                        "answers cannot be mixed between studies")
    if data.get("protocol") != protocol:
        raise UserError(f"{path} is a {data.get('protocol')} answers file; this study is {protocol}")
    answers, ms = {}, {}
    entries = data.get("answers")
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise UserError(f"{path} has no list of answers")
    for entry in entries:
        item, value = entry.get("item"), entry.get("answer")
        if item not in items or value not in choices:
            raise UserError(f"{path}: answer {value!r} to item {item!r} does not fit this study")
        answers[item], ms[item] = value, entry.get("ms") if isinstance(entry.get("ms"), int) else 0
    return RaterAnswers(Path(path), str(data.get("rater") or "anonymous"), str(data.get("session") or path),
                        bool(data.get("complete")) and len(answers) == len(items), answers, ms)


def document(study: str, protocol: str, rater: str, session: str, started: str, finished: str | None,
             answers: list[dict[str, Any]], total: int, client: str = "terminal") -> dict[str, Any]:
    """An answers file's content (the terminal client; the page builds the same in its script)."""
    return {"format": ANSWERS_FORMAT, "study": study, "protocol": protocol, "rater": rater, "session": session,
            "client": client, "started": started, "finished": finished, "complete": len(answers) == total,
            "answers": answers}


def save(path: Path, content: dict[str, Any]) -> None:
    atomic_write_json(Path(path), content)
