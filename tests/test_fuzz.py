"""Bounded-time fuzzing: no input makes govreport fail other than with a documented error.

For every input, the readers (text, HTML, DOCX), the assembler, the validator
and the whole ``convert()`` must either return a result that serializes, or
raise ``GovreportError`` whose reason is a member of ``Reason``. Any other
exception is a bug; so is an example that runs past the watchdog (a hang) or
takes the process's memory past a cap.

The inputs (fuzz_strategies.py) are arbitrary bytes and text, and edits of
real reports: the five seeds as text, their HTML and DOCX renderings (spans,
closing tags, merges, list numbering edited; truncated; bytes flipped), and
ir.Documents built from the template's labels with noise. Runs are
reproducible (derandomized, no example database) and sized to take well
under a minute on two cores.
"""

from __future__ import annotations

import contextlib
import os
import resource
import signal
from collections.abc import Callable, Iterator
from types import FrameType
from typing import TypeVar

import fuzz_strategies as fs
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from govreport.assembly import assemble
from govreport.convert import ConvertOptions, convert
from govreport.errors import STATUS_OF, GovreportError, Reason
from govreport.ir import Document
from govreport.limits import Limits
from govreport.readers import docx, html, text
from govreport.v1 import report_pb2, service_pb2, validation_pb2
from govreport.validation import validate

# A real report takes well under a second through convert(); an example running
# past this is a hang, whatever the machine.
HANG_SECONDS = 5.0
# Address space allowed on top of what the process already holds while fuzzing:
# a reader that lays out a span of 10⁹ cells fails with MemoryError, not the machine.
MEMORY_HEADROOM = 2 * 1024**3
# Shrinking a failure can take minutes (every shrink step of a hang costs HANG_SECONDS), so CI
# reports the failing example as found; GOVREPORT_FUZZ_SHRINK=1 shrinks it to a minimal one.
PHASES = (
    tuple(Phase)
    if os.environ.get("GOVREPORT_FUZZ_SHRINK")
    else tuple(p for p in Phase if p not in (Phase.shrink, Phase.explain))
)

T = TypeVar("T")


