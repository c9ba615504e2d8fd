"""Pure prompt building: instructions -> material -> item, in the model's chat template.

A prompt is a tuple of segments ``(text, is_template)``. Template segments (role markers such
as ``<|im_start|>``) are tokenized with special tokens allowed; content segments (instructions,
material, questions) never are, so a transcript cannot forge a role marker. The material's
segments end the prefix, and every item's segments start after it, so the material's tokens
are an exact shared prefix of each item's prompt and its KV cache is reused.

Changing any wording here changes the numbers: bump ``PROMPT_VERSION``.
"""

import hashlib
from dataclasses import dataclass

from .request import ItemPrompt, LikertScale, NumericScale, RatingRequest

PROMPT_VERSION = "anchor-rater/1"

# The assistant's turn starts with this; the answer follows as " <number>". Starting the
# answer ourselves puts most of the model's probability on the scale's values.
ANSWER_PREFIX = "Rating:"

Segment = tuple[str, bool]

_SENTINELS = ("\x01SYSTEM\x01", "\x01USER1\x01", "\x01ANSWER\x01", "\x01USER2\x01")


@dataclass(frozen=True, slots=True)
class ChatTemplate:
    """The fixed text around each role's message, cut out of a chat template."""

    name: str
    system_start: str
    system_end_user_start: str
    user_end_assistant_start: str
    assistant_end_user_start: str

    @property
    def fingerprint(self) -> str:
        text = "\x00".join((self.system_start, self.system_end_user_start,
                            self.user_end_assistant_start, self.assistant_end_user_start))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


CHATML = ChatTemplate(
    name="chatml",
    system_start="<|im_start|>system\n",
    system_end_user_start="<|im_end|>\n<|im_start|>user\n",
    user_end_assistant_start="<|im_end|>\n<|im_start|>assistant\n",
    assistant_end_user_start="<|im_end|>\n<|im_start|>user\n",
)


def chat_template_from_jinja(source: str, *, bos_token: str = "", eos_token: str = "",
                             name: str = "gguf") -> ChatTemplate:
    """Cut a Jinja chat template (as stored in a GGUF file) into its fixed pieces.

    The template is rendered for system, user, assistant, user with sentinel contents and a
    generation prompt; the text between the sentinels is the template's own. Raises
    ``ValueError`` when the template does not render such a conversation verbatim.
    """
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    def raise_exception(message: str) -> None:
        raise ValueError(message)

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
    roles = ("system", "user", "assistant", "user")
    messages = [{"role": r, "content": s} for r, s in zip(roles, _SENTINELS, strict=True)]
    rendered = env.from_string(source).render(
        messages=messages, add_generation_prompt=True, bos_token=bos_token,
        eos_token=eos_token, raise_exception=raise_exception)
    pieces = []
    rest = rendered
    for sentinel in _SENTINELS:
        if rest.count(sentinel) != 1:
            raise ValueError("The chat template does not keep message contents verbatim.")
        before, rest = rest.split(sentinel)
        pieces.append(before)
    return ChatTemplate(name, pieces[0], pieces[1], rest, pieces[3])


def template_version(template: ChatTemplate) -> str:
    """The prompt template version stored as provenance: our wording and the chat template
    (by content, so the same template read from a GGUF file or built in has one version)."""
    return f"{PROMPT_VERSION}+chat:{template.fingerprint}"


def answer_texts(scale: LikertScale | NumericScale) -> dict[int, str]:
    """The text of each admissible answer: a space and the value written as a number."""
    return {value: f" {value}" for value in scale.values}


def prefix_head(request: RatingRequest, template: ChatTemplate) -> tuple[Segment, ...]:
    """Everything before the material: system turn with the instructions, then the user turn."""
    return (
        (template.system_start, True),
        (request.instructions.strip(), False),
        (template.system_end_user_start, True),
        (f"Here is the {request.material_name}:\n", False),
    )


def material_segment(material: str) -> Segment:
    """The material, after a blank line. Segment boundaries sit where a tokenizer splits a
    whole prompt anyway ("\n" | "\nText"), so tokenizing the segments one by one (in process)
    and the whole text at once (an HTTP server) give the same tokens."""
    return ("\n" + material, False)


def prefix_tail() -> tuple[Segment, ...]:
    """What follows the material and ends the shared prefix."""
    return (("\n", False),)


# How every item's text starts. Items are evaluated in the order of their token trie
# (item_order), so this and any longer start items share are evaluated once per window.
ITEM_LEAD = "\nQuestion:"


def item_segments(item: ItemPrompt, template: ChatTemplate) -> tuple[Segment, ...]:
    """The item's question and answer format, closing the user turn; the answer comes next."""
    return (
        (f"{ITEM_LEAD} {item.question.strip()}\n{_answer_format(item.scale)}", False),
        (template.user_end_assistant_start, True),
        (ANSWER_PREFIX, False),
    )


def rationale_segments(answer: str, template: ChatTemplate) -> tuple[Segment, ...]:
    """After the given answer, ask for a short reason in a new user turn."""
    return (
        (answer, False),
        (template.assistant_end_user_start, True),
        ("In one or two sentences, what in the text supports this answer?", False),
        (template.user_end_assistant_start, True),
    )


def structured_segments(instructions: str, prompt: str,
                        template: ChatTemplate) -> tuple[Segment, ...]:
    return (
        (template.system_start, True),
        (instructions.strip(), False),
        (template.system_end_user_start, True),
        (prompt.strip(), False),
        (template.user_end_assistant_start, True),
    )


def render(segments: tuple[Segment, ...]) -> str:
    """The segments as one string (for text-only APIs and for reading)."""
    return "".join(text for text, _ in segments)


def _answer_format(scale: LikertScale | NumericScale) -> str:
    if isinstance(scale, LikertScale):
        lines = "\n".join(f"{value} = {label}" for value, label in scale.points)
        return (f"Answer with one number from this scale:\n{lines}\n"
                "Reply with the number only.")
    anchors = ", ".join(f"{value} = {label}" for value, label in scale.anchors)
    labelled = f" ({anchors})" if anchors else ""
    return (f"Answer with one whole number from {scale.min} to {scale.max}{labelled}.\n"
            "Reply with the number only.")
