"""The repository explains itself: nothing points outside it, and the paths its docs name exist.

A researcher who clones CadreSim has only the repository. No tracked file may send them to the
project's private working notes (the sibling folder or the design, evidence and style notes
that lived there), every repository path that README.md and docs/*.md name in backticks or link
to must exist, and docs/sources.md must list, under each source text, exactly the config fields
the schema traces to it.
"""

from __future__ import annotations

import fnmatch
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Written so that this file does not match itself.
OUTSIDE_POINTERS = (
    re.compile(r"\.\./shared\b"),
    re.compile(r"(?<![\w-])(DESIGN|EVIDENCE|STYLE)\.md\b"),
)
# Endings of source files, which a doc may name relative to a package (``kernels/decide.py``);
# names of output files (``analysis/means.csv``) are inside a results folder and not checked.
SOURCE_ENDINGS = (".py", ".md", ".yaml", ".yml", ".toml", ".ipynb", ".sh")
PATH_TOKEN = re.compile(r"^[\w.*?\[\]/-]+$")
PLACEHOLDER = re.compile(r"^[A-Z][A-Z_]+$")  # NAME, RESULTS, SPEC: stands for any name
FENCE = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)
BACKTICKED = re.compile(r"`([^`\n]+)`")
LINK_TARGET = re.compile(r"\]\(([^)\s#]+)")


def tracked_files() -> list[str]:
    """The repository's tracked files, or a skip when this is not a git checkout."""
    try:
        done = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    return [name for name in done.stdout.decode().split("\0") if name]


def text_of(path: Path) -> str | None:
    """A file's text, or None for a binary file."""
    data = path.read_bytes()
    if b"\0" in data:
        return None
    return data.decode("utf-8", errors="replace")


def outside_pointers(text: str) -> list[str]:
    """Each line of `text` that points outside the repository, with its line number."""
    return [
        f"{number}: {line.strip()}"
        for number, line in enumerate(text.splitlines(), 1)
        if any(pattern.search(line) for pattern in OUTSIDE_POINTERS)
    ]


def known_paths(files: list[str]) -> set[str]:
    """Every tracked file and every folder that holds one."""
    paths = set(files)
    for name in files:
        parts = name.split("/")
        paths.update("/".join(parts[:k]) for k in range(1, len(parts)))
    return paths


def mentioned_paths(markdown: str) -> list[tuple[str, bool]]:
    """Repository-path candidates in a Markdown text: (path, whether it is a link target).

    Backticked tokens outside fenced code blocks that contain a slash, and the targets of
    Markdown links that are not URLs or anchors.
    """
    prose = FENCE.sub("", markdown)
    found = []
    for span in BACKTICKED.findall(prose):
        for token in span.split():
            token = token.strip(",;:()'\"")
            if "/" in token and "://" not in token and PATH_TOKEN.match(token):
                found.append((token, False))
    for target in LINK_TARGET.findall(prose):
        if ":" not in target:
            found.append((target, True))
    return found


def resolves(token: str, base: str, paths: set[str], tops: set[str]) -> bool | None:
    """Whether a path named in a document under `base` exists; None when it is not a repo path.

    A path names the repository when it starts at a top-level entry or, for a link, relative to
    the document; other tokens with a source ending (``kernels/decide.py``) may be written
    relative to a package and are matched as a suffix of a tracked path. A component whose name
    before its ending is upper case (``NAME.yaml``, ``RESULTS``) is a placeholder unless a path
    of that very name exists; glob characters match as in a shell; ``results/`` is output.
    """
    token = token.removeprefix("./").rstrip("/")
    first = token.split("/")[0]
    if first == "results" or token.startswith("../results"):
        return None
    pattern = "/".join(
        "*" + part[len(part.split(".")[0]) :] if PLACEHOLDER.match(part.split(".")[0]) else part
        for part in token.split("/")
    )
    candidates = [token, pattern]
    if base:
        candidates += ["/".join(_normalised(f"{base}/{name}")) for name in (token, pattern)]
    for candidate in candidates:
        if any(ch in candidate for ch in "*?["):
            if any(fnmatch.fnmatchcase(path, candidate) for path in paths):
                return True
        elif candidate in paths:
            return True
    if first in tops or token.startswith("../"):
        return False
    if token.endswith(SOURCE_ENDINGS):
        return any(fnmatch.fnmatchcase(path, "*/" + pattern) for path in paths)
    return None


