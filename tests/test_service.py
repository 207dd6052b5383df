"""The gRPC service: GetTemplate, health, reflection, and the error contract, through a real
server in a subprocess (conftest.real_server); plumbing (uploads, batches, INTERNAL) through an
in-process server over a fake convert (conftest.fake_server)."""

from __future__ import annotations

import gc
import hashlib
import io
import random
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import docx
import grpc
import pytest
from fakes import FakeBackend
from google.rpc import error_details_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2
from grpc_status import rpc_status
from serverproc import running_server

from govreport.v1 import report_pb2, service_pb2, service_pb2_grpc, validation_pb2

SERVICE = "govreport.v1.ReportExtractor"
SEEDS = sorted((Path(__file__).parents[1] / "server/govreport/samples").glob("*.txt"))

# ---------------------------------------------------------------- helpers


def error_details(
    err: grpc.RpcError,
) -> tuple[error_details_pb2.ErrorInfo | None, error_details_pb2.BadRequest | None]:
    assert isinstance(err, grpc.Call)
    status = rpc_status.from_call(err)
    if status is None:
        return None, None
    info: error_details_pb2.ErrorInfo | None = None
    bad: error_details_pb2.BadRequest | None = None
    for detail in status.details:
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
        elif detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad = error_details_pb2.BadRequest()
            detail.Unpack(bad)
    return info, bad


def assert_error(
    err: grpc.RpcError, code: grpc.StatusCode, reason: str
) -> tuple[error_details_pb2.ErrorInfo, error_details_pb2.BadRequest | None]:
    assert isinstance(err, grpc.Call)
    assert err.code() == code, (err.code(), err.details())
    info, bad = error_details(err)
    assert info is not None, f"no ErrorInfo in {err.details()!r}"
    assert info.domain == "govreport"
    assert info.reason == reason, (info.reason, err.details())
    assert err.details(), "a message a person can act on"
    return info, bad


def random_bytes(n: int = 4096) -> bytes:
    return random.Random(20240108).randbytes(n)


def truncated_docx() -> bytes:
    document = docx.Document()
    document.add_heading("某某局2023年政府信息公开工作年度报告", level=1)
    document.add_paragraph("一、总体情况")
    table = document.add_table(rows=3, cols=3)
    for r in range(3):
        for c in range(3):
            table.cell(r, c).text = str(r * 3 + c)
    buffer = io.BytesIO()
    document.save(buffer)
    data = buffer.getvalue()
    assert len(data) > 2000
    return data[:2000]


def upload(*parts: service_pb2.ExtractUploadRequest) -> Iterator[service_pb2.ExtractUploadRequest]:
    yield from parts


def header(filename: str = "x.txt", size: int = 0) -> service_pb2.ExtractUploadRequest:
    return service_pb2.ExtractUploadRequest(
        header=service_pb2.UploadHeader(filename=filename, size_bytes=size)
    )


def chunk(data: bytes) -> service_pb2.ExtractUploadRequest:
    return service_pb2.ExtractUploadRequest(chunk=data)


# ---------------------------------------------------------------- GetTemplate

APPLICANT_COLUMNS = [
    "自然人",
    "法人或其他组织 / 商业企业",
    "法人或其他组织 / 科研机构",
    "法人或其他组织 / 社会公益组织",
    "法人或其他组织 / 法律服务机构",
    "法人或其他组织 / 其他",
    "总计",
]
CASE_COLUMNS = ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"]
R = "三、本年度办理结果"


