"""The DOCX reader: body order, merged cells as one object, numbering, core properties, damaged files."""

from __future__ import annotations

import io
import re
import zipfile
from typing import Any

import docx
import pytest
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.packuri import PackURI
from docx.opc.part import Part
from docx.oxml import parse_xml
from fixtures import LAYOUTS, render, stems
from fixtures.writer import expected_text, read_back

from govreport import formats
from govreport.errors import GovreportError, Reason
from govreport.ir import Document, Hints, Paragraph, SourceFormat, Table
from govreport.readers import docx as docx_reader

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def save(document: Any) -> bytes:
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def with_body(xml: str) -> bytes:
    """A .docx whose body is ``xml`` (WordprocessingML, prefix w:)."""
    document = docx.Document()
    body = document.element.body
    for child in list(body):
        if not child.tag.endswith("}sectPr"):
            body.remove(child)
    wrapper = parse_xml(f'<w:body xmlns:w="{W}">{xml}</w:body>')
    for index, child in enumerate(list(wrapper)):
        body.insert(index, child)
    return save(document)


def p(text: str, props: str = "") -> str:
    return f"<w:p>{props}<w:r><w:t xml:space='preserve'>{text}</w:t></w:r></w:p>"


def tc(text: str, props: str = "") -> str:
    return f"<w:tc><w:tcPr>{props}</w:tcPr>{p(text) if text else '<w:p/>'}</w:tc>"


def paragraphs(doc: Document) -> list[str]:
    return [block.text for block in doc.blocks if isinstance(block, Paragraph)]


def tables(doc: Document) -> list[Table]:
    return [block for block in doc.blocks if isinstance(block, Table)]


def texts(table: Table) -> list[list[str]]:
    return [[cell.text for cell in row] for row in table.rows]


MERGED = (
    "<w:tbl><w:tblGrid>" + "<w:gridCol/>" * 4 + "</w:tblGrid>"
    "<w:tr>" + tc("勾稽", "<w:gridSpan w:val='2'/><w:vMerge w:val='restart'/>") + tc("申请人情况", "<w:gridSpan w:val='2'/>") + "</w:tr>"
    "<w:tr>" + tc("", "<w:gridSpan w:val='2'/><w:vMerge/>") + tc("商业") + tc("") + "</w:tr>"
    "<w:tr>" + tc("一、本年新收") + tc("", "<w:vMerge w:val='continue'/>") + tc("3") + tc("0") + "</w:tr>"
    "</w:tbl>"
)  # fmt: skip


