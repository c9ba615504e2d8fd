"""Pure prompt building for the segment coder: codebook once, transcript growing, a question.

The prompt is the codebook (system turn), then the transcript in the user turn, one segment
after another. To code segment i the model sees the codebook, the transcript up to and
including segment i, and a short question that closes the user turn; the assistant's answer
starts with ``Code:`` and the admissible answers are the code set's labels. The question is a
branch: it is dropped before segment i + 1 is appended, so the transcript is read once.

Segments of ``prompt.Segment`` type: template pieces (role markers) are tokenized with special
tokens allowed, content never is, so a transcript cannot forge a role marker.

Changing any wording here changes the numbers: bump ``CODING_PROMPT_VERSION``.
"""

from .coding import CodeSet, CodingRequest, Segment
from .prompt import ChatTemplate
from .prompt import Segment as PromptSegment

CODING_PROMPT_VERSION = "anchor-coder/1"
ANSWER_PREFIX = "Code:"


def codebook_text(code_sets: tuple[CodeSet, ...]) -> str:
    """Every code set with its codes' labels, descriptions and examples."""
    blocks = []
    for code_set in code_sets:
        who = ("every speaker" if code_set.speakers is None
               else ", ".join(s.strip() for s in code_set.speakers))
        lines = [f"Code set {code_set.code} (for utterances by {who}): {code_set.question.strip()}"]
        for code in code_set.codes:
            line = f"- {code.label.strip()}"
            if code.description.strip():
                line += f": {code.description.strip()}"
            if code.examples:
                line += " Examples: " + "; ".join(f'"{e.strip()}"' for e in code.examples)
            lines.append(line)
        blocks.append("\n".join(lines))
    return "Codebook\n\n" + "\n\n".join(blocks)


def head_segments(request: CodingRequest, template: ChatTemplate) -> tuple[PromptSegment, ...]:
    """Everything before the first segment: instructions and codebook, then the user turn."""
    return (
        (template.system_start, True),
        (f"{request.instructions.strip()}\n\n{codebook_text(request.code_sets)}", False),
        (template.system_end_user_start, True),
        ("Transcript:\n", False),
    )


def segment_segment(segment: Segment) -> PromptSegment:
    """One utterance on its own line."""
    return (f"\n{segment.speaker.strip()}: {segment.text.strip()}", False)


def omitted_segment(n_omitted: int) -> PromptSegment:
    """Stands for the earlier turns a window leaves out."""
    return (f"\n[{n_omitted} earlier utterances are not shown]", False)


def question_segments(code_set: CodeSet, template: ChatTemplate) -> tuple[PromptSegment, ...]:
    """The code set's question about the last utterance; the answer comes next."""
    labels = ", ".join(c.label.strip() for c in code_set.codes)
    return (
        (f"\n\nCode set {code_set.code}. {code_set.question.strip()} Code the last utterance "
         f"above.\nAnswer with one of: {labels}.", False),
        (template.user_end_assistant_start, True),
        (ANSWER_PREFIX, False),
    )


def answer_texts(code_set: CodeSet) -> dict[str, str]:
    """The text of each admissible answer, by code: a space and the code's label."""
    return {c.code: f" {c.label.strip()}" for c in code_set.codes}