def application_labels(version: int) -> list[str]:
    groups = [
        (
            "（三）不予公开",
            [
                "1.属于国家秘密",
                "2.其他法律行政法规禁止公开",
                "3.危及“三安全一稳定”",
                "4.保护第三方合法权益",
                "5.属于三类内部事务信息",
                "6.属于四类过程性信息",
                "7.属于行政执法案卷",
                "8.属于行政查询事项",
            ],
        ),
        (
            "（四）无法提供",
            [
                "1.本机关不掌握相关政府信息",
                "2.没有现成信息需要另行制作",
                "3.补正后申请内容仍不明确",
            ],
        ),
        (
            "（五）不予处理",
            [
                "1.信访举报投诉类申请",
                "2.重复申请",
                "3.要求提供公开出版物",
                "4.无正当理由大量反复申请",
                "5.要求行政机关确认或重新出具已获取信息",
            ],
        ),
        (
            "（六）其他处理",
            [
                "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
                "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
                "3.其他",
            ]
            if version == 2021
            else [],
        ),
    ]
    labels = [
        "一、本年新收政府信息公开申请数量",
        "二、上年结转政府信息公开申请数量",
        f"{R} / （一）予以公开",
        f"{R} / （二）部分公开（区分处理的，只计这一情形，不计其他情形）",
    ]
    for group, items in groups:
        labels.append(f"{R} / {group}")
        labels.extend(f"{R} / {group} / {item}" for item in items)
    labels += [f"{R} / （七）总计", "四、结转下年度继续办理"]
    return labels


DISCLOSURE_2021 = [
    ("第二十条第（一）项 / 规章", ["本年制发件数", "本年废止件数", "现行有效件数"]),
    ("第二十条第（一）项 / 行政规范性文件", ["本年制发件数", "本年废止件数", "现行有效件数"]),
    ("第二十条第（五）项 / 行政许可", ["本年处理决定数量"]),
    ("第二十条第（六）项 / 行政处罚", ["本年处理决定数量"]),
    ("第二十条第（六）项 / 行政强制", ["本年处理决定数量"]),
    ("第二十条第（八）项 / 行政事业性收费", ["本年收费金额（单位：万元）"]),
]
ITEMS_2019 = ["上一年项目数量", "本年增/减", "处理决定数量"]
DISCLOSURE_2019 = [
    ("第二十条第（一）项 / 规章", ["本年新制作数量", "本年新公开数量", "对外公开总数量"]),
    ("第二十条第（一）项 / 规范性文件", ["本年新制作数量", "本年新公开数量", "对外公开总数量"]),
    ("第二十条第（五）项 / 行政许可", ITEMS_2019),
    ("第二十条第（五）项 / 其他对外管理服务事项", ITEMS_2019),
    ("第二十条第（六）项 / 行政处罚", ITEMS_2019),
    ("第二十条第（六）项 / 行政强制", ITEMS_2019),
    ("第二十条第（八）项 / 行政事业性收费", ITEMS_2019[:2]),
    ("第二十条第（九）项 / 政府集中采购", ["采购项目数量", "采购总金额"]),
]
REVIEW = ["行政复议", "行政诉讼 / 未经复议直接起诉", "行政诉讼 / 复议后起诉"]


def get_template(
    stub: service_pb2_grpc.ReportExtractorStub, version: int
) -> dict[str, list[tuple[str, list[str]]]]:
    response = stub.GetTemplate(service_pb2.GetTemplateRequest(version=version), timeout=10)
    tables = response.template.tables
    return {t.section: [(r.label, [c.label for c in r.columns]) for r in t.rows] for t in tables}


def test_template_2021(stub: service_pb2_grpc.ReportExtractorStub) -> None:
    tables = get_template(stub, report_pb2.TEMPLATE_VERSION_2021)
    assert list(tables) == ["二", "三", "四"]
    assert len(tables["三"]) == 29
    assert tables["三"][0][0] == "一、本年新收政府信息公开申请数量"
    assert [label for label, _ in tables["三"]] == application_labels(2021)
    assert all(columns == APPLICANT_COLUMNS for _, columns in tables["三"])
    assert tables["二"] == DISCLOSURE_2021
    assert tables["四"] == [(label, CASE_COLUMNS) for label in REVIEW]


def test_template_2019(stub: service_pb2_grpc.ReportExtractorStub) -> None:
    tables = get_template(stub, report_pb2.TEMPLATE_VERSION_2019)
    assert len(tables["三"]) == 26
    assert [label for label, _ in tables["三"]] == application_labels(2019)
    assert all(columns == APPLICANT_COLUMNS for _, columns in tables["三"])
    assert tables["二"] == DISCLOSURE_2019
    assert tables["四"] == [(label, CASE_COLUMNS) for label in REVIEW]