def fuzz(max_examples: int) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """The settings of every fuzz test: reproducible, bounded, the watchdog instead of a deadline."""
    return settings(
        max_examples=max_examples,
        deadline=None,  # the watchdog (HANG_SECONDS) is the time limit, and it names the hang
        derandomize=True,
        database=None,
        print_blob=False,
        phases=PHASES,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


# ---------------------------------------------------------------- the property


class _Hang(BaseException):
    """Raised by the watchdog; a BaseException so that no ``except Exception`` swallows it."""


@contextlib.contextmanager
def watchdog(what: str) -> Iterator[None]:
    def on_alarm(signum: int, frame: FrameType | None) -> None:
        if frame is not None and frame.f_code.co_name == "gc_callback":
            return  # Hypothesis's gc hook would swallow it: the next tick (0.5 s) raises
        raise _Hang

    previous = signal.signal(signal.SIGALRM, on_alarm)
    # Re-armed every half second: an alarm that lands in a gc callback is swallowed there.
    signal.setitimer(signal.ITIMER_REAL, HANG_SECONDS, 0.5)
    try:
        yield
    except _Hang as hang:  # chained: its traceback shows where the call was
        raise AssertionError(f"hang: {what} ran for more than {HANG_SECONDS:g} s") from hang
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture(scope="module", autouse=True)
def memory_cap() -> Iterator[None]:
    """Caps the address space while the fuzz tests run, so a blow-up is a MemoryError."""
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    try:
        with open("/proc/self/statm") as statm:
            in_use = int(statm.read().split()[0]) * resource.getpagesize()
    except OSError:  # not Linux: no cap, the watchdog alone
        yield
        return
    cap = in_use + MEMORY_HEADROOM
    if hard != resource.RLIM_INFINITY:
        cap = min(cap, hard)
    if soft == resource.RLIM_INFINITY or soft > cap:
        resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def outcome(what: str, call: Callable[[], T]) -> T | None:
    """The call's result, or None when it raised a documented GovreportError.

    Any other exception propagates as it is (its traceback is the bug report);
    a call that runs past the watchdog fails as a hang.
    """
    with watchdog(what):
        try:
            return call()
        except GovreportError as exc:
            assert isinstance(exc.reason, Reason), f"{what}: undocumented reason {exc.reason!r}"
            assert exc.reason in STATUS_OF, f"{what}: {exc.reason} maps to no gRPC status"
            assert str(exc)
            return None


def check_report(report: report_pb2.AnnualReport, filed_year: int = 0) -> None:
    """The report serializes, and the validator takes it."""
    assert isinstance(report, report_pb2.AnnualReport)
    report.SerializeToString()
    validation = outcome("validate", lambda: validate(report, filed_year=filed_year))
    if validation is not None:
        assert isinstance(validation, validation_pb2.ValidationReport)
        validation.SerializeToString()


def check_document(document: Document, version: int | None = None) -> None:
    """The assembler takes what a reader made: a report, or a documented error."""
    assert isinstance(document, Document)
    report = outcome("assemble", lambda: assemble(document, version, filename="fuzz"))
    if report is not None:
        check_report(report)


def check_reader(read: Callable[[bytes, Limits], Document], content: bytes) -> None:
    """One reader on the bytes, then the assembler and the validator on what it read."""
    document = outcome(f"{read.__module__}.read", lambda: read(content, Limits()))
    if document is not None:
        check_document(document)


def check_convert(content: bytes, filename: str, options: ConvertOptions) -> None:
    """The whole chain, format detected from the bytes."""
    extraction = outcome("convert", lambda: convert(content, filename, options))
    if extraction is not None:
        assert isinstance(extraction, service_pb2.Extraction)
        extraction.SerializeToString()


FILENAMES = st.sampled_from(["", "report.txt", "报告.html", "a.docx", "scan.pdf", "x"])
OPTIONS = st.builds(
    ConvertOptions,
    filed_year=st.one_of(st.just(0), st.integers(1990, 2030), st.integers(0, 2**31 - 1)),
    template_version=st.sampled_from([None, 2019, 2021]),
    skip_validation=st.booleans(),
    ocr_min_confidence=st.floats(0.0, 1.0),
)


# ---------------------------------------------------------------- text


@fuzz(300)
@given(content=st.binary(max_size=1500), filename=FILENAMES, options=OPTIONS)
def test_text_reader_arbitrary_bytes(
    content: bytes, filename: str, options: ConvertOptions
) -> None:
    check_reader(text.read, content)
    check_convert(content, filename, options)


@fuzz(300)
@given(content=fs.encoded(st.text(max_size=300)), options=OPTIONS)
def test_text_reader_arbitrary_unicode(content: bytes, options: ConvertOptions) -> None:
    check_reader(text.read, content)
    check_convert(content, "fuzz.txt", options)


@fuzz(60)
@given(content=fs.encoded(fs.report_text()), options=OPTIONS)
def test_text_reader_report_like_lines(content: bytes, options: ConvertOptions) -> None:
    check_reader(text.read, content)
    check_convert(content, "fuzz.txt", options)


@fuzz(60)
@given(
    report=fs.mutated_seed(),
    encoding=st.sampled_from(["utf-8", "utf-8", "gb18030", "utf-16"]),
    options=OPTIONS,
)
def test_text_reader_mutated_seeds(
    report: fs.Fuzzed, encoding: str, options: ConvertOptions
) -> None:
    content = report.content.encode(encoding, errors="surrogatepass")
    check_reader(text.read, content)
    check_convert(content, "fuzz.txt", options)


# ---------------------------------------------------------------- HTML


@fuzz(40)
@given(content=fs.html_page(), options=OPTIONS)
def test_html_reader_tag_soup(content: bytes, options: ConvertOptions) -> None:
    check_reader(html.read, content)
    check_convert(content, "fuzz.html", options)


@fuzz(40)
@given(fuzzed=fs.mutated_html(), options=OPTIONS)
def test_html_reader_mutated_rendering(fuzzed: fs.Fuzzed, options: ConvertOptions) -> None:
    content = fuzzed.content
    check_reader(html.read, content)
    check_convert(content, "fuzz.html", options)


# ---------------------------------------------------------------- DOCX


@fuzz(100)
@given(
    content=st.one_of(st.binary(max_size=600), st.binary(max_size=600).map(b"PK\x03\x04".__add__)),
    options=OPTIONS,
)
def test_docx_reader_random_bytes(content: bytes, options: ConvertOptions) -> None:
    check_reader(docx.read, content)
    check_convert(content, "fuzz.docx", options)


@fuzz(60)
@given(fuzzed=fs.truncated_docx(), options=OPTIONS)
def test_docx_reader_truncated(fuzzed: fs.Fuzzed, options: ConvertOptions) -> None:
    content = fuzzed.content
    check_reader(docx.read, content)
    check_convert(content, "fuzz.docx", options)


@fuzz(50)
@given(fuzzed=fs.mutated_docx(), options=OPTIONS)
def test_docx_reader_mutated_document_xml(fuzzed: fs.Fuzzed, options: ConvertOptions) -> None:
    content = fuzzed.content
    check_reader(docx.read, content)
    check_convert(content, "fuzz.docx", options)


@fuzz(20)
@given(fuzzed=fs.mutated_numbering(), options=OPTIONS)
def test_docx_reader_mutated_list_numbering(fuzzed: fs.Fuzzed, options: ConvertOptions) -> None:
    content = fuzzed.content
    check_reader(docx.read, content)
    check_convert(content, "fuzz.docx", options)


# ---------------------------------------------------------------- the assembler


@fuzz(80)
@given(
    document=fs.ir_document(),
    version=st.sampled_from([None, 2019, 2021]),
)
def test_assembler_on_random_documents(document: Document, version: int | None) -> None:
    check_document(document, version)


# ---------------------------------------------------------------- crashes the fuzzing found

_APPLICATIONS = "三、收到和处理政府信息公开申请情况\n"
_HEADED = "<w:p><w:r><w:t>三、收到和处理政府信息公开申请情况</w:t></w:r></w:p>"


def _tc(text: str, props: str = "") -> str:
    props = f"<w:tcPr>{props}</w:tcPr>" if props else ""
    return f"<w:tc>{props}<w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:tc>"


def _listed(fmt: str, start: str) -> bytes:
    """A heading numbered by a one-level list of format ``fmt`` starting at ``start``."""
    return fs.minimal_docx(
        '<w:p><w:pPr><w:numPr><w:ilvl w:val="0"/><w:numId w:val="1"/></w:numPr></w:pPr>'
        "<w:r><w:t>总体情况</w:t></w:r></w:p>",
        f'<w:abstractNum w:abstractNumId="0"><w:lvl w:ilvl="0"><w:start w:val="{start}"/>'
        f'<w:numFmt w:val="{fmt}"/><w:lvlText w:val="%1、"/></w:lvl></w:abstractNum>'
        '<w:num w:numId="1"><w:abstractNumId w:val="0"/></w:num>',
    )


# Minimal inputs of every failure found, each one the smallest of its kind: they stay
# here (failing, never skipped) until the library handles them.
KNOWN = {
    # A count past int64: ValueError "Value out of range" from the proto setter.
    "text_count_over_int64": (
        text.read,
        (_APPLICATIONS + "四、结转下年度继续办理\t9223372036854775808\n").encode(),
    ),
    # 2019 二 本年增/减 past int64: the same in Cell.change.
    "text_change_over_int64": (
        text.read,
        "2020年政府信息公开工作年度报告\n二、主动公开政府信息情况\n行政许可\t1\t9223372036854775808\t3\n".encode(),
    ),
    # DOCX w:gridSpan is not capped (HTML caps spans at 1000): 10⁹ slots laid out one by one.
    "docx_huge_grid_span": (
        docx.read,
        fs.minimal_docx(
            f"{_HEADED}<w:tbl><w:tr>"
            + _tc("1", '<w:gridSpan w:val="1000000000"/>')
            + _tc("2")
            + "</w:tr></w:tbl>"
        ),
    ),
    # DOCX w:gridBefore is not capped: a row of 10⁹ absent cells.
    "docx_huge_grid_before": (
        docx.read,
        fs.minimal_docx(
            f'{_HEADED}<w:tbl><w:tr><w:trPr><w:gridBefore w:val="1000000000"/></w:trPr>'
            + _tc("1")
            + _tc("2")
            + "</w:tr></w:tbl>"
        ),
    ),
    # A list starting at 10¹² in letters: "A" * 38 billion (MemoryError).
    "docx_list_letters_huge_start": (docx.read, _listed("upperLetter", "1000000000000")),
    # The same in roman numerals: "M" * 10⁹, then cleaned and matched as a heading.
    "docx_list_roman_huge_start": (docx.read, _listed("upperRoman", "1000000000000")),
    # 1.7 kB of HTML: forty cells of rowspan=1000 colspan=1000 in a one-row table lay
    # 40 million grid slots (twenty cells: 7 s and 1.2 GiB), though the table has one row.
    "html_rowspan_past_table_end": (
        html.read,
        (
            "<html><body><p>三、收到和处理政府信息公开申请情况</p><table><tr>"
            + '<td colspan="1000" rowspan="1000">1</td>' * 40
            + "</tr></table></body></html>"
        ).encode(),
    ),
}


@pytest.mark.parametrize("case", sorted(KNOWN))
def test_known_crashers(case: str) -> None:
    read, content = KNOWN[case]
    check_reader(read, content)
    check_convert(content, "", ConvertOptions())