class TestTables:
    def test_grid_span_and_vertical_merge_are_one_cell(self) -> None:
        table = tables(docx_reader.read(with_body(MERGED)))[0]
        assert table.grid is True
        assert texts(table) == [
            ["勾稽", "勾稽", "申请人情况", "申请人情况"],
            ["勾稽", "勾稽", "商业", ""],
            ["一、本年新收", "勾稽", "3", "0"],
        ]
        corner = table.rows[0][0]
        assert all(table.rows[r][c] is corner for r in (0, 1) for c in (0, 1))
        assert (corner.row, corner.col) == (0, 0)
        assert table.rows[0][2] is table.rows[0][3]

    def test_continuing_a_cell_that_has_no_start_above_gives_its_own_cell(self) -> None:
        table = tables(docx_reader.read(with_body(MERGED)))[0]
        # vMerge continue under a slot of a cell two columns wide: it joins that cell
        stray = table.rows[2][1]
        assert stray is table.rows[1][1]

    def test_own_cells_and_locators(self) -> None:
        table = tables(docx_reader.read(with_body(MERGED)))[0]
        assert [c.text for c in table.own_cells(0)] == ["勾稽", "申请人情况"]
        assert [c.text for c in table.own_cells(1)] == ["商业", ""]
        assert [c.location.locator for c in table.own_cells(1)] == [
            "table[1]/row[2]/cell[2]",
            "table[1]/row[2]/cell[3]",
        ]
        assert table.location.locator == "table[1]"

    def test_python_docx_merge_reads_back_as_one_cell(self) -> None:
        document = docx.Document()
        table = document.add_table(rows=3, cols=3)
        table.cell(0, 0).merge(table.cell(2, 0)).text = "三、本年度办理结果"
        table.cell(0, 1).merge(table.cell(0, 2)).text = "（一）予以公开"
        table.cell(1, 1).text = "商业"
        table.cell(1, 1).add_paragraph("企业")
        table.cell(2, 2).text = "7"
        read = tables(docx_reader.read(save(document)))[0]
        assert texts(read) == [
            ["三、本年度办理结果", "（一）予以公开", "（一）予以公开"],
            ["三、本年度办理结果", "商业企业", ""],
            ["三、本年度办理结果", "", "7"],
        ]
        assert read.rows[2][0] is read.rows[0][0]
        assert [c.text for c in read.own_cells(2)] == ["", "7"]

    def test_grid_before_and_short_rows_leave_absent_slots(self) -> None:
        body = (
            "<w:tbl><w:tblGrid>" + "<w:gridCol/>" * 3 + "</w:tblGrid>"
            "<w:tr>" + tc("规章") + tc("1") + tc("2") + "</w:tr>"
            "<w:tr><w:trPr><w:gridBefore w:val='1'/></w:trPr>" + tc("4") + "</w:tr></w:tbl>"
        )  # fmt: skip
        table = tables(docx_reader.read(with_body(body)))[0]
        assert texts(table) == [["规章", "1", "2"], ["", "4", ""]]
        assert [c.confidence for c in table.rows[1]] == [0.0, 1.0, 0.0]

    def test_cell_lines_join_solid_between_chinese(self) -> None:
        cell = (
            "<w:tc><w:p><w:r><w:t>本年收费金额</w:t><w:br/><w:t>（单位：万元）</w:t></w:r></w:p>"
            "<w:p><w:r><w:t>note</w:t></w:r></w:p></w:tc>"
        )
        body = f"<w:tbl><w:tr>{cell}{tc('22')}</w:tr></w:tbl>"
        assert texts(tables(docx_reader.read(with_body(body)))[0]) == [
            ["本年收费金额（单位：万元） note", "22"]
        ]

    def test_content_controls_around_rows_and_cells_are_looked_through(self) -> None:
        body = (
            "<w:tbl><w:sdt><w:sdtContent><w:tr>" + tc("规章") + "<w:sdt><w:sdtContent>" + tc("5")
            + "</w:sdtContent></w:sdt></w:tr></w:sdtContent></w:sdt></w:tbl>"
        )  # fmt: skip
        assert texts(tables(docx_reader.read(with_body(body)))[0]) == [["规章", "5"]]

    def test_layout_table_holding_a_table_is_unwrapped(self) -> None:
        inner = f"<w:tbl><w:tr>{tc('规章')}{tc('0')}</w:tr></w:tbl>"
        body = f"<w:tbl><w:tr><w:tc>{p('标题')}{inner}{p('结尾')}</w:tc></w:tr></w:tbl>"
        doc = docx_reader.read(with_body(body))
        assert [b.text if isinstance(b, Paragraph) else texts(b) for b in doc.blocks] == [
            "标题",
            [["规章", "0"]],
            "结尾",
        ]


def with_chunk(document: Any, content: bytes, content_type: str, name: str) -> None:
    """Imports ``content`` into the body as an altChunk, as web systems export .docx."""
    part = Part(PackURI(f"/word/{name}"), content_type, content, document.part.package)
    rid = document.part.relate_to(part, RT.A_F_CHUNK)
    r = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    chunk = parse_xml(f'<w:altChunk xmlns:w="{W}" xmlns:r="{r}" r:id="{rid}"/>')
    document.element.body.insert(len(document.element.body) - 1, chunk)


