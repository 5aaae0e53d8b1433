"""Reading configs: safe YAML, presets, dotted overrides, and errors a researcher can act on.

Every failure ends in :class:`ConfigError`, whose message names the field or file, the bad value
(never more than :data:`SHOWN_CHARS` characters of it) and what is allowed. Every text file the
command line reads goes through :func:`read_text_file`: regular files only (no FIFO, device or
kernel file is opened), at most :data:`MAX_YAML_BYTES` bytes, UTF-8. YAML is parsed safely and
within bounds by :func:`parse_yaml`: no tag can construct a Python object; a document holds at
most :data:`MAX_YAML_VALUES` values, counting what an alias names as a copy (so an "alias bomb"
is refused before it is expanded), nested at most :data:`MAX_YAML_DEPTH` levels; a key given
twice in one mapping is an error. Experiment specs (``experiments/engine/spec.py``), calibration
targets and priors are read through :func:`read_yaml` too, so the same rules hold for them.
"""

from __future__ import annotations

import difflib
import functools
import os
import re
import reprlib
import stat
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.nodes import MappingNode, Node, SequenceNode
from yaml.resolver import Resolver

from simulation.config import ModelConfig
from simulation.errors import ConfigError, describe_error
from simulation.suggest import close_names

#: Largest config or spec file read, in bytes (the shipped ones are under 10 kB).
MAX_YAML_BYTES = 1_000_000
#: Most values (scalars, lists and mappings) a YAML document may hold, counting what each alias
#: names as a full copy: far above any real config or spec, far below an alias bomb (a few
#: hundred bytes that expand to billions of values).
MAX_YAML_VALUES = 100_000
#: Deepest nesting of lists and mappings a YAML document may hold (configs nest 4 levels).
MAX_YAML_DEPTH = 64
#: Longest rendering of a value or key in an error message.
SHOWN_CHARS = 80
#: Longest rendering of a file's path in an error message.
PATH_CHARS = 160


_SHORT_REPR = reprlib.Repr(
    maxlevel=3, maxtuple=4, maxlist=4, maxdict=4, maxset=4, maxfrozenset=4, maxdeque=4,
    maxarray=4, maxstring=SHOWN_CHARS, maxlong=SHOWN_CHARS // 2, maxother=SHOWN_CHARS,
)


def shown(value: Any, limit: int = SHOWN_CHARS) -> str:
    """``repr(value)`` for an error message, at most ``limit`` long.

    A huge value is not rendered in full first: nested containers and long strings are elided
    in the middle.
    """
    if isinstance(value, str):
        return repr(clip(value, limit - 2))
    return clip(_SHORT_REPR.repr(value), limit)


def clip(text: str, limit: int = SHOWN_CHARS) -> str:
    """Plain text (a key, a path) cut to ``limit`` characters, the middle elided."""
    if len(text) <= limit:
        return text
    half = (limit - 3) // 2
    return f"{text[:half]}...{text[-half:]}"


def shown_path(path: str | os.PathLike[str]) -> str:
    """A file's path, quoted, for an error message (at most PATH_CHARS long)."""
    return shown(str(path), PATH_CHARS)


# --------------------------------------------------------------------------------------------
# Where configs live
# --------------------------------------------------------------------------------------------


#: The status quo every comparison starts from: the built-in defaults (configs/default.yaml), as
#: the calibration targets describe the surveyed service. Presets are reforms of it, or, for
#: ``seniority_baseline``, its criticised practices pushed further.
STATUS_QUO = "default"


#: The project's root (the folder above this package), resolved once: configs are loaded per
#: design point, and resolving the path each time cost more than reading the file.
PROJECT_ROOT = Path(__file__).resolve().parent.parent


def config_dir() -> Path:
    """The project's ``configs/`` folder (override with the CADRESIM_CONFIGS variable)."""
    env = os.environ.get("CADRESIM_CONFIGS")
    return Path(env) if env else PROJECT_ROOT / "configs"


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


