"""Every module says what it is for, and the public functions of the agreement API are documented numpydoc-style."""

import ast
import inspect
from pathlib import Path

import pytest

import theme_assist.agree as agree

PACKAGE = Path(__file__).resolve().parents[1] / "theme_assist"


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda path: str(path.relative_to(PACKAGE)))
def test_every_module_has_a_docstring(path):
    assert ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))), f"{path} has no module docstring"


@pytest.mark.parametrize("name", [name for name in agree.__all__ if inspect.isfunction(getattr(agree, name))])
def test_public_agreement_functions_document_every_parameter_and_what_they_return(name):
    function = getattr(agree, name)
    doc = inspect.getdoc(function)
    assert "Parameters\n----------" in doc and "Returns\n-------" in doc
    section = doc.split("Parameters\n----------")[1].split("\n\nReturns\n")[0]
    documented = set()
    for line in section.splitlines():
        if line and not line.startswith(" "):  # ``name : type``, or ``a, b, c`` described together
            documented |= {part.strip().lstrip("*") for part in line.split(" : ")[0].split(",")}
    parameters = list(inspect.signature(function).parameters)
    assert [p for p in parameters if p not in documented] == []
