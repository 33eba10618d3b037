"""The context header: what a dense vector embeds besides the chunk's own text.

Why: a chunk alone often does not say what it is about. A MedQuAD answer starts "These
resources address the diagnosis or management of..." and its title names the condition; a
textbook paragraph's section names its subject (gains: docs/context.md). The stored chunk, its
citations and everything a user reads stay the chunk alone.
"""

from __future__ import annotations

import string
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from adapters.errors import AdapterError

DEFAULT_TEMPLATE = "{title}\n{section}\n{text}"
TEXT_FIELD = "text"
# A header takes at most half of a chunk's token budget: a long title is cut, and a chunk always
# keeps room for its text.
HEADER_SHARE = 2


def header_budget(chunk_tokens: int) -> int:
    """The most tokens a context header may take in a corpus of chunks of `chunk_tokens`."""
    return chunk_tokens // HEADER_SHARE


class TemplateError(AdapterError, ValueError):
    """A context template that cannot be rendered for a corpus."""


@dataclass(frozen=True, slots=True)
class ContextTemplate:
    r"""A per-corpus template such as `{title}\n{section}\n{text}`; "" embeds the text alone.

    Lines whose placeholders are all empty are left out, so a chunk without a section gets no
    blank line. Placeholders name chunk fields (`title`, `section`, `text`) or record metadata.

    Example:
        >>> ContextTemplate().render("Start a beta-blocker.", {"title": "HFrEF"})
        'HFrEF\nStart a beta-blocker.'
    """

    template: str = DEFAULT_TEMPLATE

    def __post_init__(self) -> None:
        try:
            self.template.format_map(dict.fromkeys(self.fields, ""))
        except (ValueError, IndexError) as err:
            raise TemplateError(f"context template {self.template!r}: {err}") from err
        if self.template and TEXT_FIELD not in self.fields:
            raise TemplateError(
                f"context template {self.template!r} has no {{text}}: it must embed the chunk"
            )

    @property
    def fields(self) -> tuple[str, ...]:
        """The placeholders it names, in order.

        Raises:
            TemplateError: An unbalanced brace or a positional `{}`.
        """
        try:
            names = [name for _, name, _, _ in string.Formatter().parse(self.template) if name]
        except ValueError as err:
            raise TemplateError(f"context template {self.template!r}: {err}") from err
        return tuple(dict.fromkeys(names))

    def check_fields(self, available: Iterable[str], owner: str) -> None:
        """Refuse a placeholder that `owner` (e.g. "corpus 'cardiology'") has no field for."""
        known = {"title", "section", TEXT_FIELD, *available}
        unknown = [name for name in self.fields if name not in known]
        if unknown:
            raise TemplateError(
                f"context template {self.template!r} names {', '.join(map(repr, unknown))}, "
                f"which {owner} lacks; the fields there: {', '.join(sorted(known))}"
            )

    def describe(self) -> str:
        """For messages: "the chunk text alone", or the template as Python writes it."""
        if not self.template:
            return "the chunk text alone"
        return f"the context template {self.template!r}"

    def header(self, values: Mapping[str, object]) -> str:
        """The rendered context without the chunk's text: what the header costs in tokens."""
        return self._render_lines(values, with_text=False)

    def render(self, text: str, values: Mapping[str, object], header: str | None = None) -> str:
        """The text the dense vector embeds; `header`, if given, is a cut header to use instead."""
        if not self.template:
            return text
        if header is not None:
            return f"{header}\n{text}" if header else text
        return self._render_lines({**values, TEXT_FIELD: text}, with_text=True)

    def dense_text(
        self,
        text: str,
        values: Mapping[str, object],
        max_header_tokens: int,
        count_tokens: Callable[[str], int],
    ) -> str:
        """What a chunk's dense vector embeds: its header, cut to `max_header_tokens`, and text.

        Ingest embeds chunks with it, and search measures a hit against the query with it.
        """
        if not self.template:
            return text
        header, _ = cut_header(self.header(values), max_header_tokens, count_tokens)
        return self.render(text, values, header)

    def _render_lines(self, values: Mapping[str, object], *, with_text: bool) -> str:
        lines = []
        for line in self.template.split("\n"):
            names = [name for _, name, _, _ in string.Formatter().parse(line) if name]
            if TEXT_FIELD in names and not with_text:
                continue
            filled = {name: _as_text(values.get(name)) for name in names}
            if names and not any(filled.values()):
                continue  # an empty part leaves no blank line
            lines.append(line.format_map(filled))
        return "\n".join(lines)


def template_notice(corpus: str, built: ContextTemplate, wanted: ContextTemplate) -> str | None:
    """What to run when a corpus's dense vectors lack the context the settings ask for.

    A corpus keeps the template it was built with (older ones: none, the text alone) until
    the user rebuilds it; searching it works meanwhile, and says so.
    """
    if built == wanted:
        return None
    return (
        f"Corpus {corpus!r} embeds {built.describe()}, not {wanted.describe()}: "
        f"`ingest PATH... --corpus {corpus} --recreate` re-embeds it "
        "(with its title and section, a chunk is found for what it is about)."
    )


def _as_text(value: object) -> str:
    return "" if value is None else str(value).strip()


def cut_header(
    header: str, max_tokens: int, count_tokens: Callable[[str], int]
) -> tuple[str, bool]:
    """`header` cut on a word boundary to at most `max_tokens` tokens; whether it was cut."""
    if count_tokens(header) <= max_tokens:
        return header, False
    words = header.split(" ")
    low, high = 0, len(words)
    while low < high:  # the most leading words that fit
        middle = (low + high + 1) // 2
        if count_tokens(" ".join(words[:middle])) <= max_tokens:
            low = middle
        else:
            high = middle - 1
    return " ".join(words[:low]).rstrip(), True