def path_kind(path: Path, what: str = "config") -> str | None:
    """'file', 'dir', 'other' or None (nothing there); a path the OS refuses is a ConfigError."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return None
    except NotADirectoryError:  # a file used as a folder in the path
        return None
    except OSError as exc:  # e.g. "File name too long", "Permission denied"
        raise ConfigError(f"{what} {shown_path(path)}: cannot be read ({exc.strerror})") from None
    except ValueError:  # "embedded null byte"
        raise ConfigError(
            f"{what} {shown_path(path)}: a path cannot contain a NUL character"
        ) from None
    if stat.S_ISDIR(mode):
        return "dir"
    return "file" if stat.S_ISREG(mode) else "other"


def resolve_source(source: str | os.PathLike[str]) -> Path:
    """Turn a path, a preset name or a name in configs/ ("default") into a YAML file's path."""
    if not isinstance(source, str | os.PathLike):
        raise ConfigError(
            f"config {shown(source)}: allowed: a YAML file's path or a preset name"
        )
    if not os.fspath(source):
        raise ConfigError("config '': allowed: a YAML file's path or a preset name")
    path = Path(source)
    kind = path_kind(path)
    if kind == "file":
        return path
    if kind is not None:
        what = "a directory" if kind == "dir" else "not a regular file"
        raise ConfigError(
            f"config {shown_path(source)}: is {what}; allowed: a YAML file or a preset name"
        )
    if path.suffix == "" and len(path.parts) == 1:
        for folder in (preset_dir(), config_dir()):  # a preset, or e.g. "default"
            candidate = folder / f"{path.name}.yaml"
            if path_kind(candidate) == "file":
                return candidate
    names = list(list_presets())
    close = close_names(str(source), names, n=3)
    hint = f" Did you mean {' or '.join(close)}?" if close else ""
    raise ConfigError(
        f"config {shown_path(source)}: no such file and no such preset.{hint} "
        f"Presets: {', '.join(names) or '(none found in ' + str(preset_dir()) + ')'}."
    )


# --------------------------------------------------------------------------------------------
# The careful reader: every file the command line reads as text goes through read_text_file
# --------------------------------------------------------------------------------------------

#: Folders of kernel files: regular files to stat(), yet reading one may block for ever
#: (/proc/kmsg) or never end; they are refused without being opened.
KERNEL_FOLDERS = ("/proc", "/sys")


def _kernel_file(path: str | os.PathLike[str], device: int) -> bool:
    """Whether ``path`` lies in /proc or /sys (by its real path, or by its filesystem)."""
    real = os.path.realpath(path)
    if any(real == root or real.startswith(f"{root}/") for root in KERNEL_FOLDERS):
        return True
    for root in KERNEL_FOLDERS:
        try:
            if os.stat(root).st_dev == device:
                return True
        except OSError:
            continue
    return False


