"""docs/DESIGN.md says where everything lives: every module of the package
and every C file is named in it, so a new file cannot land without a home."""

import pathlib

PACKAGE = pathlib.Path(__file__).resolve().parents[2] / "src" / "whyalive"
DESIGN = PACKAGE.parents[1] / "docs" / "DESIGN.md"


def files_to_name():
    """Each file of the package a reader must find in the design doc: its
    modules, C sources, headers without a ``.c`` of the same name (a
    ``.h`` beside its ``.c`` is that file's interface), and data files."""
    for path in sorted(PACKAGE.rglob("*")):
        if "__pycache__" in path.parts or not path.is_file():
            continue
        if path.suffix in (".py", ".pyi", ".c", ".json"):
            if path.name == "__init__.py" and path.parent != PACKAGE:
                continue  # a subpackage is named by its folder
            yield path
        elif path.suffix == ".h" and not path.with_suffix(".c").exists():
            yield path


def test_every_module_and_c_file_is_named_in_the_design_doc():
    text = DESIGN.read_text(encoding="utf-8")
    missing = [
        str(path.relative_to(PACKAGE))
        for path in files_to_name()
        if f"{path.name}`" not in text and f"/{path.name}" not in text
    ]
    assert missing == [], f"docs/DESIGN.md names no home for {missing}"


def test_every_subpackage_is_named_in_the_design_doc():
    text = DESIGN.read_text(encoding="utf-8")
    folders = sorted(
        p.name for p in PACKAGE.iterdir() if p.is_dir() and p.name != "__pycache__"
    )
    assert [f for f in folders if f"{f}/" not in text] == []
