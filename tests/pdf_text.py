"""The words on a page of a PDF we wrote, one space between them.

A map page holds hundreds of thousands of path operators, which pypdf takes seconds to parse for its text;
poppler's pdftotext (poppler-utils) reads it in a fraction of that, so it is used when installed.
"""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from pypdf import PdfReader


def page_words(path: str | Path, page: int = 0) -> str:
    if shutil.which("pdftotext"):
        n = str(page + 1)
        out = subprocess.run(["pdftotext", "-f", n, "-l", n, "-enc", "UTF-8", str(path), "-"],
                             capture_output=True, check=True).stdout.decode("utf-8")
    else:
        out = PdfReader(str(path)).pages[page].extract_text()
    return " ".join(out.split())