def read_file_bytes(
    path: str | os.PathLike[str], what: str = "config", limit: int = MAX_YAML_BYTES
) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes; anything else is a ConfigError.

    The message names the file (as ``what``) and what is wrong. Refused without being opened:
    a missing file, a folder, a FIFO, a device, a socket, a kernel file (/proc, /sys) and a file
    whose size is over ``limit``. The file is opened non-blocking and checked again once open,
    so a FIFO swapped in meanwhile cannot make the reader wait.
    """
    name = shown_path(path)
    kind = path_kind(Path(path), what)
    if kind is None:
        raise ConfigError(f"{what} {name}: no such file")
    if kind == "dir":
        raise ConfigError(f"{what} {name}: is a directory; allowed: a file")
    if kind != "file":
        raise ConfigError(f"{what} {name}: is not a regular file (a FIFO, a device or a "
                          "socket); allowed: a file")
    try:
        info = os.stat(path)
        if _kernel_file(path, info.st_dev):
            raise ConfigError(f"{what} {name}: is a kernel file (under /proc or /sys), not a "
                              "file of yours; allowed: a file")
        if info.st_size > limit:
            raise ConfigError(f"{what} {name}: is larger than {limit} bytes; allowed: a file "
                              f"of at most {limit} bytes")
        flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
        fd = os.open(path, flags | getattr(os, "O_CLOEXEC", 0))
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise ConfigError(f"{what} {name}: is not a regular file; allowed: a file")
            chunks: list[bytes] = []
            size = 0
            while size <= limit and (chunk := os.read(fd, min(1 << 20, limit + 1 - size))):
                chunks.append(chunk)
                size += len(chunk)
        finally:
            os.close(fd)
    except OSError as exc:  # e.g. "Permission denied", "Is a directory", EAGAIN, EIO
        raise ConfigError(
            f"{what} {name}: cannot be read ({exc.strerror or type(exc).__name__})"
        ) from None
    if size > limit:
        raise ConfigError(f"{what} {name}: is larger than {limit} bytes; allowed: a file of at "
                          f"most {limit} bytes")
    return b"".join(chunks)


def read_text_file(
    path: str | os.PathLike[str], what: str = "config", limit: int = MAX_YAML_BYTES
) -> str:
    """A UTF-8 text file read by :func:`read_file_bytes` (a leading BOM is dropped).

    Text in another encoding, or binary data, is a ConfigError naming the file and saying what
    the bytes look like.
    """
    raw = read_file_bytes(path, what, limit)
    try:
        return raw.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{what} {shown_path(path)}: is not UTF-8 text ({_what_bytes_look_like(raw, exc)})"
        ) from None


def _what_bytes_look_like(raw: bytes, exc: UnicodeDecodeError) -> str:
    """A hint for bytes that are not UTF-8: UTF-16 text, binary data, or another encoding."""
    head = raw[:4096]
    even, odd = head[0::2].count(0), head[1::2].count(0)
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")) or (even + odd and min(even, odd) == 0
                                                         and max(even, odd) > len(head) // 4):
        return "it looks like UTF-16; save it as UTF-8"
    if 0 in head:
        return "it looks like a binary file"
    return f"byte {exc.start} is not UTF-8; save the file as UTF-8"


def read_yaml(path: str | os.PathLike[str], what: str = "config") -> dict[str, Any]:
    """Load a YAML mapping safely from a regular file; anything else is a ConfigError.

    The file is read by :func:`read_text_file` (at most MAX_YAML_BYTES; no device, FIFO or
    kernel file is opened) and parsed by :func:`parse_yaml`; errors name it as ``what``.
    """
    return parse_yaml(read_text_file(path, what), origin=str(path), what=what)


# --------------------------------------------------------------------------------------------
# Bounded, strict YAML
# --------------------------------------------------------------------------------------------


class _StrictConstructor(SafeConstructor):
    """``yaml.SafeLoader``'s constructor, plus: a key given twice in one mapping is an error."""

    def construct_mapping(self, node: Node, deep: bool = False) -> dict[Any, Any]:
        if isinstance(node, MappingNode):
            first_line: dict[Any, int] = {}  # 1 and true are one key to Python, too
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge" or isinstance(
                    key_node, MappingNode | SequenceNode
                ):
                    continue  # '<<' merges may be overridden; complex keys are refused later
                key = self.construct_object(key_node, deep=True)
                line = key_node.start_mark.line + 1
                try:
                    seen = first_line.get(key)
                except TypeError:
                    continue
                first_line[key] = line
                if seen is not None:
                    raise ConstructorError(
                        None, None, f"duplicate key {shown(key)} (first given at line {seen})",
                        key_node.start_mark,
                    )
        return super().construct_mapping(node, deep=deep)


class _Resolver(Resolver):
    """YAML 1.1's resolver, plus floats written without a dot, as in YAML 1.2 and Python.

    ``1e-3`` is the number 0.001 (YAML 1.1 reads it as the string '1e-3').
    """


_Resolver.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?[0-9][0-9_]*(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"),
    list("-+0123456789"),
)


try:  # libyaml's parser: fast, and it refuses nesting deeper than 1000 levels itself
    from yaml.cyaml import CParser

    class _Loader(CParser, _StrictConstructor, _Resolver):
        def __init__(self, stream: str) -> None:
            CParser.__init__(self, stream)
            _StrictConstructor.__init__(self)
            _Resolver.__init__(self)

