"""YAML loading that remembers where every value was written.

PyYAML's composer keeps each node's position; we walk the node tree alongside the data so
an error on `rules[2].actions[0].cameras` can be reported as `site.yaml:41`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import yaml

PathKey = tuple[str, ...]
MAX_CONFIG_BYTES = 4 * 1024 * 1024  # a site of thousands of devices is well under this


@dataclass(frozen=True, slots=True)
class YamlProblem:
    """A problem found while reading the YAML itself (syntax, duplicate key)."""

    line: int
    path: PathKey
    message: str


@dataclass(frozen=True, slots=True)
class LineMap:
    """Path of every node (as strings) to its 1-based line."""

    lines: dict[PathKey, int]

    def line_for(self, loc: Sequence[str | int]) -> int | None:
        """Deepest known line along `loc`; components not in the tree are skipped.

        pydantic adds union tags (e.g. 'preset') to locations; skipping unknown
        components lands on the node the user actually wrote.
        """
        path: PathKey = ()
        best = self.lines.get(path)
        for part in loc:
            candidate = (*path, str(part))
            if candidate in self.lines:
                path = candidate
                best = self.lines[candidate]
        return best


def load_with_lines(text: str) -> tuple[object, LineMap, list[YamlProblem]]:
    """Parse YAML text; returns the data (keys as strings), its line map and problems.

    Raises YamlSyntaxError for text that is not YAML at all.
    """
    if len(text.encode()) > MAX_CONFIG_BYTES:
        raise YamlSyntaxError(1, f"file is larger than {MAX_CONFIG_BYTES} bytes")
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        raise YamlSyntaxError(line, str(exc.problem or exc)) from exc
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(1, str(exc)) from exc
    lines: dict[PathKey, int] = {}
    problems: list[YamlProblem] = []
    if node is None:
        return None, LineMap(lines), problems
    data = _walk(node, (), lines, problems)
    return data, LineMap(lines), problems


class YamlSyntaxError(Exception):
    """The text is not valid YAML."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line
        self.message = message


_scalar_loader = yaml.SafeLoader("")


def _walk(
    node: yaml.Node, path: PathKey, lines: dict[PathKey, int], problems: list[YamlProblem]
) -> object:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        out: dict[str, object] = {}
        for key_node, value_node in node.value:
            # Keys are names as written: YAML 1.1 would read the key `on` as True.
            if isinstance(key_node, yaml.ScalarNode):
                key = str(key_node.value)
            else:
                key = str(_scalar_loader.construct_object(key_node, deep=True))
            child = (*path, key)
            if key in out:
                problems.append(
                    YamlProblem(key_node.start_mark.line + 1, child, f"duplicate key '{key}'")
                )
            lines[child] = key_node.start_mark.line + 1
            out[key] = _walk(value_node, child, lines, problems)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_walk(item, (*path, str(i)), lines, problems) for i, item in enumerate(node.value)]
    return _scalar_loader.construct_object(node, deep=True)
