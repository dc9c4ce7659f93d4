"""What the wheel ships: every package-data file pyproject.toml declares exists (``py.typed`` marks the
package as typed for mypy and editors)."""
import tomllib

from tests.conftest import REPO


def test_declared_package_data_exists():
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    declared = config["tool"]["setuptools"]["package-data"]
    assert "py.typed" in declared["territory_desk"]
    for package, patterns in declared.items():
        folder = REPO / package.replace(".", "/")
        for pattern in patterns:
            assert list(folder.glob(pattern)), f"{package}: {pattern} is declared but missing"
