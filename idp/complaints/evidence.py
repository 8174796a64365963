"""Rules for evidence files: how many, how large, and which types (by content).

A file's type is read from its first bytes (JPEG ``FF D8 FF``, PNG's 8-byte signature,
PDF ``%PDF-``), and its extension must agree: a renamed executable is refused whatever
it is called, and so is a PDF named ``.jpg``.
"""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass
from typing import BinaryIO

from idp.errors import DomainError, Problem

FIELD = "evidence"

SIGNATURES = {
    "image/jpeg": b"\xff\xd8\xff",
    "image/png": b"\x89PNG\r\n\x1a\n",
    "application/pdf": b"%PDF-",
}
EXTENSIONS = {
    "image/jpeg": (".jpg", ".jpeg"),
    "image/png": (".png",),
    "application/pdf": (".pdf",),
}

EVIDENCE_TOO_MANY = Problem(
    "evidence.too_many", "Chỉ được đính kèm tối đa {max_files} tệp minh chứng.", FIELD
)
EVIDENCE_TOO_LARGE = Problem(
    "evidence.too_large",
    "Tệp “{name}” vượt quá dung lượng cho phép ({max_mb} MB mỗi tệp).",
    FIELD,
)
EVIDENCE_TOTAL_TOO_LARGE = Problem(
    "evidence.total_too_large",
    "Tổng dung lượng các tệp minh chứng vượt quá {max_mb} MB. "
    "Vui lòng giảm kích thước hoặc bớt tệp.",
    FIELD,
)
EVIDENCE_EMPTY = Problem("evidence.empty", "Tệp “{name}” không có nội dung.", FIELD)
EVIDENCE_WRONG_TYPE = Problem(
    "evidence.wrong_type",
    "Tệp “{name}” không phải ảnh JPEG, ảnh PNG hoặc tài liệu PDF. "
    "Chỉ chấp nhận các tệp .jpg, .jpeg, .png, .pdf.",
    FIELD,
)


@dataclass(frozen=True)
class Upload:
    """A file as received: the name the browser sent and its stream."""

    filename: str
    stream: BinaryIO


@dataclass(frozen=True)
class EvidenceFile:
    """A checked evidence file, ready to store."""

    filename: str
    content_type: str
    data: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def sniff_type(head: bytes) -> str | None:
    """The content type the file's first bytes announce, if it is an accepted one."""
    for content_type, signature in SIGNATURES.items():
        if head.startswith(signature):
            return content_type
    return None


def clean_filename(raw: str) -> str:
    """The file's own name (no folders), NFC, without control characters, ≤ 255 chars."""
    name = unicodedata.normalize("NFC", raw or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(char for char in name if unicodedata.category(char)[0] != "C").strip()
    return name[-255:] or "tep"


def megabytes(size: int) -> str:
    """``size`` in MiB as the pages show it (``5``, ``2.5``)."""
    return f"{size / 1048576:g}"


def check_evidence(
    uploads: list[Upload], *, max_files: int, max_bytes: int, max_total_bytes: int | None = None
) -> list[EvidenceFile]:
    """Read and check every upload; DomainError names the first file that breaks a rule."""
    if len(uploads) > max_files:
        raise DomainError(EVIDENCE_TOO_MANY.format(max_files=max_files))
    checked = []
    total = 0
    for upload in uploads:
        name = clean_filename(upload.filename)
        data = upload.stream.read(max_bytes + 1)
        if len(data) > max_bytes:
            raise DomainError(EVIDENCE_TOO_LARGE.format(name=name, max_mb=megabytes(max_bytes)))
        total += len(data)
        if max_total_bytes is not None and total > max_total_bytes:
            raise DomainError(EVIDENCE_TOTAL_TOO_LARGE.format(max_mb=megabytes(max_total_bytes)))
        if not data:
            raise DomainError(EVIDENCE_EMPTY.format(name=name))
        content_type = sniff_type(data[:8])
        if content_type is None or not name.lower().endswith(EXTENSIONS[content_type]):
            raise DomainError(EVIDENCE_WRONG_TYPE.format(name=name))
        checked.append(EvidenceFile(name, content_type, data))
    return checked
