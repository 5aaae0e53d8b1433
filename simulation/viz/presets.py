"""The presets as the page's menu shows them: title, one-line description and source.

The description is the preset file's ``description``; the source is the comment block that
heads the file (the texts it draws on and the clause behind each value).
"""

from __future__ import annotations

from simulation.loading import list_presets, preset_dir

#: The name that stands for the built-in defaults (no preset file).
DEFAULT_PRESET = "default"
DEFAULT_DESCRIPTION = "Every field at its built-in default (configs/default.yaml): no reform."


def preset_names() -> list[str]:
    """'default' and then every preset in configs/regimes, by name."""
    return [DEFAULT_PRESET, *list_presets()]


def preset_title(name: str) -> str:
    """A preset's name as the picker shows it: ``hubei_opinions`` -> ``Hubei opinions``."""
    if name == DEFAULT_PRESET:
        return "Default (built-in values)"
    words = name.replace("_", " ")
    return words[:1].upper() + words[1:]


def preset_source(name: str) -> str:
    """The comment block heading the preset's file, without the ``#`` marks ("" for default)."""
    if name == DEFAULT_PRESET:
        return ""
    lines = []
    for line in (preset_dir() / f"{name}.yaml").read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        lines.append(line[2:] if line.startswith("# ") else line[1:])
    return "\n".join(lines).strip()


def preset_menu() -> list[dict[str, str]]:
    """One entry per preset: ``name``, ``title`` and ``description`` (for the picker)."""
    described = {DEFAULT_PRESET: DEFAULT_DESCRIPTION, **list_presets()}
    return [{"name": name, "title": preset_title(name), "description": described[name]}
            for name in preset_names()]
