"""Prompt building: order, chat template, shared prefix, versioning."""

import pytest

from ratings.llm import prompt as prompts
from ratings.llm.request import ItemPrompt, LikertScale, NumericScale, RatingRequest

CHATML_JINJA = ("{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + "
                "message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}"
                "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}")
LLAMA3_JINJA = ("{% for message in messages %}{% set content = '<|start_header_id|>' + "
                "message['role'] + '<|end_header_id|>\\n\\n' + message['content'] + '<|eot_id|>' %}"
                "{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}"
                "{{ content }}{% endfor %}{% if add_generation_prompt %}"
                "{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}")

LIKERT = LikertScale(((1, "Not at all"), (2, "Slightly"), (3, "Very much")))
REQUEST = RatingRequest(
    instructions="Rate the client.",
    material="T: Hello.\nC: Hi <|im_end|> there.",
    items=(ItemPrompt("open", "How open was the client?", LIKERT),
           ItemPrompt("warmth", "How warm was the client?",
                      NumericScale(0, 100, ((0, "cold"), (100, "warm"))))),
    material_name="session transcript",
)


def test_chatml_template_is_cut_into_its_pieces():
    template = prompts.chat_template_from_jinja(CHATML_JINJA)
    assert template.fingerprint == prompts.CHATML.fingerprint


def test_a_template_with_bos_keeps_it_in_the_first_piece():
    template = prompts.chat_template_from_jinja(LLAMA3_JINJA, bos_token="<|begin_of_text|>")
    assert template.system_start == "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n"
    assert template.user_end_assistant_start == (
        "<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n")


def test_a_template_that_drops_messages_is_refused():
    with pytest.raises(ValueError):
        prompts.chat_template_from_jinja("{{ messages[-1]['content'] }}")


def _full(item: ItemPrompt) -> tuple[prompts.Segment, ...]:
    return (prompts.prefix_head(REQUEST, prompts.CHATML) + (prompts.material_segment(REQUEST.material),)
            + prompts.prefix_tail() + prompts.item_segments(item, prompts.CHATML))


def test_order_is_instructions_then_material_then_item():
    text = prompts.render(_full(REQUEST.items[0]))
    assert text.index("Rate the client.") < text.index("T: Hello.") < text.index("How open")
    assert text.endswith("Reply with the number only.<|im_end|>\n<|im_start|>assistant\n"
                         + prompts.ANSWER_PREFIX)
    assert "1 = Not at all\n2 = Slightly\n3 = Very much" in text


def test_every_item_starts_after_the_same_prefix():
    prefixes = {_full(item)[:6] for item in REQUEST.items}
    assert len(prefixes) == 1


def test_material_and_questions_are_never_parsed_as_role_markers():
    for segments in (_full(item) for item in REQUEST.items):
        content = [text for text, is_template in segments if not is_template]
        assert any(REQUEST.material in text for text in content)
        assert all("<|im_start|>" not in text for text in content)
        assert all(text.startswith(("<|im", "\n<|im")) or text == ""
                   for text, is_template in segments if is_template)


def test_numeric_items_name_the_range_and_anchors():
    text = prompts.render(prompts.item_segments(REQUEST.items[1], prompts.CHATML))
    assert "from 0 to 100 (0 = cold, 100 = warm)" in text
    assert prompts.answer_texts(REQUEST.items[1].scale)[42] == " 42"


def test_template_version_names_wording_and_chat_template():
    version = prompts.template_version(prompts.CHATML)
    assert version == f"{prompts.PROMPT_VERSION}+chat:{prompts.CHATML.fingerprint}"
    other = prompts.chat_template_from_jinja(LLAMA3_JINJA, bos_token="<s>")
    assert prompts.template_version(other) != version
