"""The shared page geometry (govreport/layout.py): joins, lines, cells in a line, paragraphs, grids."""

from __future__ import annotations

import random

import pytest

from govreport.ir import Location, TextCell
from govreport.layout import (
    MAX_COLUMNS,
    PAGE_NUMBER,
    Line,
    SlotGrid,
    Spacing,
    Word,
    after_latin,
    between_ascii,
    between_latin,
    bounds,
    join_lines,
    join_words,
    line_height,
    lines_of,
    paragraphs,
    split_cells,
    unless_solid,
    word_height,
)

RULES: list[Spacing] = [between_ascii, between_latin, after_latin, unless_solid]


def _word(text: str, x0: float, top: float, width: float | None = None, size: float = 10) -> Word:
    """A word set in type ``size`` high, each character ``size`` wide unless told."""
    return Word(text, x0, top, x0 + (width if width is not None else size * len(text)), top + size)


# ---------------------------------------------------------------- joins


@pytest.mark.parametrize("space", RULES)
def test_chinese_is_set_solid_by_every_rule(space: Spacing) -> None:
    assert join_lines(["政府信息", "公开工作"], space) == "政府信息公开工作"
    assert join_lines(["（一）", "予以公开"], space) == "（一）予以公开"


@pytest.mark.parametrize("space", RULES)
def test_two_latin_words_are_spaced_by_every_rule(space: Spacing) -> None:
    assert join_lines(["hzzwgk", "126"], space) == "hzzwgk 126"


@pytest.mark.parametrize("space", RULES)
def test_empty_pieces_add_nothing(space: Spacing) -> None:
    assert join_lines(["", "abc", "", "def", ""], space) == "abc def"
    assert join_lines([], space) == ""


def test_structured_sources_space_every_break_outside_chinese() -> None:
    # A line break in HTML or DOCX between a figure and Chinese is still a break.
    assert join_lines(["2023", "年"], unless_solid) == "2023 年"
    assert join_lines(["办理结果", "(1)"], unless_solid) == "办理结果 (1)"


def test_pdf_lines_are_spaced_only_between_latin_letters_and_digits() -> None:
    assert join_lines(["2023", "年"], between_latin) == "2023年"
    assert join_lines(["0517-", "87222589"], between_latin) == "0517-87222589"
    assert join_lines(["www", ".gov.cn"], between_latin) == "www.gov.cn"


def test_pdf_words_are_spaced_between_any_two_ascii_words() -> None:
    words = [_word("(1)", 0, 0), _word("abc", 40, 0), _word("年", 80, 0)]
    assert join_words(words, between_ascii) == "(1) abc年"


def test_ocr_spaces_after_a_latin_letter_or_digit_before_ascii() -> None:
    assert join_lines(["12", "/", "30"], after_latin) == "12 /30"
    assert join_lines(["2023", "年"], after_latin) == "2023年"


def test_the_rules_differ_where_their_sources_do() -> None:
    # Punctuation after a word: a PDF's word break was a space, Tesseract's is not.
    assert join_lines(["a,", "b"], between_ascii) == "a, b"
    assert join_lines(["a,", "b"], after_latin) == "a,b"
    # Punctuation starting the next line: spaced for Tesseract, solid across a PDF's lines.
    assert join_lines(["a", "(b)"], after_latin) == "a (b)"
    assert join_lines(["a", "(b)"], between_latin) == "a(b)"


# ---------------------------------------------------------------- lines


def test_lines_of_groups_words_by_centre_top_to_bottom_and_left_to_right() -> None:
    words = [
        _word("第一行", 0, 100),
        _word("second", 50, 101),  # a little lower: same line
        _word("上", 10, 80),
        _word("下", 0, 120),
    ]
    random.Random(7).shuffle(words)
    lines = lines_of(words, 3.0, between_ascii)
    assert [ln.text for ln in lines] == ["上", "第一行second", "下"]
    middle = lines[1]
    assert (middle.x0, middle.top, middle.x1, middle.bottom) == (0, 100, 110, 111)
    assert line_height(middle) == 11


def test_lines_of_keeps_lines_apart_beyond_the_tolerance() -> None:
    lines = lines_of([_word("a", 0, 0), _word("b", 20, 4)], 3.0, between_ascii)
    assert [ln.text for ln in lines] == ["a", "b"]


def test_bounds_is_the_box_around_the_words() -> None:
    assert bounds([_word("a", 5, 10), _word("bb", 30, 2)]) == (5, 2, 50, 20)


def test_prose_is_one_cell_and_a_row_is_cut_at_every_gap_of_a_character() -> None:
    prose = Line([_word("年度", 0, 0), _word("报告", 25, 0), _word("全文", 60, 0)], between_ascii)
    assert [len(g) for g in split_cells(prose)] == [3]  # gaps of 0.5 and 1.5 characters
    row = Line(
        [_word("行政许可", 0, 0), _word("12", 70, 0), _word("3", 102, 0), _word("4", 115, 0)],
        between_ascii,
    )
    # The wide gap makes it a row; then a gap of 1.2 characters parts cells too, 0.3 does not.
    assert [[w.text for w in g] for g in split_cells(row)] == [["行政许可"], ["12"], ["3", "4"]]


# ---------------------------------------------------------------- paragraphs


def _line(text: str, x0: float, top: float, x1: float = 300) -> Line:
    return Line([Word(text, x0, top, x1, top + 10)], after_latin)