def test_template_details(stub: service_pb2_grpc.ReportExtractorStub) -> None:
    response = stub.GetTemplate(service_pb2.GetTemplateRequest(), timeout=10)
    tpl = response.template
    assert tpl.version == report_pb2.TEMPLATE_VERSION_2021  # UNSPECIFIED means 2021
    assert tpl.source == "国办公开办函〔2021〕30号"
    assert [s.number for s in tpl.sections] == ["一", "二", "三", "四", "五", "六"]
    assert tpl.sections[1].field == "proactive_disclosure_2021"
    rows = {r.label: r for t in tpl.tables for r in t.rows}
    secret = rows[f"{R} / （三）不予公开 / 1.属于国家秘密"]
    assert secret.field == "application_handling.outcomes.not_disclosed.state_secrets"
    assert secret.depth == 2 and not secret.group_row
    assert rows[f"{R} / （三）不予公开"].group_row
    fees = rows["第二十条第（八）项 / 行政事业性收费"]
    assert fees.columns[0].field == "" and fees.columns[0].kind == 2  # VALUE_KIND_AMOUNT
    assert {"R1", "R2", "R3", "R4", "R7", "R9", "C1"} <= {rule.id for rule in tpl.rules}


def test_template_unknown_version(stub: service_pb2_grpc.ReportExtractorStub) -> None:
    with pytest.raises(grpc.RpcError) as caught:
        stub.GetTemplate(service_pb2.GetTemplateRequest(version=99), timeout=10)  # type: ignore[arg-type]
    _, bad = assert_error(caught.value, grpc.StatusCode.INVALID_ARGUMENT, "INVALID_FIELD")
    assert bad is not None and bad.field_violations[0].field == "version"


# ---------------------------------------------------------------- health and reflection


def test_health_serving(channel: grpc.Channel) -> None:
    health = health_pb2_grpc.HealthStub(channel)
    for service in ("", SERVICE):
        response = health.Check(health_pb2.HealthCheckRequest(service=service), timeout=5)
        assert response.status == health_pb2.HealthCheckResponse.SERVING
    with pytest.raises(grpc.RpcError) as caught:
        health.Check(health_pb2.HealthCheckRequest(service="no.such.Service"), timeout=5)
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND  # type: ignore[attr-defined]


@pytest.mark.parametrize("version", ["v1alpha", "v1"])
def test_reflection_lists_the_service(channel: grpc.Channel, version: str) -> None:
    """grpcurl and Postman ask for grpc.reflection.v1 first; older tools for v1alpha. The two
    protocols' messages are the same on the wire, so v1alpha's classes speak both."""
    info = channel.stream_stream(
        f"/grpc.reflection.{version}.ServerReflection/ServerReflectionInfo",
        request_serializer=reflection_pb2.ServerReflectionRequest.SerializeToString,
        response_deserializer=reflection_pb2.ServerReflectionResponse.FromString,
    )
    requests = iter(
        [
            reflection_pb2.ServerReflectionRequest(list_services=""),
            reflection_pb2.ServerReflectionRequest(file_containing_symbol=SERVICE),
        ]
    )
    listed, files = list(info(requests, timeout=10))
    names = {s.name for s in listed.list_services_response.service}
    assert {
        SERVICE,
        "grpc.health.v1.Health",
        "grpc.reflection.v1.ServerReflection",
        "grpc.reflection.v1alpha.ServerReflection",
    } <= names
    assert files.file_descriptor_response.file_descriptor_proto


# ---------------------------------------------------------------- bad input, real server


def test_empty_document(stub: service_pb2_grpc.ReportExtractorStub) -> None:
    with pytest.raises(grpc.RpcError) as caught:
        stub.Extract(service_pb2.ExtractRequest(content=b"", filename="empty.txt"), timeout=30)
    info, _ = assert_error(caught.value, grpc.StatusCode.INVALID_ARGUMENT, "EMPTY_DOCUMENT")
    assert info.metadata["filename"] == "empty.txt"