def _normalised(path: str) -> list[str]:
    """The parts of a relative POSIX path with ``..`` and ``.`` resolved."""
    parts: list[str] = []
    for part in path.split("/"):
        if part == "..":
            if parts:
                parts.pop()
        elif part not in ("", "."):
            parts.append(part)
    return parts


def missing_paths(markdown: str, base: str, files: list[str]) -> list[str]:
    """The repository paths a Markdown text under `base` names that do not exist."""
    paths = known_paths(files)
    tops = {name.split("/")[0] for name in files}
    missing = []
    for token, _ in mentioned_paths(markdown):
        if resolves(token, base, paths, tops) is False:
            missing.append(token)
    return missing


def test_no_tracked_file_points_outside_the_repository():
    offenders = []
    for name in tracked_files():
        path = ROOT / name
        if not path.is_file():
            continue
        text = text_of(path)
        if text is None:
            continue
        offenders += [f"{name}:{hit}" for hit in outside_pointers(text)]
    assert not offenders, "pointers outside the repository:\n" + "\n".join(offenders)


def test_every_path_the_docs_name_exists():
    files = tracked_files()
    docs = sorted(name for name in files if name.startswith("docs/") and name.endswith(".md"))
    documents = ["README.md", *docs]
    stale = []
    for name in documents:
        base = "" if "/" not in name else name.rsplit("/", 1)[0]
        text = (ROOT / name).read_text(encoding="utf-8")
        stale += [f"{name}: {token}" for token in missing_paths(text, base, files)]
    assert not stale, "paths named in the docs that do not exist:\n" + "\n".join(stale)


FILES = ["simulation/config.py", "docs/ODD.md", "docs/figures/validation/x.png", "tests/test_a.py"]


@pytest.mark.parametrize(
    ("markdown", "missing"),
    [
        ("see `simulation/config.py` and `docs/ODD.md`", []),
        ("see `simulation/spec.py`", ["simulation/spec.py"]),
        ("see `kernels/nowhere.py`", ["kernels/nowhere.py"]),
        ("see `tests/test_*.py` and `tests/test_z*.py`", ["tests/test_z*.py"]),
        ("write `results/NAME/runs/` and `docs/NAME.md`", []),
        ("see [the ODD](ODD.md) and ![f](figures/validation/x.png)", []),
        ("see [the brief](brief.md)", ["brief.md"]),
        ("```\nsimulation/absent.py `simulation/absent.py`\n```", []),
        ("the `runs/` folder and `a/b` ratios", []),
    ],
)
def test_the_path_check_finds_missing_paths_and_allows_output_and_patterns(markdown, missing):
    assert missing_paths(markdown, "docs", FILES) == missing


def test_the_pointer_check_finds_each_outside_pointer():
    # Pieced together so that a grep of the repository for such pointers does not find this test.
    sibling, brief = "../" + "shared/x", "DESIGN" + ".md"
    text = f"ok\nsee {sibling}\nper {brief}\nper docs/design-brief.md\n"
    assert outside_pointers(text) == [f"2: see {sibling}", f"3: per {brief}"]


def schema_seeds() -> dict[str, set[str]]:
    """Config fields by the source text their ``param(seed=...)`` names."""
    from pydantic import BaseModel

    from simulation.config import ModelConfig

    seeds: dict[str, set[str]] = {}

    def walk(model: type[BaseModel], prefix: str) -> None:
        for name, field in model.model_fields.items():
            kind = field.annotation
            if isinstance(kind, type) and issubclass(kind, BaseModel):
                walk(kind, f"{prefix}{name}.")
                continue
            extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
            for seed in str(extra.get("seed", "")).split(","):
                if seed.strip():
                    seeds.setdefault(seed.strip(), set()).add(prefix + name)

    walk(ModelConfig, "")
    return seeds


def test_sources_list_the_fields_the_schema_traces_to_each_text():
    text = (ROOT / "docs" / "sources.md").read_text(encoding="utf-8")
    listed = {
        seed: set(re.findall(r"`([a-z_]+(?:\.[a-z_]+)+)`", fields))
        for seed, fields in re.findall(
            r"^\*\*Config fields\*\* \(seed (\d{3})\):(.*?)(?:\n\n|\Z)", text, re.M | re.S
        )
    }
    assert listed == schema_seeds()
