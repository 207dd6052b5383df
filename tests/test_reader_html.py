"""The HTML reader: blocks in reading order, grid tables with spans, decoding, page chrome."""

from __future__ import annotations

import pytest
from fixtures import LAYOUTS, render, stems
from fixtures.writer import expected_text, read_back

from govreport import formats
from govreport.errors import GovreportError, Reason
from govreport.ir import Document, Hints, Paragraph, SourceFormat, Table
from govreport.readers import html


def page(body: str, head: str = '<meta charset="utf-8">') -> bytes:
    return (
        f"<!DOCTYPE html>\n<html>\n<head>{head}</head>\n<body>\n{body}\n</body>\n</html>\n".encode()
    )


def paragraphs(doc: Document) -> list[str]:
    return [block.text for block in doc.blocks if isinstance(block, Paragraph)]


def tables(doc: Document) -> list[Table]:
    return [block for block in doc.blocks if isinstance(block, Table)]


def texts(table: Table) -> list[list[str]]:
    return [[cell.text for cell in row] for row in table.rows]


MERGED = """<table border="1">
<tr><td rowspan="2" colspan="2">勾稽</td><td colspan="2">申请人情况</td></tr>
<tr><td>商业<br>企业</td><td>&nbsp;</td></tr>
<tr><td>一、本年新收</td><td>New<br/>applications</td><td>3</td><td></td></tr>
</table>"""


class TestTables:
    def test_spans_fill_every_slot_with_the_same_cell(self) -> None:
        table = tables(html.read(page(MERGED)))[0]
        assert table.grid is True
        assert texts(table) == [
            ["勾稽", "勾稽", "申请人情况", "申请人情况"],
            ["勾稽", "勾稽", "商业企业", ""],
            ["一、本年新收", "New applications", "3", ""],
        ]
        corner = table.rows[0][0]
        assert all(table.rows[r][c] is corner for r in (0, 1) for c in (0, 1))
        assert table.rows[0][2] is table.rows[0][3]
        assert (corner.row, corner.col) == (0, 0)
        assert (table.rows[1][2].row, table.rows[1][2].col) == (1, 2)

    def test_own_cells_gives_each_cell_once_in_its_first_row(self) -> None:
        table = tables(html.read(page(MERGED)))[0]
        assert [cell.text for cell in table.own_cells(0)] == ["勾稽", "申请人情况"]
        assert [cell.text for cell in table.own_cells(1)] == ["商业企业", ""]
        assert [cell.text for cell in table.own_cells(2)] == [
            "一、本年新收",
            "New applications",
            "3",
            "",
        ]

    def test_cells_carry_locator_line_and_confidence(self) -> None:
        doc = html.read(page("<p>前言</p>\n" + MERGED))
        table = tables(doc)[0]
        assert table.location.locator == "table[1]"
        assert table.location.line == 6  # <table> is on line 6 of the page
        cell = table.rows[1][2]
        assert cell.location.locator == "table[1]/row[2]/cell[1]"
        assert cell.location.line == 8
        assert cell.confidence == 1.0
        assert table.rows[2][2].location.locator == "table[1]/row[3]/cell[3]"

    def test_blank_and_nbsp_cells_are_empty_strings(self) -> None:
        table = tables(html.read(page(MERGED)))[0]
        assert table.rows[1][3].text == ""
        assert table.rows[1][3].confidence == 1.0  # a real blank cell

    def test_ragged_row_is_padded_with_absent_slots(self) -> None:
        body = "<table><tr><td>规章</td><td>1</td><td>2</td></tr><tr><td>行政规范性文件</td><td>4</td></tr></table>"
        table = tables(html.read(page(body)))[0]
        absent = table.rows[1][2]
        assert (absent.text, absent.confidence) == ("", 0.0)
        assert absent.location.locator == "table[1]/row[2]"
        assert table.own_cells(1)[-1] is absent

    def test_thead_tbody_rows_and_rowspan_zero(self) -> None:
        body = (
            "<table><thead><tr><th>项目</th><th>数量</th></tr></thead>"
            "<tbody><tr><td rowspan=0>甲</td><td>1</td></tr><tr><td>2</td></tr></tbody></table>"
        )
        table = tables(html.read(page(body)))[0]
        assert texts(table) == [["项目", "数量"], ["甲", "1"], ["甲", "2"]]

    def test_cell_lines_join_solid_between_chinese_and_spaced_otherwise(self) -> None:
        body = (
            "<table><tr><td><p>（二）部分公开（区分处理的，</p><p>只计这一情形）</p></td>"
            "<td>22<br>（其中修订16件）</td><td>本年收费金额<br>（单位：万元）</td></tr></table>"
        )
        table = tables(html.read(page(body)))[0]
        assert texts(table) == [
            [
                "（二）部分公开（区分处理的，只计这一情形）",
                "22 （其中修订16件）",
                "本年收费金额（单位：万元）",
            ]
        ]

    def test_cell_text_is_normalised(self) -> None:
        body = "<table><tr><td>１２\u3000件</td><td>\u2f00、总\u200b体</td></tr></table>"
        assert texts(tables(html.read(page(body)))[0]) == [["12 件", "一、总体"]]