def test_random_bytes(stub: service_pb2_grpc.ReportExtractorStub) -> None:
    with pytest.raises(grpc.RpcError) as caught:
        stub.Extract(
            service_pb2.ExtractRequest(content=random_bytes(), filename="r.bin"), timeout=30
        )
    assert_error(caught.value, grpc.StatusCode.INVALID_ARGUMENT, "UNSUPPORTED_FORMAT")


def test_text_that_is_not_a_report(stub: service_pb2_grpc.ReportExtractorStub) -> None:
    invoice = "增值税普通发票\n购买方：某某有限公司\n金额：1000.00元\n税额：60.00元\n".encode()
    with pytest.raises(grpc.RpcError) as caught:
        stub.Extract(
            service_pb2.ExtractRequest(content=invoice, filename="invoice.txt"), timeout=30
        )
    assert_error(caught.value, grpc.StatusCode.INVALID_ARGUMENT, "NOT_A_REPORT")
    assert "invoice.txt" in caught.value.details()


def test_truncated_docx(stub: service_pb2_grpc.ReportExtractorStub) -> None:
    request = service_pb2.ExtractRequest(content=truncated_docx(), filename="cut.docx")
    with pytest.raises(grpc.RpcError) as caught:
        stub.Extract(request, timeout=30)
    assert_error(caught.value, grpc.StatusCode.INVALID_ARGUMENT, "CORRUPT_DOCUMENT")


def test_upload_without_header(stub: service_pb2_grpc.ReportExtractorStub) -> None:
    with pytest.raises(grpc.RpcError) as caught:
        stub.ExtractUpload(upload(chunk(b"abc"), chunk(b"def")), timeout=30)
    _, bad = assert_error(caught.value, grpc.StatusCode.INVALID_ARGUMENT, "INVALID_FIELD")
    assert bad is not None and bad.field_violations[0].field == "header"


def test_upload_with_no_messages(stub: service_pb2_grpc.ReportExtractorStub) -> None:
    with pytest.raises(grpc.RpcError) as caught:
        stub.ExtractUpload(upload(), timeout=30)
    _, bad = assert_error(caught.value, grpc.StatusCode.INVALID_ARGUMENT, "INVALID_FIELD")
    assert bad is not None and bad.field_violations[0].field == "header"


def test_upload_with_no_bytes(stub: service_pb2_grpc.ReportExtractorStub) -> None:
    with pytest.raises(grpc.RpcError) as caught:
        stub.ExtractUpload(upload(header("nothing.txt")), timeout=30)
    assert_error(caught.value, grpc.StatusCode.INVALID_ARGUMENT, "EMPTY_DOCUMENT")


def test_upload_random_bytes(stub: service_pb2_grpc.ReportExtractorStub) -> None:
    data = random_bytes(3000)
    parts = [chunk(data[i : i + 1000]) for i in range(0, 3000, 1000)]
    with pytest.raises(grpc.RpcError) as caught:
        stub.ExtractUpload(upload(header("r.bin", len(data)), *parts), timeout=30)
    assert_error(caught.value, grpc.StatusCode.INVALID_ARGUMENT, "UNSUPPORTED_FORMAT")


def test_batch_bad_and_good(stub: service_pb2_grpc.ReportExtractorStub) -> None:
    requests = [
        service_pb2.ExtractBatchRequest(id="bad", content=random_bytes(), filename="r.bin"),
        service_pb2.ExtractBatchRequest(
            id="good", content=SEEDS[0].read_bytes(), filename=SEEDS[0].name
        ),
        service_pb2.ExtractBatchRequest(id="empty", content=b"", filename="e.txt"),
    ]
    responses = {r.id: r for r in stub.ExtractBatch(iter(requests), timeout=60)}
    assert set(responses) == {"bad", "good", "empty"}
    bad = responses["bad"]
    assert bad.WhichOneof("result") == "error"
    assert (bad.error.code, bad.error.reason) == (3, "UNSUPPORTED_FORMAT")
    assert responses["empty"].error.reason == "EMPTY_DOCUMENT"
    assert responses["good"].WhichOneof("result") in ("extraction", "error")


