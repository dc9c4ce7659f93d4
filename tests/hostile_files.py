"""Hostile files shared by the input tests: an XML entity bomb ("billion laughs") and a workbook
that carries it in its sheet."""
from __future__ import annotations

import zipfile
from pathlib import Path

# ten levels of ten: &lol9; would expand to 10**9 "lol"s
BILLION_LAUGHS = ('<!DOCTYPE lolz [<!ENTITY lol "lol">' + "".join(
    f'<!ENTITY lol{i} "{("&lol%s;" % (i - 1 if i > 1 else "")) * 10}">' for i in range(1, 10)).replace(
    "&lol0;", "&lol;") + "]>")


def bomb_workbook(good: Path, out: Path, text: str) -> Path:
    """A copy of the workbook ``good`` whose first sheet declares the entity bomb and uses it in
    place of the cell text ``text``."""
    with zipfile.ZipFile(good) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = (BILLION_LAUGHS + data.decode().replace(text, "&lol9;")).encode()
            zout.writestr(info, data)
    return out