class TestBody:
    def test_paragraphs_and_tables_in_body_order(self) -> None:
        document = docx.Document()
        document.add_paragraph("二、主动公开政府信息情况")
        document.add_table(rows=1, cols=2).rows[0].cells[0].text = "规章"
        document.add_paragraph("")
        document.add_paragraph("三、收到和处理政府信息公开申请情况")
        doc = docx_reader.read(save(document))
        assert doc.format is SourceFormat.DOCX
        assert [type(b).__name__ for b in doc.blocks] == ["Paragraph", "Table", "Paragraph"]
        assert [b.location.locator for b in doc.blocks] == ["p[1]", "table[1]", "p[2]"]
        assert {b.confidence for b in doc.blocks if isinstance(b, Paragraph)} == {1.0}

    def test_line_breaks_split_paragraphs_and_white_space_collapses(self) -> None:
        body = (
            "<w:p><w:r><w:t>某局</w:t></w:r><w:r><w:t xml:space='preserve'>2023 年  年报</w:t></w:r>"
            "<w:r><w:br/><w:t>2024年1月8日</w:t><w:tab/><w:t>附件</w:t></w:r></w:p>"
        )
        assert paragraphs(docx_reader.read(with_body(body))) == [
            "某局2023 年 年报",
            "2024年1月8日 附件",
        ]

    def test_hidden_deleted_and_field_code_text_is_skipped(self) -> None:
        body = (
            "<w:p><w:r><w:rPr><w:vanish/></w:rPr><w:t>隐藏</w:t></w:r>"
            "<w:del><w:r><w:delText>删除</w:delText></w:r></w:del>"
            "<w:ins><w:r><w:t>插入</w:t></w:r></w:ins>"
            "<w:r><w:fldChar w:fldCharType='begin'/></w:r><w:r><w:instrText>PAGE</w:instrText></w:r>"
            "<w:r><w:fldChar w:fldCharType='separate'/></w:r><w:r><w:t>3</w:t></w:r>"
            "<w:r><w:fldChar w:fldCharType='end'/></w:r>"
            "<w:hyperlink><w:r><w:t>链接</w:t></w:r></w:hyperlink></w:p>"
        )
        assert paragraphs(docx_reader.read(with_body(body))) == ["插入3链接"]

    def test_html_alt_chunk_is_read_in_place(self) -> None:
        document = docx.Document()
        document.add_paragraph("前言")
        chunk = "<html><body><p>一、总体情况</p><table><tr><td>规章</td><td>0</td></tr></table></body></html>"
        with_chunk(document, chunk.encode(), "text/html", "chunk1.html")
        with_chunk(document, "二、说明\r\n第二行".encode("gbk"), "text/plain", "chunk2.txt")
        document.add_paragraph("结尾")
        doc = docx_reader.read(save(document))
        assert [b.text if isinstance(b, Paragraph) else texts(b) for b in doc.blocks] == [
            "前言",
            "一、总体情况",
            [["规章", "0"]],
            "二、说明",
            "第二行",
            "结尾",
        ]
        table = tables(doc)[0]
        assert table.location.locator == "altChunk[1]/table[1]"
        assert table.rows[0][1].location.locator == "altChunk[1]/table[1]/row[1]/cell[2]"

    def test_text_is_normalised(self) -> None:
        assert paragraphs(docx_reader.read(with_body(p("\u2f00、总体情况\u3000２０２３")))) == [
            "一、总体情况 2023"
        ]


NUMBERING = (
    f'<w:abstractNum xmlns:w="{W}" w:abstractNumId="77">'
    '<w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="chineseCounting"/><w:lvlText w:val="%1、"/></w:lvl>'
    '<w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="chineseCounting"/><w:lvlText w:val="（%2）"/></w:lvl>'
    '<w:lvl w:ilvl="2"><w:start w:val="1"/><w:numFmt w:val="decimal"/><w:lvlText w:val="%3."/></w:lvl>'
    "</w:abstractNum>"
)


def numbered(*items: tuple[int, str], restart: bool = False) -> bytes:
    document = docx.Document()
    numbering = document.part.numbering_part.element
    numbering.insert(0, parse_xml(NUMBERING))
    numbering.append(
        parse_xml(f'<w:num xmlns:w="{W}" w:numId="77"><w:abstractNumId w:val="77"/></w:num>')
    )
    numbering.append(
        parse_xml(
            f'<w:num xmlns:w="{W}" w:numId="78"><w:abstractNumId w:val="77"/>'
            '<w:lvlOverride w:ilvl="0"><w:startOverride w:val="1"/></w:lvlOverride></w:num>'
        )
    )
    for index, (level, text) in enumerate(items):
        paragraph = document.add_paragraph(text)
        num_id = 78 if restart and index == len(items) - 1 else 77
        paragraph._p.get_or_add_pPr().append(
            parse_xml(
                f'<w:numPr xmlns:w="{W}"><w:ilvl w:val="{level}"/><w:numId w:val="{num_id}"/></w:numPr>'
            )
        )
    return save(document)


class TestNumbering:
    def test_automatic_numbers_are_rendered_as_word_shows_them(self) -> None:
        content = numbered(
            (0, "总体情况"),
            (1, "主动公开"),
            (1, "依申请公开"),
            (0, "主动公开政府信息情况"),
            (2, "规章"),
        )
        assert paragraphs(docx_reader.read(content)) == [
            "一、总体情况",
            "（一）主动公开",
            "（二）依申请公开",
            "二、主动公开政府信息情况",
            "1. 规章",
        ]

    def test_numbering_continues_across_lists_of_one_definition_until_restarted(self) -> None:
        content = numbered((0, "甲"), (0, "乙"), (0, "丙"), restart=True)
        assert paragraphs(docx_reader.read(content)) == ["一、甲", "二、乙", "一、丙"]

    def test_style_numbering(self) -> None:
        document = docx.Document()
        document.add_paragraph("属于国家秘密", style="List Number")
        document.add_paragraph("其他法律行政法规禁止公开", style="List Number")
        assert paragraphs(docx_reader.read(save(document))) == [
            "1. 属于国家秘密",
            "2. 其他法律行政法规禁止公开",
        ]

    @pytest.mark.parametrize(
        ("n", "chinese"),
        [(1, "一"), (10, "十"), (11, "十一"), (20, "二十"), (23, "二十三"), (105, "一百零五")],
    )
    def test_chinese_counting(self, n: int, chinese: str) -> None:
        assert docx_reader._chinese(n) == chinese