# ---------------------------------------------------------------- size limit, second real server


@pytest.fixture(scope="module")
def small_stub() -> Iterator[service_pb2_grpc.ReportExtractorStub]:
    with (
        running_server({"GOVREPORT_MAX_UPLOAD_BYTES": "1KiB"}) as server,
        grpc.insecure_channel(server.address) as channel,
    ):
        yield service_pb2_grpc.ReportExtractorStub(channel)


def test_upload_declared_too_large(small_stub: service_pb2_grpc.ReportExtractorStub) -> None:
    with pytest.raises(grpc.RpcError) as caught:
        small_stub.ExtractUpload(upload(header("big.txt", 5000), chunk(b"x" * 1000)), timeout=30)
    info, _ = assert_error(caught.value, grpc.StatusCode.RESOURCE_EXHAUSTED, "TOO_LARGE")
    assert info.metadata["limit_bytes"] == "1024"
    assert info.metadata["size_bytes"] == "5000"


def test_upload_streamed_too_large(small_stub: service_pb2_grpc.ReportExtractorStub) -> None:
    parts = [chunk(b"y" * 600) for _ in range(3)]
    with pytest.raises(grpc.RpcError) as caught:
        small_stub.ExtractUpload(upload(header("big.txt"), *parts), timeout=30)
    assert_error(caught.value, grpc.StatusCode.RESOURCE_EXHAUSTED, "TOO_LARGE")


def test_unary_and_batch_too_large(small_stub: service_pb2_grpc.ReportExtractorStub) -> None:
    with pytest.raises(grpc.RpcError) as caught:
        small_stub.Extract(service_pb2.ExtractRequest(content=b"z" * 2000), timeout=30)
    assert_error(caught.value, grpc.StatusCode.RESOURCE_EXHAUSTED, "TOO_LARGE")
    request = service_pb2.ExtractBatchRequest(id="big", content=b"z" * 2000)
    (response,) = list(small_stub.ExtractBatch(iter([request]), timeout=30))
    assert (response.id, response.error.code, response.error.reason) == ("big", 8, "TOO_LARGE")


# ---------------------------------------------------------------- plumbing, fake convert


def test_extract_passes_bytes_name_and_options(
    fake_stub: service_pb2_grpc.ReportExtractorStub, fake_backend: FakeBackend
) -> None:
    content = "测试报告".encode()
    request = service_pb2.ExtractRequest(
        content=content, filename="one.txt", options=service_pb2.ExtractOptions(filed_year=2023)
    )
    extraction = fake_stub.Extract(request, timeout=10).extraction
    assert extraction.document.sha256 == hashlib.sha256(content).hexdigest()
    call = fake_backend.last_call("one.txt")
    assert (call.size, call.filed_year) == (len(content), 2023)


def test_upload_reassembles_chunks(
    fake_stub: service_pb2_grpc.ReportExtractorStub, fake_backend: FakeBackend
) -> None:
    content = bytes(range(256)) * 40
    parts = [chunk(content[i : i + 1000]) for i in range(0, len(content), 1000)]
    response = fake_stub.ExtractUpload(upload(header("up.bin", len(content)), *parts), timeout=10)
    assert response.extraction.document.sha256 == hashlib.sha256(content).hexdigest()
    assert fake_backend.last_call("up.bin").size == len(content)


def test_upload_size_mismatch_and_second_header(
    fake_stub: service_pb2_grpc.ReportExtractorStub,
) -> None:
    with pytest.raises(grpc.RpcError) as caught:
        fake_stub.ExtractUpload(upload(header("a.txt", 10), chunk(b"12345")), timeout=10)
    _, bad = assert_error(caught.value, grpc.StatusCode.INVALID_ARGUMENT, "INVALID_FIELD")
    assert bad is not None and bad.field_violations[0].field == "header.size_bytes"
    with pytest.raises(grpc.RpcError) as caught:
        fake_stub.ExtractUpload(upload(header("a.txt"), chunk(b"1"), header("b.txt")), timeout=10)
    assert_error(caught.value, grpc.StatusCode.INVALID_ARGUMENT, "INVALID_FIELD")


