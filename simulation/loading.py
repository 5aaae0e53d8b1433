"""Reading configs: safe YAML, presets, dotted overrides, and errors a researcher can act on.

Every failure ends in :class:`ConfigError`, whose message names the field, the bad value and what
is allowed. YAML is read with ``yaml.safe_load``: no tag can construct a Python object.
"""

from __future__ import annotations

import difflib
import functools
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

from simulation.config import ModelConfig
from simulation.errors import describe_error


class ConfigError(ValueError):
    """A configuration that cannot be used; the message says which field and why."""


# --------------------------------------------------------------------------------------------
# Where configs live
# --------------------------------------------------------------------------------------------


def config_dir() -> Path:
    """The project's ``configs/`` folder (override with the CADRESIM_CONFIGS variable)."""
    env = os.environ.get("CADRESIM_CONFIGS")
    return Path(env) if env else Path(__file__).resolve().parent.parent / "configs"


def preset_dir() -> Path:
    """The folder of preset regimes."""
    return config_dir() / "regimes"


def list_presets() -> dict[str, str]:
    """Preset names mapped to their one-line descriptions, sorted by name."""
    presets = {}
    for path in sorted(preset_dir().glob("*.yaml")):
        data = read_yaml(path)
        presets[path.stem] = str(data.get("description", ""))
    return presets


def resolve_source(source: str | os.PathLike[str]) -> Path:
    """Turn a path, a preset name or a name in configs/ ("default") into a YAML file's path."""
    path = Path(source)
    if path.is_file():
        return path
    if path.suffix == "" and len(path.parts) == 1:
        for folder in (preset_dir(), config_dir()):  # a preset, or e.g. "default"
            candidate = folder / f"{path.name}.yaml"
            if candidate.is_file():
                return candidate
    names = list(list_presets())
    close = difflib.get_close_matches(str(source), names, n=3)
    hint = f" Did you mean: {', '.join(close)}?" if close else ""
    raise ConfigError(
        f"config {str(source)!r}: no such file and no such preset. "
        f"Presets: {', '.join(names) or '(none found in ' + str(preset_dir()) + ')'}.{hint}"
    )


