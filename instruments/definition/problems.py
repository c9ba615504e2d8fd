"""The error raised for a definition that cannot be stored, listing every problem."""

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a definition: where it is (``items[3].scale``) and why."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path or '(document)'}: {self.message}"


class DefinitionError(ValueError):
    """A definition was refused; ``problems`` lists each problem with its path."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"the instrument definition has {len(problems)} problem(s):\n{lines}")


def format_path(parts) -> str:
    """``["items", 3, "scale"]`` -> ``items[3].scale``."""
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out