def test_convert_errors_map_to_status(fake_stub: service_pb2_grpc.ReportExtractorStub) -> None:
    with pytest.raises(grpc.RpcError) as caught:
        fake_stub.Extract(service_pb2.ExtractRequest(content=b"FAIL", filename="f.txt"), timeout=10)
    assert_error(caught.value, grpc.StatusCode.INVALID_ARGUMENT, "NOT_A_REPORT")


def test_unexpected_exception_is_internal_without_content(
    fake_stub: service_pb2_grpc.ReportExtractorStub,
) -> None:
    with pytest.raises(grpc.RpcError) as caught:
        fake_stub.Extract(
            service_pb2.ExtractRequest(content=b"BOOM secret-payload", filename="b.txt"), timeout=10
        )
    info, _ = assert_error(caught.value, grpc.StatusCode.INTERNAL, "INTERNAL")
    assert info.metadata["incident"]
    assert "secret-payload" not in caught.value.details()  # type: ignore[attr-defined]
    assert "RuntimeError" in caught.value.details()  # type: ignore[attr-defined]


def test_batch_returns_results_as_ready_and_survives_failures(
    fake_stub: service_pb2_grpc.ReportExtractorStub,
) -> None:
    def requests() -> Iterator[service_pb2.ExtractBatchRequest]:
        yield service_pb2.ExtractBatchRequest(id="slow", content=b"SLEEP=1.0;x", filename="s.txt")
        yield service_pb2.ExtractBatchRequest(id="fail", content=b"FAIL", filename="f.txt")
        yield service_pb2.ExtractBatchRequest(id="boom", content=b"BOOM", filename="b.txt")
        for i in range(5):
            yield service_pb2.ExtractBatchRequest(id=f"ok{i}", content=b"ok", filename=f"{i}.txt")

    order = []
    results = {}
    for response in fake_stub.ExtractBatch(requests(), timeout=30):
        order.append(response.id)
        results[response.id] = response
    assert sorted(order) == sorted(["slow", "fail", "boom", *(f"ok{i}" for i in range(5))])
    assert order[-1] == "slow", order  # the others did not wait for it
    assert results["fail"].error.code == 3 and results["fail"].error.reason == "NOT_A_REPORT"
    assert results["boom"].error.code == 13 and results["boom"].error.reason == "INTERNAL"
    assert results["ok3"].extraction.document.filename == "3.txt"


def test_batch_error_carries_the_status_a_unary_call_gives(
    fake_stub: service_pb2_grpc.ReportExtractorStub,
) -> None:
    request = service_pb2.ExtractBatchRequest(id="fail", content=b"FAIL", filename="f.txt")
    (response,) = list(fake_stub.ExtractBatch(iter([request]), timeout=30))
    status = response.error.status
    assert (status.code, response.error.code) == (3, 3)
    assert status.message == response.error.message and "f.txt" in status.message
    info = error_details_pb2.ErrorInfo()
    assert status.details[0].Unpack(info)
    assert (info.reason, info.domain, info.metadata["filename"]) == (
        "NOT_A_REPORT",
        "govreport",
        "f.txt",
    )
    assert info.metadata["request_id"]


def test_time_limit_is_each_batch_documents_own_deadline(
    fake_stub: service_pb2_grpc.ReportExtractorStub,
) -> None:
    """A document over its ExtractOptions.time_limit fails DEADLINE_EXCEEDED; the stream, which
    has no deadline of its own, goes on with the others."""
    limited = service_pb2.ExtractOptions()
    limited.time_limit.FromMilliseconds(300)
    requests = [
        service_pb2.ExtractBatchRequest(
            id="slow", content=b"SLEEP=5;x", filename="s.txt", options=limited
        ),
        service_pb2.ExtractBatchRequest(
            id="quick", content=b"SLEEP=0.05;x", filename="q.txt", options=limited
        ),
    ]
    results = {r.id: r for r in fake_stub.ExtractBatch(iter(requests))}
    assert results["slow"].error.code == grpc.StatusCode.DEADLINE_EXCEEDED.value[0]
    assert results["slow"].error.reason == "DEADLINE_EXCEEDED"
    assert "0.3 s" in results["slow"].error.message
    assert results["quick"].extraction.document.filename == "q.txt"


