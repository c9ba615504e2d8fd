"""The perturbation functions: pure, deterministic, and changing only what they say."""

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ratings.llm import ItemPrompt, LikertScale, RatingRequest
from ratings.llm.perturbations import (FILLER_LINES, apply_perturbation, edit_content, insert_filler,
                                       paraphrase_items, rename_speakers, shuffle_items, speaker_labels,
                                       speaker_mapping)

SCALE = LikertScale(((1, "low"), (2, "mid"), (3, "high")))
TRANSCRIPT = ("Therapist: How was the week?\nClient: I did the diary: every day.\n"
              "Therapist: What did you notice?\nClient: Mornings are worse. Note: not Sundays.\n"
              "Therapist: Shall we plan for mornings?\nClient: Yes.")


def make_request(n_items=5, material=TRANSCRIPT):
    items = tuple(ItemPrompt(f"i{k}", f"Question {k}?", SCALE) for k in range(n_items))
    return RatingRequest(instructions="Rate the client.", material=material, items=items)


@given(n=st.integers(min_value=2, max_value=12), seed=st.integers(min_value=0, max_value=10**6))
def test_shuffle_is_a_permutation_other_than_the_identity_and_deterministic(n, seed):
    request = make_request(n)
    shuffled = shuffle_items(request, seed=seed)
    assert sorted(i.code for i in shuffled.items) == sorted(i.code for i in request.items)
    assert [i.code for i in shuffled.items] != [i.code for i in request.items]
    assert set(shuffled.items) == set(request.items)  # questions and scales travel with their code
    assert shuffle_items(request, seed=seed) == shuffled
    assert shuffled.material == request.material and shuffled.instructions == request.instructions


def test_shuffle_of_one_item_changes_nothing():
    request = make_request(1)
    assert shuffle_items(request, seed=3) == request


def test_speaker_labels_and_their_renaming_keep_every_other_character():
    request = make_request()
    assert speaker_labels(TRANSCRIPT) == ["Therapist", "Client"]  # "Note" starts no line
    renamed = rename_speakers(request)
    assert renamed.material.count("Counsellor:") == 3 and renamed.material.count("Patient:") == 3
    assert "Therapist" not in renamed.material and "Client:" not in renamed.material
    assert "I did the diary: every day." in renamed.material and "Note: not Sundays." in renamed.material
    strip = lambda text: [line.split(":", 1)[1] for line in text.split("\n")]  # noqa: E731
    assert strip(renamed.material) == strip(request.material)
    assert renamed.items == request.items


def test_speaker_mapping_is_one_to_one_and_never_collides():
    assert speaker_mapping(["Therapist", "Counsellor"]) == {"Therapist": "Speaker A", "Counsellor": "Speaker B"}
    mapping = speaker_mapping(["Anna", "Ben", "Client"])
    assert mapping == {"Anna": "Speaker A", "Ben": "Speaker B", "Client": "Patient"}
    assert len(set(mapping.values())) == len(mapping)


def test_renaming_needs_speaker_labels():
    with pytest.raises(ValueError, match="no speaker labels"):
        rename_speakers(make_request(material="A plain abstract without speakers."))


@given(seed=st.integers(min_value=0, max_value=10**6))
def test_filler_lines_are_irrelevant_inserted_between_lines_and_deterministic(seed):
    request = make_request()
    filled = insert_filler(request, seed=seed)
    assert filled == insert_filler(request, seed=seed)
    lines = filled.material.split("\n")
    original = [line for line in lines if line not in FILLER_LINES]
    assert original == request.material.split("\n")  # every original line, in order, untouched
    added = [line for line in lines if line in FILLER_LINES]
    assert 1 <= len(added) <= len(original)
    assert lines[0] not in FILLER_LINES
    for line in added:  # bracketed stage directions: no speaker, nothing about the client
        assert re.fullmatch(r"\[[^\[\]]+\]", line) and "client" not in line.lower()


def test_paraphrases_replace_every_question_and_refuse_gaps_or_no_change():
    request = make_request(2)
    out = paraphrase_items(request, paraphrases={"i0": "Zeroth?", "i1": "First?"})
    assert [i.question for i in out.items] == ["Zeroth?", "First?"]
    assert [i.scale for i in out.items] == [SCALE, SCALE] and out.material == request.material
    with pytest.raises(ValueError, match="'i1' has no paraphrase"):
        paraphrase_items(request, paraphrases={"i0": "Zeroth?"})
    with pytest.raises(ValueError, match="its own wording"):
        paraphrase_items(request, paraphrases={"i0": "Question 0?", "i1": "First?"})


def test_apply_dispatches_varies_the_seed_by_target_and_needs_an_edit_per_target():
    request = make_request(8)
    config = {"kind": "shuffle_items", "seed": 1}
    a = apply_perturbation(request, config, target="S01")
    assert a == apply_perturbation(request, config, target="S01")
    orders = {tuple(i.code for i in apply_perturbation(request, config, target=t).items) for t in "ABCDEFG"}
    assert len(orders) > 1
    edit = {"kind": "edit_content", "edits": {"S01": "Client: No."}}
    assert apply_perturbation(request, edit, target="S01").material == "Client: No."
    with pytest.raises(ValueError, match="no edited text for target 'S02'"):
        apply_perturbation(request, edit, target="S02")
    with pytest.raises(ValueError, match="empty"):
        edit_content(request, text="  ")
    with pytest.raises(ValueError, match="Unknown perturbation"):
        apply_perturbation(request, {"kind": "jumble"}, target="S01")