except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml.composer import Composer
    from yaml.parser import Parser
    from yaml.reader import Reader
    from yaml.scanner import Scanner

    class _Loader(Reader, Scanner, Parser, Composer, _StrictConstructor, _Resolver):  # type: ignore[no-redef]
        def __init__(self, stream: str) -> None:
            Reader.__init__(self, stream)
            Scanner.__init__(self)
            Parser.__init__(self)
            Composer.__init__(self)
            _StrictConstructor.__init__(self)
            _Resolver.__init__(self)


def _children(node: Node) -> list[Node]:
    if isinstance(node, SequenceNode):
        return node.value
    if isinstance(node, MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def _check_expanded_size(root: Node, origin: str, what: str = "config") -> None:
    """Refuse a YAML node graph too large or too deep once aliases are expanded, or recursive.

    "Too large" is more than MAX_YAML_VALUES values, "too deep" more than MAX_YAML_DEPTH levels
    of nesting. Linear in the number of distinct nodes: nothing is expanded.
    """
    sizes: dict[int, int] = {}
    heights: dict[int, int] = {}
    open_nodes: set[int] = set()
    stack: list[tuple[Node, bool]] = [(root, False)]
    aliased = False  # a node reached twice: an alias
    name = f"{what} {shown_path(origin)}"
    while stack:
        node, closing = stack.pop()
        key = id(node)
        if closing:
            open_nodes.discard(key)
            children = _children(node)
            total = 1 + sum(sizes[id(child)] for child in children)
            height = 1 + max((heights[id(child)] for child in children), default=0)
            how = " once its aliases are expanded" if aliased else ""
            if total > MAX_YAML_VALUES:
                raise ConfigError(
                    f"{name}: holds more than {MAX_YAML_VALUES} values{how} "
                    f"(line {node.start_mark.line + 1}); allowed: at most {MAX_YAML_VALUES}"
                )
            if height > MAX_YAML_DEPTH:
                raise ConfigError(
                    f"{name}: is nested more than {MAX_YAML_DEPTH} levels deep{how} (line "
                    f"{node.start_mark.line + 1}); allowed: at most {MAX_YAML_DEPTH}"
                )
            sizes[key], heights[key] = total, height
            continue
        if key in sizes:
            aliased = True
            continue
        open_nodes.add(key)
        stack.append((node, True))
        for child in _children(node):
            if id(child) in open_nodes:
                raise ConfigError(
                    f"{name}: invalid YAML at line "
                    f"{child.start_mark.line + 1}: an alias refers to a value that contains it "
                    "(a recursive alias)"
                )
            if id(child) in sizes:
                aliased = True
            else:
                stack.append((child, False))


def safe_load(text: str, origin: str = "<text>", what: str = "config") -> Any:
    """``yaml.safe_load`` within bounds: no object tags, no duplicate keys, no alias bombs.

    Raises ConfigError (naming ``origin`` as ``what``) for any problem: bad syntax, a value its
    tag cannot hold (``!!float abc``, a date 2024-13-45), too many values, too deep a nesting.
    """
    name = f"{what} {shown_path(origin)}"
    if len(text) > MAX_YAML_BYTES:
        raise ConfigError(
            f"{name}: is longer than {MAX_YAML_BYTES} characters; allowed: at most "
            f"{MAX_YAML_BYTES}"
        )
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_expanded_size(node, origin, what)
        return loader.construct_document(node)
    except yaml.YAMLError as exc:
        where = ""
        mark = getattr(exc, "problem_mark", None)
        if mark is not None:
            where = f" at line {mark.line + 1}, column {mark.column + 1}"
        problem = getattr(exc, "problem", None) or type(exc).__name__
        raise ConfigError(f"{name}: invalid YAML{where}: {problem[:2 * SHOWN_CHARS]}") from None
    except (ValueError, TypeError, AttributeError, LookupError, RecursionError, OverflowError,
            MemoryError) as exc:
        if isinstance(exc, ConfigError):
            raise
        # e.g. a date 2024-13-45, !!int abc, or !!timestamp text (PyYAML: AttributeError)
        detail = str(exc) if isinstance(exc, ValueError | OverflowError) else ""
        detail = detail or f"a value its tag cannot hold ({type(exc).__name__})"
        raise ConfigError(f"{name}: invalid YAML value: {detail[:2 * SHOWN_CHARS]}") from None
    finally:
        loader.dispose()


def parse_yaml(text: str, origin: str = "<text>", what: str = "config") -> dict[str, Any]:
    """Parse YAML text that must hold a mapping (or be empty); see :func:`safe_load`."""
    data = safe_load(text, origin, what)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(
            f"{what} {shown_path(origin)}: the top level must be a mapping of keys to values, "
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
    if len(path) > 4 * SHOWN_CHARS:  # no field is named like that; do not compare at length
        return f"{clip(path)}: unknown key"
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


def _blamed_override(loc: str, overrides: Mapping[str, Any]) -> str | None:
    """The override an error at ``loc`` is due to.

    The same field, the field's copy in a regime switch, or (for a cross-field rule on a
    section) a field of that section.
    """
    for key in overrides:
        if loc in (key, f"switch.{key}"):
            return key
    section = loc.removeprefix("switch.")
    for key in overrides:
        if loc and (key.startswith(f"{loc}.") or key.startswith(f"{section}.")):
            return key
    return None


def _format_validation_error(
    exc: ValidationError,
    origin: str,
    overrides: Mapping[str, Any] | None = None,
    label: str = "--set",
) -> str:
    """One line per error, naming the field, the value shown short and what is allowed.

    An error due to one of ``overrides`` names that override (``--set key=value: ...``), not the
    file: the file is blamed only for errors of its own.
    """
    file_lines: list[str] = []
    override_lines: list[str] = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"])
        key = _blamed_override(loc, overrides) if overrides else None
        own = key is not None and loc in (key, f"switch.{key}")
        if own:
            err = {**err, "input": overrides[key]}
        line = describe_error(err, allowed=_allowed_at, unknown=_unknown_key, show=shown)
        if key is None:
            file_lines.append(line)
        elif own:
            override_lines.append(f"{label} {clip(key)}: {line.removeprefix(f'{loc}: ')}")
        else:  # a cross-field rule of the override's section
            override_lines.append(f"{label} {clip(key)}={shown(overrides[key])}: {line}")
    # An override of a regime field also reaches the switch's copy: report it once.
    file_lines = list(dict.fromkeys(file_lines))
    override_lines = list(dict.fromkeys(override_lines))
    if not file_lines and len(override_lines) == 1:
        return override_lines[0]
    head = "overrides are not valid:"
    if file_lines:
        head = f"config {shown_path(origin)} is not valid:"
    return "\n".join([head, *(f"  - {line}" for line in file_lines + override_lines)])


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
    if not isinstance(text, str):
        raise ConfigError(f"--set {shown(text)}: expected a string dotted.key=value")
    if "=" not in text:
        raise ConfigError(f"--set {shown(text)}: expected dotted.key=value")
    key, raw = text.split("=", 1)
    key = key.strip()
    try:
        value = safe_load(raw, origin=f"--set {clip(key)}") if raw.strip() else ""
    except ConfigError:
        raise ConfigError(
            f"--set {shown(text)}: the value {shown(raw)} is not valid YAML"
        ) from None
    return key, value


def set_dotted(data: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A new dict with ``path`` set to ``value``; the path must be a config field."""
    if not isinstance(path, str):
        raise ConfigError(f"{shown(path)}: allowed: a dotted field name (a string)")
    if not path or path not in _settable_paths():
        fields_below = sorted(p[len(path) + 1 :] for p in known_paths() if p.startswith(f"{path}."))
        if path and fields_below and not path.startswith("switch.regime"):
            names = ", ".join(fields_below[:12]) + (", ..." if len(fields_below) > 12 else "")
            raise ConfigError(f"{path}: is a section; set one of its fields: {names}")
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
        raise ConfigError(
            f"switch: got {shown(switch)}; allowed: a mapping with step, preset, regime"
        )
    switch = dict(switch)
    preset = switch.pop("preset", None)
    partial = switch.get("regime") or {}
    if not isinstance(partial, dict):
        raise ConfigError(
            f"switch.regime: got {shown(partial)}; allowed: a mapping of regime fields"
        )
    if preset is not None:
        if not isinstance(preset, str):
            raise ConfigError(f"switch.preset: got {shown(preset)}; allowed: a preset name")
        preset_data = read_yaml(resolve_source(preset))
        base = preset_data.get("regime") or {}
        switch.setdefault("label", preset)
    else:
        base = data.get("regime") or {}
    if not isinstance(base, dict):
        raise ConfigError(f"regime: got {shown(base)}; allowed: a mapping of regime fields")
    switch["regime"] = deep_merge(base, partial)
    return {**data, "switch": switch}


def validate_config(
    data: Mapping[str, Any],
    origin: str = "<config>",
    overrides: Mapping[str, Any] | None = None,
    label: str = "--set",
) -> ModelConfig:
    """Validate a config mapping into a ModelConfig, or raise ConfigError.

    Args:
        data: the config as nested mappings (``overrides`` already applied).
        origin: where ``data`` came from, named in errors of its own.
        overrides: the dotted overrides applied to ``data``; an error due to one of them is
            reported as that override's (``{label} key=value: ...``), not as the file's.
        label: how the overrides were given: ``--set`` (the CLI) or e.g. ``override``.
    """
    try:
        resolved = _resolve_switch(dict(data))
        return ModelConfig.model_validate(resolved)
    except ValidationError as exc:
        raise ConfigError(_format_validation_error(exc, origin, overrides, label)) from None


def apply_overrides(
    data: Mapping[str, Any], overrides: Mapping[str, Any], label: str = "--set"
) -> dict[str, Any]:
    """``data`` with each dotted override set; an unknown key is blamed on its override."""
    out = dict(data)
    for key, value in overrides.items():
        try:
            out = set_dotted(out, key, value)
        except ConfigError as exc:
            raise ConfigError(f"{label} {exc}") from None
    return out


def checked_settings(texts: Iterable[str]) -> dict[str, Any]:
    """``--set`` texts (``dotted.key=value``) as dotted values, each checked against the schema.

    For a command that applies the values later, to several configs: a bad one is named now,
    with the value and what is allowed, as ``load_config`` would name it.
    """
    items = dict(map(parse_assignment, texts))
    validate_config(apply_overrides({}, items, "--set"), "<defaults>", items, "--set")
    return items


def load_config(
    source: str | os.PathLike[str] | None = None,
    overrides: Iterable[str] | Mapping[str, Any] = (),
) -> ModelConfig:
    """Load a config from a path or preset name (None: defaults) and apply dotted overrides.

    Values may be NumPy or pandas scalars (``np.int64(500)``); they are taken exactly, as the
    Python value they hold, and must still be of the field's type.

    Args:
        source: a YAML path, a preset name from ``configs/regimes``, or None for the defaults.
        overrides: ``["regime.promotion.min_tenure=2", ...]`` (as the CLI's ``--set``) or
            ``{"regime....": 2}``. An override that breaks a rule is reported as the override's
            error, naming it and what is allowed; the file is blamed only for its own errors.
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
        label, items = "override", dict(overrides)
    elif isinstance(overrides, str):
        label, items = "--set", dict([parse_assignment(overrides)])
    else:
        label, items = "--set", dict(map(parse_assignment, overrides))
    data = apply_overrides(data, items, label)
    return validate_config(data, origin, items, label)


def config_with_overrides(
    config: ModelConfig, overrides: Mapping[str, Any], label: str = "override"
) -> ModelConfig:
    """A new config: ``config`` with dotted overrides applied and validated as in load_config."""
    if not overrides:
        return config
    data = apply_overrides(config.model_dump(), overrides, label)
    return validate_config(data, f"<config {config.name}>", overrides, label)