def test_a_negative_time_limit_is_an_invalid_field(
    fake_stub: service_pb2_grpc.ReportExtractorStub,
) -> None:
    options = service_pb2.ExtractOptions()
    options.time_limit.FromSeconds(-1)
    with pytest.raises(grpc.RpcError) as caught:
        fake_stub.Extract(
            service_pb2.ExtractRequest(content=b"ok", filename="a.txt", options=options),
            timeout=10,
        )
    info, _ = assert_error(caught.value, grpc.StatusCode.INVALID_ARGUMENT, "INVALID_FIELD")
    assert info.metadata["field"] == "options.time_limit"


def test_batch_empty_stream(fake_stub: service_pb2_grpc.ReportExtractorStub) -> None:
    assert list(fake_stub.ExtractBatch(iter([]), timeout=10)) == []


def test_validate(
    fake_stub: service_pb2_grpc.ReportExtractorStub, fake_backend: FakeBackend
) -> None:
    report = report_pb2.AnnualReport()
    report.metadata.title = "validate-me"
    response = fake_stub.Validate(service_pb2.ValidateRequest(report=report, filed_year=2023))
    assert response.validation.findings[0].severity == validation_pb2.SEVERITY_ERROR
    assert fake_backend.validate_calls[-1] == ("validate-me", False, 2023)
    request = service_pb2.ValidateRequest(report=report, previous_year_report=report)
    fake_stub.Validate(request, timeout=10)
    assert fake_backend.validate_calls[-1] == ("validate-me", True, 0)


def test_validate_real(stub: service_pb2_grpc.ReportExtractorStub) -> None:
    """Validate through the real server answers with a ValidationReport, or a mapped error."""
    try:
        response = stub.Validate(service_pb2.ValidateRequest(), timeout=30)
    except grpc.RpcError as err:
        info, _ = error_details(err)
        assert info is not None and info.domain == "govreport"
    else:
        assert response.HasField("validation")


def test_a_refused_large_document_is_freed_without_waiting_for_the_cyclic_collector(
    fake_stub: service_pb2_grpc.ReportExtractorStub,
) -> None:
    """grpc.aio keeps a failed call's state (its abort exception, the handler's frames and the
    document in them) in reference cycles; with the collector's automatic runs off, only the
    servicer's own collection after a large document frees them. A server refusing 50 MB
    uploads grew to gigabytes before."""
    document = b"FAIL" + b" " * (6 * 1024 * 1024)
    requests = [
        service_pb2.ExtractUploadRequest(header=service_pb2.UploadHeader(filename="big.txt")),
        *(
            service_pb2.ExtractUploadRequest(chunk=document[i : i + 1024 * 1024])
            for i in range(0, len(document), 1024 * 1024)
        ),
    ]
    gc.collect()
    gc.disable()
    tracemalloc.start()
    try:
        baseline = tracemalloc.get_traced_memory()[0]
        for _ in range(3):
            with pytest.raises(grpc.RpcError) as caught:
                fake_stub.ExtractUpload(iter(requests), timeout=30)
            assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        # Each refused call held its document twice (the chunks, and joined); the last call's
        # state stays referenced until the next call, not in a cycle: three documents' worth
        # held means the first two were never freed (six were, before).
        bound = 3 * len(document)
        held = tracemalloc.get_traced_memory()[0] - baseline
        deadline = time.monotonic() + 15
        while held > bound and time.monotonic() < deadline:
            time.sleep(0.2)
            held = tracemalloc.get_traced_memory()[0] - baseline
        assert held < bound, f"{held} bytes still held after three refused documents"
    finally:
        tracemalloc.stop()
        gc.enable()