class TestHints:
    def test_core_properties_title_and_dates(self) -> None:
        content, _ = render("synthetic_2021", "docx_merged")
        assert docx_reader.read(content).hints == Hints(
            title="示例市卫生健康局2023年政府信息公开工作年度报告",
            created="2024-01-16",
            modified="2024-01-16",
        )

    def test_no_core_properties_part_means_no_hints(self) -> None:
        content = rewrite(with_body(p("正文")), drop="docProps/core.xml")
        rels = zipfile.ZipFile(io.BytesIO(content)).read("_rels/.rels").decode()
        rels = re.sub(r"<Relationship [^>]*core-properties[^>]*/>", "", rels)
        content = rewrite(content, replace=("_rels/.rels", rels.encode()))
        assert docx_reader.read(content).hints == Hints()

    def test_a_report_without_a_date_gets_no_date_hint(self) -> None:
        if "001_9fd470447c6cfcf1" not in stems():
            pytest.skip("gold 001 not present")
        content, gold = render("001_9fd470447c6cfcf1", "docx_merged")
        assert docx_reader.read(content).hints == Hints(title=gold.meta["title"])


def rewrite(content: bytes, *, drop: str = "", replace: tuple[str, bytes] | None = None) -> bytes:
    """The package with one member dropped or replaced."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as source, zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            if item.filename == drop:
                continue
            data = (
                replace[1]
                if replace and item.filename == replace[0]
                else source.read(item.filename)
            )
            target.writestr(item, data)
    return out.getvalue()


class TestErrors:
    def reason(self, content: bytes) -> GovreportError:
        with pytest.raises(GovreportError) as caught:
            docx_reader.read(content)
        return caught.value

    def test_truncated_file_is_corrupt(self) -> None:
        content = with_body(p("正文"))
        error = self.reason(content[: len(content) // 2])
        assert error.reason is Reason.CORRUPT_DOCUMENT
        assert "truncated" in error.message

    def test_malformed_document_xml_is_corrupt(self) -> None:
        content = rewrite(
            with_body(p("正文")), replace=("word/document.xml", b"<w:document><w:body><w:p>")
        )
        assert self.reason(content).reason is Reason.CORRUPT_DOCUMENT

    def test_zip_without_document_xml_is_corrupt(self) -> None:
        content = rewrite(with_body(p("正文")), drop="word/document.xml")
        assert self.reason(content).reason is Reason.CORRUPT_DOCUMENT

    def test_not_a_zip_at_all_is_corrupt(self) -> None:
        assert self.reason(b"PK\x03\x04 not really a zip").reason is Reason.CORRUPT_DOCUMENT

    def test_document_without_text_is_empty(self) -> None:
        error = self.reason(save(docx.Document()))
        assert error.reason is Reason.EMPTY_DOCUMENT


def test_readers_dispatch_docx_by_content() -> None:
    doc = formats.read(with_body(p("正文")), "report.pdf")
    assert doc.format is SourceFormat.DOCX


DOCX_LAYOUTS = [name for name in LAYOUTS if name.startswith("docx_")]


@pytest.mark.parametrize("layout", DOCX_LAYOUTS)
@pytest.mark.parametrize("stem", stems())
def test_fixture_tables_read_back_as_written(stem: str, layout: str) -> None:
    """Every gold cell lands in its slot: the writer and the reader agree."""
    content, gold = render(stem, layout)
    doc = formats.read(content, f"{stem}.docx")
    assert doc.format is SourceFormat.DOCX
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
    texts_ = paragraphs(doc)
    assert texts_.count(str(gold.meta["title"])) == 1
    assert [t for t in texts_ if t[:2] in ("一、", "二、", "三、", "四、", "五、", "六、")] == [
        "一、总体情况",
        "二、主动公开政府信息情况",
        "三、收到和处理政府信息公开申请情况",
        "四、政府信息公开行政复议、行政诉讼情况",
        "五、存在的主要问题及改进情况",
        "六、其他需要报告的事项",
    ]


def test_split_layout_has_two_tables_for_section_three_with_a_paragraph_between() -> None:
    content, _ = render("synthetic_2021", "docx_split")
    blocks = docx_reader.read(content).blocks
    widths = [len(b.rows[0]) if isinstance(b, Table) else b.text for b in blocks]
    at = widths.index(10)
    assert widths[at : at + 3] == [10, "— 3 —", 10]
    continuation = blocks[at + 2]
    assert isinstance(continuation, Table)
    assert continuation.rows[0][0].text == ""  # 三、本年度办理结果 carried over, blank
    assert continuation.rows[0][2].text == "5.属于三类内部事务信息"
