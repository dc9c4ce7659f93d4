"""Make the Linux bundle smaller without changing what runs: strip symbols where that is safe (proved
by loading), and replace byte-identical copies of a library by a symlink to the first copy.

    python installer/slim_bundle.py dist/territory-desk

PyInstaller's own `strip=True` strips every library, and that breaks some of the ones that
auditwheel/patchelf rewrote inside the wheels (numpy's OpenBLAS then fails to load with "ELF load
command address/offset not page-aligned"). Here each unstripped ELF file is stripped
(`strip --strip-unneeded`) in place, then loaded with dlopen in a forked child from its place in
the bundle (so its $ORIGIN run paths resolve); when the load result after stripping differs from
the result before, the original file is put back. Prints one line per restored file and the total
saved.

Duplicates: numpy.libs and scipy.libs each carry the same libgfortran and libquadmath (same name,
same bytes); the second copy becomes a relative symlink to the first, so the dynamic loader still
finds it under both names. Runs with any Python 3.11 (the build venv's); Linux only.
"""
from __future__ import annotations

import ctypes
import hashlib
import os
import shutil
import struct
import subprocess
import sys
from pathlib import Path


def elf_needs_strip(path: Path) -> bool:
    """True for an ELF file that still has a symbol table (.symtab), i.e. `file` says "not stripped"."""
    try:
        data = path.read_bytes()
    except OSError:
        return False
    if data[:4] != b"\x7fELF" or len(data) < 64:
        return False
    is64, little = data[4] == 2, data[5] == 1
    end = "<" if little else ">"
    if is64:
        shoff, = struct.unpack_from(end + "Q", data, 0x28)
        shentsize, shnum = struct.unpack_from(end + "HH", data, 0x3A)
    else:
        shoff, = struct.unpack_from(end + "I", data, 0x20)
        shentsize, shnum = struct.unpack_from(end + "HH", data, 0x2E)
    for i in range(shnum):
        at = shoff + i * shentsize
        if at + 8 > len(data):
            break
        sh_type, = struct.unpack_from(end + "I", data, at + 4)
        if sh_type == 2:  # SHT_SYMTAB
            return True
    return False


def load_result(path: Path) -> str:
    """'' when dlopen(path) succeeds in a child process, else the loader's message."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: load and report; never return into the parent's code
        os.close(r)
        msg = b""
        try:
            ctypes.CDLL(str(path), mode=os.RTLD_LAZY | os.RTLD_LOCAL)
        except OSError as exc:
            msg = str(exc).encode("utf-8", "replace")
        except BaseException as exc:  # noqa: BLE001 - any other failure is a result too
            msg = repr(exc).encode("utf-8", "replace")
        os.write(w, msg[:4000])
        os._exit(0)
    os.close(w)
    with os.fdopen(r, "rb") as f:
        data = f.read()
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        return f"killed by signal {os.WTERMSIG(status)}"
    return data.decode("utf-8", "replace")


def link_duplicates(bundle: Path) -> tuple[int, int]:
    """Symlink byte-identical shared libraries (same file name, same content) to one copy."""
    first: dict[tuple[str, int, str], Path] = {}
    linked = saved = 0
    for path in sorted(p for p in bundle.rglob("*.so*") if p.is_file() and not p.is_symlink()):
        size = path.stat().st_size
        if size < 100_000:
            continue
        key = (path.name, size, hashlib.sha256(path.read_bytes()).hexdigest())
        if key not in first:
            first[key] = path
            continue
        target = os.path.relpath(first[key], path.parent)
        path.unlink()
        path.symlink_to(target)
        linked += 1
        saved += size
    return linked, saved


def main(argv: list[str] | None = None) -> int:
    args = argv if argv is not None else sys.argv[1:]
    if len(args) != 1 or not Path(args[0]).is_dir():
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    if not sys.platform.startswith("linux") or shutil.which("strip") is None:
        print("strip_bundle: not Linux or no `strip` on PATH: nothing done")
        return 0
    bundle = Path(args[0])
    saved = stripped = restored = 0
    for path in sorted(p for p in bundle.rglob("*.so*") if p.is_file() and not p.is_symlink()):
        if not elf_needs_strip(path):
            continue
        before = load_result(path)
        backup = path.with_name(path.name + ".unstripped")
        shutil.copy2(path, backup)
        size = path.stat().st_size
        ok = subprocess.run(["strip", "--strip-unneeded", str(path)], capture_output=True).returncode == 0
        after = load_result(path) if ok else "strip failed"
        if after != before:
            shutil.move(backup, path)
            restored += 1
            print(f"kept unstripped: {path.relative_to(bundle)} ({after.strip()[:120]})")
        else:
            backup.unlink()
            stripped += 1
            saved += size - path.stat().st_size
    print(f"stripped {stripped} libraries ({saved / 1e6:.1f} MB saved), kept {restored} as they were")
    linked, dup_saved = link_duplicates(bundle)
    print(f"linked {linked} duplicate libraries ({dup_saved / 1e6:.1f} MB saved)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
