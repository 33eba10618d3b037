from __future__ import annotations

import pytest

from adapters.context_template import (
    DEFAULT_TEMPLATE,
    ContextTemplate,
    TemplateError,
    cut_header,
)

ANSWER = "These resources address the diagnosis or management of the condition."


def test_default_template_puts_title_and_section_before_the_text() -> None:
    values = {"title": "Heart failure", "section": "Treatment > Medicines"}
    rendered = ContextTemplate(DEFAULT_TEMPLATE).render(ANSWER, values)
    assert rendered == f"Heart failure\nTreatment > Medicines\n{ANSWER}"


def test_empty_parts_leave_no_blank_lines_but_the_text_keeps_its_own() -> None:
    text = "First paragraph.\n\nSecond paragraph."
    template = ContextTemplate()
    assert template.render(text, {"title": "Syncope", "section": None}) == f"Syncope\n{text}"
    assert template.render(text, {"title": "", "section": " "}) == text
    assert template.header({"title": "Syncope"}) == "Syncope"


def test_an_empty_template_embeds_the_text_alone() -> None:
    assert ContextTemplate("").render(ANSWER, {"title": "Heart failure"}) == ANSWER
    assert ContextTemplate("").fields == ()


def test_record_fields_and_literal_text_can_be_named() -> None:
    template = ContextTemplate("Specialty: {medical_specialty}\n{title}\n{text}")
    values = {"medical_specialty": "Cardiovascular / Pulmonary", "title": "Echo"}
    assert template.render("Normal LV size.", values) == (
        "Specialty: Cardiovascular / Pulmonary\nEcho\nNormal LV size."
    )
    assert template.render("Normal LV size.", {"title": "Echo"}) == "Echo\nNormal LV size."
    assert template.fields == ("medical_specialty", "title", "text")


def test_a_template_naming_an_unknown_field_lists_the_fields_there_are() -> None:
    template = ContextTemplate("{specialty}\n{text}")
    with pytest.raises(TemplateError) as info:
        template.check_fields({"medical_specialty", "keywords"}, "corpus 'notes'")
    message = str(info.value)
    assert "'specialty'" in message and "corpus 'notes'" in message
    assert "keywords, medical_specialty, section, text, title" in message
    template.check_fields({"specialty"}, "corpus 'notes'")  # present: accepted


@pytest.mark.parametrize(
    ("template", "message"),
    [("{title}\n{section}", "has no {text}"), ("{title\n{text}", "context template")],
    ids=["no-text", "unbalanced-brace"],
)
def test_a_malformed_template_is_refused(template: str, message: str) -> None:
    with pytest.raises(TemplateError, match=message):
        ContextTemplate(template)


def test_a_long_header_is_cut_on_words_to_the_budget() -> None:
    def words(text: str) -> int:
        return len(text.split())

    header = "Guideline for the management of heart failure in adults " * 4
    cut, was_cut = cut_header(header.strip(), 10, words)
    assert was_cut and words(cut) == 10
    assert header.startswith(cut)
    assert cut_header("Heart failure", 10, words) == ("Heart failure", False)