class TestPageText:
    def test_paragraphs_split_at_blocks_and_br_inline_text_joined(self) -> None:
        body = "<div><h1>某局<span>2023年</span>年报</h1><p>一、总体情况<br>正文第一句。</p>尾部文字</div>"
        doc = html.read(page(body))
        assert paragraphs(doc) == ["某局2023年年报", "一、总体情况", "正文第一句。", "尾部文字"]
        assert [b.location.locator for b in doc.blocks] == ["p[1]", "p[2]", "p[3]", "p[4]"]

    def test_paragraph_lines_point_at_the_source(self) -> None:
        doc = html.read(page("<p>第一段</p>\n\n<p>第二段</p>"))
        assert [b.location.line for b in doc.blocks] == [5, 7]

    def test_source_line_breaks_inside_chinese_text_vanish(self) -> None:
        doc = html.read(page("<p>政府信息公开\r\n工作年度报告 2023\n年</p>"))
        assert paragraphs(doc) == ["政府信息公开工作年度报告 2023 年"]

    def test_preformatted_text_keeps_its_lines(self) -> None:
        doc = html.read(page("<pre>规章\t0\t0\n行政许可   120</pre><p>后</p>"))
        assert paragraphs(doc) == ["规章 0 0", "行政许可 120", "后"]
        assert [b.location.line for b in doc.blocks] == [5, 6, 6]

    def test_blocks_keep_reading_order_around_tables(self) -> None:
        doc = html.read(
            page("<p>二、主动公开</p><table><tr><td>a</td><td>1</td></tr></table><p>三、申请</p>")
        )
        assert [type(b).__name__ for b in doc.blocks] == ["Paragraph", "Table", "Paragraph"]
        assert doc.blocks[2].location.locator == "p[2]"

    def test_scripts_styles_comments_navigation_and_hidden_text_are_dropped(self) -> None:
        head = '<meta charset="utf-8"><style>p { color: red }</style><script>var x = "一、总体情况";</script>'
        body = (
            "<nav><a>首页</a></nav><!-- 二、注释 --><script>document.write('三、脚本')</script>"
            "<noscript>请启用脚本</noscript><div style='display: none'>隐藏</div><p hidden>也隐藏</p>"
            "<aside>相关链接</aside><select><option>部门网站</option></select><p>正文</p>"
        )
        assert paragraphs(html.read(page(body, head))) == ["正文"]

    def test_layout_tables_are_unwrapped_without_duplicating_text(self) -> None:
        body = (
            "<table><tr><td>导航</td><td><p>标题</p>"
            "<table><tr><td>规章</td><td>0</td></tr></table><p>结尾</p></td></tr></table>"
        )
        doc = html.read(page(body))
        assert [b.text if isinstance(b, Paragraph) else texts(b) for b in doc.blocks] == [
            "导航",
            "标题",
            [["规章", "0"]],
            "结尾",
        ]
        assert tables(doc)[0].location.locator == "table[1]"

    def test_caption_becomes_a_paragraph_before_its_table(self) -> None:
        doc = html.read(page("<table><caption>表三</caption><tr><td>a</td><td>1</td></tr></table>"))
        assert [b.text if isinstance(b, Paragraph) else texts(b) for b in doc.blocks] == [
            "表三",
            [["a", "1"]],
        ]

    def test_one_column_table_is_read_as_paragraphs(self) -> None:
        doc = html.read(page("<table><tr><td><p>一、总体情况</p><p>正文</p></td></tr></table>"))
        assert paragraphs(doc) == ["一、总体情况", "正文"]
        assert tables(doc) == []

    def test_hints_from_the_page_head(self) -> None:
        head = (
            '<meta charset="utf-8"><meta name="ArticleTitle" content="某局2023年 年报">'
            '<meta name="PubDate" content="2024-01-17 09:30"><title>某局 - 政府网</title>'
        )
        doc = html.read(page("<p>正文</p>", head))
        assert doc.hints == Hints(title="某局2023年 年报", published="2024-01-17")
        assert html.read(page("<p>正文</p>", "<title>某局年报</title>")).hints == Hints(
            title="某局年报"
        )


