"""Legacy Word (.doc, Word 97-2003) and WPS Writer (.wps) files: converted to DOCX by
LibreOffice, then read by the DOCX reader.

Government portals still publish many reports as .doc. No maintained Python
library reads their tables with merged cells; LibreOffice does, and the
container image carries it. Each conversion runs ``soffice --headless
--convert-to docx`` in a temporary folder of its own, with a throw-away
profile (so conversions never share state, and nothing outlives them), no
network, and a time limit; the process group is killed when it is over.
Without LibreOffice on the server the format is refused with a reason that
names it.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from govreport.errors import GovreportError, Reason, clip
from govreport.ir import Document, SourceFormat
from govreport.limits import Limits
from govreport.readers import docx

# LibreOffice starts in 2-5 s; a report converts in a second or two more.
CONVERT_SECONDS = 120.0


def converter() -> str | None:
    """The LibreOffice program, if this machine has one."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def read(content: bytes, limits: Limits | None = None) -> Document:
    document = docx.read(to_docx(content), limits)
    document.format = SourceFormat.LEGACY_WORD
    return document


def to_docx(content: bytes, seconds: float = CONVERT_SECONDS) -> bytes:
    """The DOCX LibreOffice makes of a .doc or .wps file."""
    program = converter()
    if program is None:
        raise GovreportError(
            Reason.UNSUPPORTED_FORMAT,
            "the document is a legacy Word (.doc) or WPS (.wps) file, which this server reads "
            "through LibreOffice (soffice), and LibreOffice is not installed here: install "
            "libreoffice-writer-nogui, or save the file as .docx or PDF and send that",
        )
    with tempfile.TemporaryDirectory(prefix="govreport-doc-") as folder:
        work = Path(folder)
        source = work / "report.doc"
        source.write_bytes(content)
        command = [
            program,
            f"-env:UserInstallation={(work / 'profile').as_uri()}",
            "--headless",
            "--norestore",
            "--nolockcheck",
            "--nodefault",
            # A Word 97 file or nothing: left to guess, LibreOffice imports any bytes as text.
            "--infilter=MS Word 97",
            "--convert-to",
            "docx:MS Word 2007 XML",
            "--outdir",
            str(work / "out"),
            str(source),
        ]
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(work)}
        process = subprocess.Popen(
            command,
            cwd=work,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, killed whole on time-out
        )
        try:
            output, _ = process.communicate(timeout=seconds)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            raise GovreportError(
                Reason.TIME_LIMIT,
                f"LibreOffice did not convert the .doc/.wps file within {seconds:.0f} s; "
                "save it as .docx or PDF and send that",
            ) from None
        converted = work / "out" / "report.docx"
        if process.returncode != 0 or not converted.is_file():
            said = clip(output.decode("utf-8", "replace").strip()) or "no output"
            raise GovreportError(
                Reason.CORRUPT_DOCUMENT,
                f"LibreOffice could not convert the .doc/.wps file ({said}); it may be damaged: "
                "open it in Word or WPS, save it as .docx and send that",
            )
        return converted.read_bytes()
