import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings

ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts" / "interop"


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    """The PDF's text as Debian's poppler-utils reads it (installed by .ci/run)."""
    if shutil.which("pdftotext") is None:
        pytest.fail("pdftotext (poppler-utils) is missing: .ci/run installs it")
    source = tmp_path / "handout.pdf"
    source.write_bytes(pdf)
    return subprocess.run(
        ["pdftotext", "-layout", str(source), "-"], check=True, capture_output=True, text=True
    ).stdout


def pdf_pages_to_png(pdf: bytes, name: str) -> list[Path]:
    """Every page as a PNG in test-artifacts/interop/ (to be looked at)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    source = ARTIFACTS / f"{name}.pdf"
    source.write_bytes(pdf)
    for old in ARTIFACTS.glob(f"{name}-*.png"):
        old.unlink()
    subprocess.run(["pdftoppm", "-png", "-r", "60", str(source), str(ARTIFACTS / name)], check=True)
    return sorted(ARTIFACTS.glob(f"{name}-*.png"))