def test_a_full_line_runs_on_into_a_flush_left_one() -> None:
    lines = [
        _line("本年度共主动公开政府信息", 20, 0),  # indented first line, fills the measure
        _line("一百二十条。", 0, 14, 120),  # flush left: the same paragraph, ends short
        _line("下一段", 20, 28),  # after a short line: a new paragraph
    ]
    groups = paragraphs(lines, 0, 300)
    assert [[ln.text for ln in g] for g in groups] == [
        ["本年度共主动公开政府信息", "一百二十条。"],
        ["下一段"],
    ]


@pytest.mark.parametrize(
    "second",
    [
        _line("缩进的新段落", 31, 14),  # indented more than three characters
        _line("二、主动公开政府信息情况", 0, 14),  # a heading
        _line("（一）规章", 0, 14),  # a heading in brackets
        _line("空行之后", 0, 26),  # a blank line between (a gap of 1.6 lines)
    ],
)
def test_a_line_does_not_run_on_when(second: Line) -> None:
    groups = paragraphs([_line("满行的一行", 0, 0), second], 0, 300)
    assert len(groups) == 2


def test_the_margin_allows_two_characters_at_the_right_and_three_at_the_left() -> None:
    lines = [_line("差两个字到右边", 0, 0, 280), _line("差三个字到左边", 30, 14)]
    assert len(paragraphs(lines, 0, 300)) == 1
    lines = [_line("差两个字到右边", 0, 0, 279), _line("下一行", 0, 14)]
    assert len(paragraphs(lines, 0, 300)) == 2


def test_a_scanned_line_is_measured_by_its_tallest_word() -> None:
    # Words sitting higher and lower: the line spans 24, its type is 10 high.
    stepped = Line([Word("上", 0, 0, 150, 10), Word("下", 150, 14, 300, 24)], after_latin)
    assert line_height(stepped) == 24
    assert word_height(stepped) == 10
    above = Line([Word("满行", 0, -40, 300, -30)], after_latin)
    # 30 below the line above: a paragraph break for type 10 high, not for type 24 high.
    assert len(paragraphs([above, stepped], 0, 300, word_height)) == 2
    assert len(paragraphs([above, stepped], 0, 300, line_height)) == 1


def test_page_numbers() -> None:
    for text in ("- 3 -", "— 4 —", "第 3 页", "第3页 共10页", "3 / 10", " 12/30 "):
        assert PAGE_NUMBER.match(text), text
    for text in ("3", "2023年", "第3部分", "- 3"):
        assert not PAGE_NUMBER.match(text), text


# ---------------------------------------------------------------- grids


def _cell(text: str, r: int, c: int) -> TextCell:
    return TextCell(text, Location(locator=f"cell {text}"), 1.0, r, c)


def _at(r: int, c: int) -> Location:
    return Location(page=1, locator=f"absent {r},{c}")


def test_a_spanning_cell_is_one_object_in_every_slot_and_an_empty_slot_is_absent() -> None:
    grid = SlotGrid()
    head = _cell("申请人情况", 0, 0)
    grid.place(head, 0, 0, colspan=2, rowspan=2)
    grid.place(_cell("总计", 0, 2), 0, 2)
    grid.place(_cell("7", 2, 0), 2, 0)
    rows = grid.rows(3, _at)
    assert [len(row) for row in rows] == [3, 3, 3]
    assert rows[0][0] is head and rows[0][1] is head and rows[1][0] is head and rows[1][1] is head
    absent = [(r, c) for r, row in enumerate(rows) for c, cell in enumerate(row) if not cell.exists]
    assert absent == [(1, 2), (2, 1), (2, 2)]
    missing = rows[2][1]
    assert (missing.text, missing.confidence, missing.row, missing.col) == ("", 0.0, 2, 1)
    assert missing.location == Location(page=1, locator="absent 2,1")


def test_the_first_cell_laid_on_a_slot_keeps_it() -> None:
    grid = SlotGrid()
    first, second = _cell("a", 0, 0), _cell("b", 0, 1)
    grid.place(first, 0, 0, colspan=2)
    grid.place(second, 0, 1)
    assert grid.at(0, 1) is first
    assert grid.at(5, 0) is None and grid.at(-1, 0) is None


def test_next_free_skips_the_slots_a_span_from_above_holds() -> None:
    grid = SlotGrid()
    grid.place(_cell("a", 0, 1), 0, 1, colspan=2, rowspan=2)
    assert grid.next_free(1, 0) == 0
    assert grid.next_free(1, 1) == 3


def test_rows_are_as_wide_as_asked_and_as_many_as_asked() -> None:
    grid = SlotGrid()
    grid.place(_cell("a", 0, 0), 0, 0, rowspan=5)  # a span past the table's last row
    rows = grid.rows(2, _at, width=4)
    assert [len(row) for row in rows] == [4, 4]
    assert grid.rows(0, _at) == []


def test_columns_past_the_limit_are_dropped() -> None:
    grid = SlotGrid()
    grid.place(_cell("a", 0, 0), 0, 0, colspan=10**9)
    grid.place(_cell("b", 1, 0), 1, 10**9)
    rows = grid.rows(2, _at)
    assert [len(row) for row in rows] == [MAX_COLUMNS, MAX_COLUMNS]
    assert not any(cell.exists for cell in rows[1])
    ruled = SlotGrid(max_columns=3)
    ruled.place(_cell("a", 0, 0), 0, 0, colspan=5)
    assert [len(row) for row in ruled.rows(1, _at)] == [3]