def read_yaml(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Load a YAML mapping safely; anything else is a ConfigError."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"config {str(path)!r}: cannot be read ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise ConfigError(f"config {str(path)!r}: is not UTF-8 text") from None
    return parse_yaml(text, origin=str(path))


def parse_yaml(text: str, origin: str = "<text>") -> dict[str, Any]:
    """Parse YAML text that must hold a mapping (or be empty)."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        where = ""
        mark = getattr(exc, "problem_mark", None)
        if mark is not None:
            where = f" at line {mark.line + 1}, column {mark.column + 1}"
        problem = getattr(exc, "problem", None) or type(exc).__name__
        raise ConfigError(f"config {origin!r}: invalid YAML{where}: {problem}") from None
    except (ValueError, TypeError, RecursionError) as exc:  # e.g. a bad timestamp scalar
        raise ConfigError(f"config {origin!r}: invalid YAML value: {exc}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(
            f"config {origin!r}: the top level must be a mapping of keys to values, "
            f"got {type(data).__name__}"
        )
    return data


# --------------------------------------------------------------------------------------------
# The schema as dotted paths
# --------------------------------------------------------------------------------------------


def section_class(annotation: Any) -> type[BaseModel] | None:
    """The BaseModel class inside an annotation such as ``Regime`` or ``RegimeSwitch | None``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        if isinstance(arg, type) and issubclass(arg, BaseModel):
            return arg
    return None


def iter_fields(
    model: type[BaseModel] = ModelConfig, prefix: str = ""
) -> Iterable[tuple[str, FieldInfo]]:
    """Every leaf field of a config class as (dotted path, FieldInfo), in declaration order."""
    for name, info in model.model_fields.items():
        path = f"{prefix}{name}"
        sub = section_class(info.annotation)
        if sub is not None:
            yield from iter_fields(sub, prefix=f"{path}.")
        else:
            yield path, info


@functools.cache
def field_info(path: str) -> FieldInfo:
    """The FieldInfo of a dotted path such as ``regime.promotion.min_tenure`` (cached)."""
    model: type[BaseModel] | None = ModelConfig
    parts = path.split(".")
    for i, part in enumerate(parts):
        if model is None or part not in model.model_fields:
            raise ConfigError(unknown_key_message(path, known_paths()))
        info = model.model_fields[part]
        if i == len(parts) - 1:
            return info
        model = section_class(info.annotation)
    raise ConfigError(unknown_key_message(path, known_paths()))


@functools.cache
def known_paths() -> tuple[str, ...]:
    """All dotted leaf paths a config accepts (computed once: the schema is fixed)."""
    return tuple(path for path, _ in iter_fields())


def unknown_key_message(path: str, allowed: Iterable[str]) -> str:
    """Message for an unknown key: close names in the same section, else the section's keys."""
    parent, _, leaf = path.rpartition(".")
    in_section = sorted(
        {p[len(parent) + 1 :].split(".")[0] for p in allowed if p.startswith(f"{parent}.")}
        if parent
        else {p.split(".")[0] for p in allowed}
    )
    if in_section:
        close = difflib.get_close_matches(leaf, in_section, n=3, cutoff=0.6)
        if close:
            names = " or ".join(repr(f"{parent}.{c}" if parent else c) for c in close)
            return f"{path}: unknown key; did you mean {names}?"
        where = f"in {parent}" if parent else "at the top level"
        return f"{path}: unknown key; allowed {where}: {', '.join(in_section)}"
    # The section itself is unknown: suggest whole paths, leaving the switch copy aside.
    pool = [p for p in allowed if not p.startswith("switch.regime.") or path.startswith("switch.")]
    close = difflib.get_close_matches(path, pool, n=3, cutoff=0.6)
    hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
    return f"{path}: unknown key{hint}"


def allowed_values(info: FieldInfo) -> str:
    """Human description of what a field accepts, from its type and bounds."""
    kind = {int: "an integer", float: "a number", str: "a string", bool: "true or false"}.get(
        info.annotation, str(info.annotation)
    )
    lo = hi = None
    lo_open = hi_open = False
    for meta in info.metadata:
        if getattr(meta, "ge", None) is not None:
            lo = meta.ge
        if getattr(meta, "gt", None) is not None:
            lo, lo_open = meta.gt, True
        if getattr(meta, "le", None) is not None:
            hi = meta.le
        if getattr(meta, "lt", None) is not None:
            hi, hi_open = meta.lt, True
    if lo is not None and hi is not None:
        left = "above" if lo_open else "from"
        right = "and below" if hi_open else "to"
        return f"{kind} {left} {_num(lo)} {right} {_num(hi)}"
    if lo is not None:
        return f"{kind} {'above' if lo_open else 'of at least'} {_num(lo)}"
    if hi is not None:
        return f"{kind} {'below' if hi_open else 'of at most'} {_num(hi)}"
    return kind


def _num(x: float) -> str:
    """A bound as people write it: 20, 0.5, 5000000 (no exponent)."""
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def _format_validation_error(exc: ValidationError, origin: str) -> str:
    lines = [f"config {origin!r} is not valid:"]
    lines += [f"  - {describe_error(err, allowed=_allowed_at, unknown=_unknown_key)}"
              for err in exc.errors()]
    return "\n".join(lines)


def _unknown_key(path: str) -> str:
    return unknown_key_message(path, known_paths())


def _allowed_at(loc: tuple[Any, ...]) -> str:
    """What the config field at a pydantic location accepts ("" for a section or no field)."""
    try:
        info = field_info(".".join(str(p) for p in loc)) if loc else None
    except ConfigError:
        return ""
    if info is None or section_class(info.annotation) is not None:
        return ""
    return allowed_values(info)


# --------------------------------------------------------------------------------------------
# Merging and overrides
# --------------------------------------------------------------------------------------------


def deep_merge(base: Mapping[str, Any], update: Mapping[str, Any]) -> dict[str, Any]:
    """A new dict: ``update`` laid over ``base``, recursing into nested mappings."""
    out = dict(base)
    for key, value in update.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def parse_assignment(text: str) -> tuple[str, Any]:
    """Parse ``dotted.key=value`` (the value is read as YAML: 0.5, true, null, [1, 2])."""
    if "=" not in text:
        raise ConfigError(f"--set {text!r}: expected dotted.key=value")
    key, raw = text.split("=", 1)
    key = key.strip()
    try:
        value = yaml.safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError:
        raise ConfigError(f"--set {text!r}: the value {raw!r} is not valid YAML") from None
    return key, value


def set_dotted(data: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A new dict with ``path`` set to ``value``; the path must be a config field."""
    if not path or path not in _settable_paths():
        fields_below = sorted(p[len(path) + 1 :] for p in known_paths() if p.startswith(f"{path}."))
        if path and fields_below and not path.startswith("switch.regime"):
            shown = ", ".join(fields_below[:12]) + (", ..." if len(fields_below) > 12 else "")
            raise ConfigError(f"{path}: is a section; set one of its fields: {shown}")
        raise ConfigError(unknown_key_message(path or "(empty key)", known_paths()))
    parts = path.split(".")
    update: dict[str, Any] = {parts[-1]: value}
    for part in reversed(parts[:-1]):
        update = {part: update}
    return deep_merge(data, update)


@functools.cache
def _settable_paths() -> frozenset[str]:
    """Leaf paths, plus switch.preset (a loader-only key that names a preset to switch to)."""
    return frozenset({*known_paths(), "switch.preset"})


def _resolve_switch(data: dict[str, Any]) -> dict[str, Any]:
    """Fill ``switch.regime`` in full: base regime, then a preset's regime, then overrides."""
    switch = data.get("switch")
    if switch is None:
        return data
    if not isinstance(switch, dict):
        raise ConfigError(f"switch: got {switch!r}; allowed: a mapping with step, preset, regime")
    switch = dict(switch)
    preset = switch.pop("preset", None)
    partial = switch.get("regime") or {}
    if not isinstance(partial, dict):
        raise ConfigError(f"switch.regime: got {partial!r}; allowed: a mapping of regime fields")
    if preset is not None:
        if not isinstance(preset, str):
            raise ConfigError(f"switch.preset: got {preset!r}; allowed: a preset name")
        preset_data = read_yaml(resolve_source(preset))
        base = preset_data.get("regime") or {}
        switch.setdefault("label", preset)
    else:
        base = data.get("regime") or {}
    if not isinstance(base, dict):
        raise ConfigError(f"regime: got {base!r}; allowed: a mapping of regime fields")
    switch["regime"] = deep_merge(base, partial)
    return {**data, "switch": switch}


def validate_config(data: Mapping[str, Any], origin: str = "<config>") -> ModelConfig:
    """Validate a config mapping into a ModelConfig, or raise ConfigError."""
    try:
        resolved = _resolve_switch(dict(data))
        return ModelConfig.model_validate(resolved)
    except ValidationError as exc:
        raise ConfigError(_format_validation_error(exc, origin)) from None


def load_config(
    source: str | os.PathLike[str] | None = None,
    overrides: Iterable[str] | Mapping[str, Any] = (),
) -> ModelConfig:
    """Load a config from a path or preset name (None: defaults) and apply dotted overrides.

    Args:
        source: a YAML path, a preset name from ``configs/regimes``, or None for the defaults.
        overrides: ``["regime.promotion.min_tenure=2", ...]`` or ``{"regime....": 2}``.
    """
    if source is None:
        data: dict[str, Any] = {}
        origin = "<defaults>"
    else:
        path = resolve_source(source)
        data = read_yaml(path)
        origin = str(path)
        data.setdefault("name", path.stem)
    if isinstance(overrides, Mapping):
        items = overrides.items()
    else:
        items = map(parse_assignment, overrides)
    for key, value in items:
        data = set_dotted(data, key, value)
    return validate_config(data, origin)
