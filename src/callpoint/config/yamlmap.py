"""YAML loading that remembers where every value was written.

PyYAML's composer keeps each node's position; we walk the node tree alongside the data so
an error on `rules[2].actions[0].cameras` can be reported as `site.yaml:41`.

Hostile files are bounded before they are expanded: nesting is counted while composing
(PyYAML's composer recurses once per level), and aliases are expanded by our own walk
under a budget of values and depth, so a "billion laughs" or a self-referring alias is a
config error with its line, not a process that runs out of memory or stack.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import yaml

PathKey = tuple[str, ...]
MAX_CONFIG_BYTES = 4 * 1024 * 1024  # a site of thousands of devices is well under this
# Deepest nesting a site.yaml needs is about 7 (devices[i].onvif.events[j].source.key);
# PyYAML's composer takes 3 frames per level, so 64 levels stay far from the stack limit.
MAX_YAML_DEPTH = 64
# Values after aliases are expanded: 10,000 devices of 30 values each fit; a billion
# laughs (10^9) is refused after this many, in well under a second.
MAX_YAML_VALUES = 500_000


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


class YamlSyntaxError(Exception):
    """The text is not valid YAML, or is too large or deep to read."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line
        self.message = message


class _BoundedLoader(yaml.SafeLoader):
    """SafeLoader whose composer refuses nesting deeper than MAX_YAML_DEPTH."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        self._depth += 1
        try:
            if self._depth > MAX_YAML_DEPTH:
                event = self.peek_event()  # type: ignore[no-untyped-call]
                raise YamlSyntaxError(
                    event.start_mark.line + 1, f"nested deeper than {MAX_YAML_DEPTH} levels"
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def load_with_lines(text: str) -> tuple[object, LineMap, list[YamlProblem]]:
    """Parse YAML text; returns the data (keys as strings), its line map and problems.

    Raises YamlSyntaxError for text that is not YAML at all, or too large, deep or wide.
    """
    if len(text.encode()) > MAX_CONFIG_BYTES:
        raise YamlSyntaxError(1, f"file is larger than {MAX_CONFIG_BYTES} bytes")
    loader = _BoundedLoader(text)
    try:
        node = loader.get_single_node()
        lines: dict[PathKey, int] = {}
        problems: list[YamlProblem] = []
        if node is None:
            return None, LineMap(lines), problems
        data = _Walk(loader, lines, problems).walk(node, (), 1)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        raise YamlSyntaxError(line, str(exc.problem or exc)) from exc
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(1, str(exc)) from exc
    finally:
        loader.dispose()
    return data, LineMap(lines), problems


class _Walk:
    """Builds the data from the node tree, expanding aliases under a budget."""

    def __init__(
        self, loader: yaml.SafeLoader, lines: dict[PathKey, int], problems: list[YamlProblem]
    ) -> None:
        self.loader = loader
        self.lines = lines
        self.problems = problems
        self.values = 0

    def walk(self, node: yaml.Node, path: PathKey, depth: int) -> object:
        line = node.start_mark.line + 1
        self.values += 1
        # An expanded alias's node was written elsewhere: blame the top-level key holding it.
        if self.values > MAX_YAML_VALUES:
            raise YamlSyntaxError(
                self.lines.get(path[:1], line),
                f"more than {MAX_YAML_VALUES} values once aliases expand",
            )
        if depth > MAX_YAML_DEPTH:  # only aliases get here: the composer bounds the rest
            raise YamlSyntaxError(
                self.lines.get(path[:1], line),
                f"nested deeper than {MAX_YAML_DEPTH} levels once aliases expand",
            )
        self.lines.setdefault(path, line)
        if isinstance(node, yaml.MappingNode):
            out: dict[str, object] = {}
            for key_node, value_node in node.value:
                if not isinstance(key_node, yaml.ScalarNode):
                    raise YamlSyntaxError(
                        key_node.start_mark.line + 1, "a key must be a plain value"
                    )
                # Keys are names as written: YAML 1.1 would read the key `on` as True.
                key = str(key_node.value)
                child = (*path, key)
                if key in out:
                    self.problems.append(
                        YamlProblem(key_node.start_mark.line + 1, child, f"duplicate key '{key}'")
                    )
                self.lines[child] = key_node.start_mark.line + 1
                out[key] = self.walk(value_node, child, depth + 1)
            return out
        if isinstance(node, yaml.SequenceNode):
            return [
                self.walk(item, (*path, str(i)), depth + 1) for i, item in enumerate(node.value)
            ]
        try:
            return self.loader.construct_object(node)
        except ValueError as exc:  # e.g. an integer of 5,000 digits, a 13th month
            raise YamlSyntaxError(line, f"cannot read value: {exc}") from exc
