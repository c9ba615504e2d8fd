"""Controlled perturbations of a rating request, for testing the robustness of an LLM rater.

Each perturbation is a pure, deterministic function of the request (and a seed): the same
request and seed give the same perturbed request, so a perturbed re-scoring run is as
reproducible as the original. Four should not change a good rating:

- ``shuffle_items``: the items in another order (a seeded permutation, never the identity
  when there are two or more items);
- ``paraphrase_items``: each item's question in other words (paraphrases supplied by the
  caller: by default the instrument's human wording ``text`` for its ``llm_text``);
- ``rename_speakers``: speaker labels at the start of lines renamed consistently
  (``Therapist:`` -> ``Counsellor:``), every other character of the material unchanged;
- ``insert_filler``: bracketed lines that say nothing about the conversation (a door closing,
  the recording level) inserted between lines at seeded positions.

One should: ``edit_content`` replaces the material with an edited text the study manager
supplies (per target), e.g. the client's engagement removed.

A perturbation is described by a plain dict (``{"kind": ..., "seed": ..., ...}``), stored as
the LLM rater's configuration, so every rating records what was perturbed.
"""

import random
import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any, Literal

from .request import ItemPrompt, RatingRequest

Kind = Literal["shuffle_items", "paraphrase_items", "rename_speakers", "insert_filler", "edit_content"]
KINDS: tuple[str, ...] = ("shuffle_items", "paraphrase_items", "rename_speakers", "insert_filler",
                          "edit_content")
INVARIANT_KINDS = frozenset(KINDS) - {"edit_content"}

# A label is a short run of words at the start of a line, followed by a colon and a space.
SPEAKER_LABEL = re.compile(r"^(?P<label>[A-Z][\w .'-]{0,30}?):(?=\s)", re.MULTILINE)
MIN_LABEL_LINES = 2

ROLE_SYNONYMS = {
    "therapist": "Counsellor", "counsellor": "Therapist", "counselor": "Therapist",
    "client": "Patient", "patient": "Client", "interviewer": "Researcher",
    "interviewee": "Participant", "participant": "Interviewee", "researcher": "Interviewer",
    "doctor": "Clinician", "clinician": "Doctor", "t": "C", "c": "P", "p": "C",
}

FILLER_LINES = (
    "[A door closes somewhere down the corridor.]",
    "[The recording level is adjusted.]",
    "[A phone vibrates briefly on the desk; it is ignored.]",
    "[Traffic noise from outside the window.]",
    "[The air conditioning switches on.]",
    "[A short crackle on the recording.]",
    "[Footsteps pass outside the room.]",
    "[The clock on the wall chimes once.]",
)
FILLER_SHARE = 0.15  # about one filler line per seven lines of material, at least one


def shuffle_items(request: RatingRequest, *, seed: int = 0) -> RatingRequest:
    """The items in a seeded random order; with two or more items, never the original order."""
    items = list(request.items)
    if len(items) < 2:
        return request
    order = list(range(len(items)))
    random.Random(seed).shuffle(order)
    if order == sorted(order):  # the identity: rotate by one so the order really changes
        order = order[1:] + order[:1]
    return replace(request, items=tuple(items[i] for i in order))


def paraphrase_items(request: RatingRequest, *, paraphrases: Mapping[str, str]) -> RatingRequest:
    """Each item's question replaced by its paraphrase (item code -> wording).

    Raises ``ValueError`` when an item has no paraphrase or its paraphrase is its own wording:
    a paraphrase run that left items as they were would measure nothing.
    """
    items = []
    for item in request.items:
        text = (paraphrases.get(item.code) or "").strip()
        if not text:
            raise ValueError(f"Item {item.code!r} has no paraphrase.")
        if text == item.question.strip():
            raise ValueError(f"The paraphrase of item {item.code!r} is its own wording.")
        items.append(ItemPrompt(item.code, text, item.scale))
    return replace(request, items=tuple(items))


def speaker_labels(material: str) -> list[str]:
    """The speaker labels of a transcript: labels that start at least two lines, first seen first."""
    counts: dict[str, int] = {}
    for match in SPEAKER_LABEL.finditer(material):
        counts[match["label"]] = counts.get(match["label"], 0) + 1
    return [label for label, n in counts.items() if n >= MIN_LABEL_LINES]


def speaker_mapping(labels: list[str]) -> dict[str, str]:
    """A one-to-one renaming: role synonyms where known (Therapist -> Counsellor), else
    ``Speaker A``, ``Speaker B``; a new name never collides with a label in use."""
    mapping: dict[str, str] = {}
    taken = set(labels)
    spare = (f"Speaker {chr(ord('A') + i)}" for i in range(26 * 26))
    for label in labels:
        new = ROLE_SYNONYMS.get(label.lower())
        if new is None or new in taken:
            new = next(name for name in spare if name not in taken)
        mapping[label] = new
        taken.add(new)
    return mapping


def rename_speakers(request: RatingRequest, *, mapping: Mapping[str, str] | None = None) -> RatingRequest:
    """Speaker labels at the start of lines renamed (``mapping``, else `speaker_mapping`).

    Only the labels change; every other character of the material stays. Raises
    ``ValueError`` when the material has no speaker labels to rename.
    """
    mapping = dict(mapping) if mapping is not None else speaker_mapping(speaker_labels(request.material))
    if not mapping:
        raise ValueError("The material has no speaker labels to rename (lines starting 'Name: ').")
    material = SPEAKER_LABEL.sub(lambda m: mapping.get(m["label"], m["label"]) + ":", request.material)
    return replace(request, material=material)


def insert_filler(request: RatingRequest, *, seed: int = 0) -> RatingRequest:
    """Irrelevant bracketed lines (`FILLER_LINES`) inserted between lines at seeded positions.

    Never inside a line, never before the first line; the original lines keep their order.
    """
    lines = request.material.split("\n")
    rng = random.Random(seed)
    n = max(1, round(FILLER_SHARE * len(lines)))
    gaps = sorted(rng.sample(range(1, len(lines) + 1), min(n, len(lines))))
    out, previous = [], 0
    for gap in gaps:
        out.extend(lines[previous:gap])
        out.append(rng.choice(FILLER_LINES))
        previous = gap
    out.extend(lines[previous:])
    return replace(request, material="\n".join(out))


def edit_content(request: RatingRequest, *, text: str) -> RatingRequest:
    """The material replaced by the manager's edited version (which should change the rating)."""
    if not text.strip():
        raise ValueError("The edited text is empty.")
    return replace(request, material=text)


def apply_perturbation(request: RatingRequest, config: Mapping[str, Any], *, target: str) -> RatingRequest:
    """Apply the perturbation ``config`` (a rater's stored configuration) for ``target``
    (the target's external id, which picks its edit and varies the seed per target)."""
    kind = config.get("kind")
    seed = int(config.get("seed", 0))
    per_target = random.Random(f"{seed}:{target}").randrange(2**31)
    if kind == "shuffle_items":
        return shuffle_items(request, seed=per_target)
    if kind == "paraphrase_items":
        return paraphrase_items(request, paraphrases=config["paraphrases"])
    if kind == "rename_speakers":
        return rename_speakers(request, mapping=config.get("mapping"))
    if kind == "insert_filler":
        return insert_filler(request, seed=per_target)
    if kind == "edit_content":
        edits = config.get("edits") or {}
        if target not in edits:
            raise ValueError(f"There is no edited text for target {target!r}.")
        return edit_content(request, text=edits[target])
    raise ValueError(f"Unknown perturbation {kind!r}; use one of {', '.join(KINDS)}.")