class TestDecoding:
    TEXT = "<p>绥芬河市卫生健康局政府信息公开工作年度报告：“三安全一稳定”</p>"

    def test_gbk_with_meta_charset(self) -> None:
        content = page(
            self.TEXT, '<meta http-equiv="Content-Type" content="text/html; charset=gb2312">'
        )
        content = content.decode("utf-8").encode("gbk")
        doc = html.read(content)
        assert doc.encoding == "gb18030"
        assert paragraphs(doc) == ["绥芬河市卫生健康局政府信息公开工作年度报告：“三安全一稳定”"]

    def test_gb18030_only_characters_under_a_gbk_declaration(self) -> None:
        content = "<html><head><meta charset=gbk></head><body><p>㐀年报€</p></body></html>".encode(
            "gb18030"
        )
        assert paragraphs(html.read(content)) == ["㐀年报€"]

    def test_undeclared_gbk_is_detected(self) -> None:
        content = ("<html><body>" + self.TEXT * 3 + "</body></html>").encode("gbk")
        doc = html.read(content)
        assert doc.encoding in ("gb18030", "gbk", "gb2312")
        assert paragraphs(doc)[0].startswith("绥芬河市卫生健康局")

    def test_utf8_wins_over_a_stale_gb2312_declaration(self) -> None:
        doc = html.read(page(self.TEXT, '<meta charset="gb2312">'))
        assert doc.encoding == "utf-8"
        assert paragraphs(doc)[0].startswith("绥芬河市")

    @pytest.mark.parametrize("codec", ["utf-8-sig", "utf-16"])
    def test_byte_order_mark(self, codec: str) -> None:
        content = page(self.TEXT).decode("utf-8").encode(codec)
        assert paragraphs(html.read(content))[0].startswith("绥芬河市")

    def test_utf16_without_bom_is_detected(self) -> None:
        content = ("<html><body>" + self.TEXT + "</body></html>").encode("utf-16-le")
        assert paragraphs(html.read(content))[0].startswith("绥芬河市")

    def test_xml_declaration_is_accepted(self) -> None:
        content = b'<?xml version="1.0" encoding="utf-8"?>\n' + page(self.TEXT)
        assert paragraphs(html.read(content))[0].startswith("绥芬河市")


class TestErrors:
    def test_whitespace_only_page_is_empty(self) -> None:
        with pytest.raises(GovreportError) as caught:
            html.read(b"  \n\t ")
        assert caught.value.reason is Reason.EMPTY_DOCUMENT

    def test_page_without_visible_text_is_empty(self) -> None:
        with pytest.raises(GovreportError) as caught:
            html.read(page("<script>var a = 1;</script><nav>首页</nav>"))
        assert caught.value.reason is Reason.EMPTY_DOCUMENT
        assert "no visible text" in caught.value.message


def test_readers_dispatch_html_by_content() -> None:
    doc = formats.read(page("<p>正文</p>"), "report.txt")
    assert doc.format is SourceFormat.HTML


HTML_LAYOUTS = [name for name in LAYOUTS if name.startswith("html_")]


@pytest.mark.parametrize("layout", HTML_LAYOUTS)
@pytest.mark.parametrize("stem", stems())
def test_fixture_tables_read_back_as_written(stem: str, layout: str) -> None:
    """Every gold cell lands in its slot: the writer and the reader agree."""
    content, gold = render(stem, layout)
    doc = formats.read(content, f"{stem}.html")
    assert doc.format is SourceFormat.HTML
    got = read_back(doc.blocks, gold)
    wrong = {
        (c.section, c.row, c.column): (
            c.expected,
            got.get((c.section, c.row, c.column), "<no cell>"),
        )
        for c in gold.cells
        if got.get((c.section, c.row, c.column), "<no cell>") != expected_text(c.expected)
    }
    assert wrong == {}
    assert paragraphs(doc).count(str(gold.meta["title"])) == 1


def test_blank_zeros_layout_expects_blank_for_every_zero() -> None:
    content, gold = render("synthetic_2021", "html_blank_zeros")
    merged_gold = render("synthetic_2021", "html_merged")[1]
    for before, after in zip(merged_gold.cells, gold.cells, strict=True):
        assert after.expected == ("blank" if before.expected == "0" else before.expected)
    assert b"&nbsp;" in content


def test_chrome_layout_drops_script_text_and_keeps_the_report_once() -> None:
    content, _ = render("synthetic_2021", "html_chrome")
    doc = html.read(content)
    texts_ = paragraphs(doc)
    assert texts_.count("二、主动公开政府信息情况") == 1  # not also from document.write in a script
    assert "办事服务" not in " ".join(texts_)  # the nav bar
    assert len(tables(doc)) == 3


def test_gbk_layout_is_gbk_bytes() -> None:
    content, _ = render("synthetic_2019", "html_gbk")
    with pytest.raises(UnicodeDecodeError):
        content.decode("utf-8")
    assert html.read(content).encoding == "gb18030"
