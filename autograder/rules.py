"""Static check: does the student's conv2d call a library convolution instead of computing it?

`find_forbidden(source)` parses the file with `ast` (nothing is imported or run) and judges only the code that
conv2d can reach: conv2d itself and every module-level function, class or assignment it refers to by name,
transitively. A single-file submission whose CNN legitimately uses tf.nn.conv2d is therefore clean as long as its
conv2d does not reach that code.

Forbidden (the dotted name after resolving aliases):
- TensorFlow / Keras / JAX: a name matching conv (conv2d, convolution, depthwise_conv2d, conv2d_transpose,
  Conv2D, keras.ops.conv, ...) and anything under raw_ops containing "Conv";
- scipy: convolve, correlate, convolve2d, correlate2d, fftconvolve, oaconvolve, convolve1d, correlate1d
  (scipy.signal, scipy.ndimage);
- torch: anything with conv in its name.
NumPy is allowed (np.convolve is 1-D); comments and docstrings are never read as code (only strings given to
eval/exec).

Routes followed: attribute chains through any alias (`import tensorflow as T; T.nn.conv2d`), `from ... import
... as`, assignments (`c = tf.nn.conv2d`), `getattr(x, "name")` with a constant (or constant-concatenated) string,
`importlib.import_module("...")`, `__import__("...")`, `sys.modules["..."]`, `x.__dict__["..."]`, and
`eval`/`exec` of a constant string. A module-level import of a forbidden name is reported (its own line and the
lines that use it) only when the reached code uses it or it binds conv2d itself: a CNN in the same file may import
Conv2D. Function parameters shadow module-level names. All bindings of a name count (a notebook may define a helper
twice), which errs towards flagging.

A source that does not parse raises SyntaxError (the grader reports syntax errors itself).

The check is bounded: a source larger than MAX_SOURCE_BYTES is not parsed (parsing costs ~600 bytes of memory per
byte of source: 1 MB of `x=1` lines took 631 MB and 3 s), and the walk stops after MAX_CHECK_STEPS steps or at a
nesting too deep to walk. Either way the result is one Finding at line 0 whose `api` says why nothing could be
ruled out: unchecked code counts as forbidden (intake already refuses files over the size cap).
"""
import ast
from collections import deque
from dataclasses import dataclass
from typing import List

from autograder.stand_ins._names import forbidden_api, library_call  # noqa: F401 (library_call: a judge)

MAX_SOURCE_BYTES = 256 * 1024    # real course files are a few KB; 256 KB parses in 0.5 s and 165 MB
MAX_CHECK_STEPS = 2_000_000      # nodes visited and aliases resolved; the solution needs a few thousand
MAX_NAME_DEPTH = 12              # dotted names an alias may stand for have at most this many dots


@dataclass(frozen=True)
class Finding:
    line: int       # 1-based line in the source
    code: str       # that line, stripped
    api: str        # the forbidden API as a dotted name, e.g. "tensorflow.nn.conv2d"


def _constant_string(node):
    """The value of a constant string expression ("a", "a" + "b", f"a{'b'}"), or None."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _constant_string(node.left), _constant_string(node.right)
        return None if left is None or right is None else left + right
    if isinstance(node, ast.JoinedStr):
        pieces = [_constant_string(value.value if isinstance(value, ast.FormattedValue) else value)
                  for value in node.values]
        return None if None in pieces else "".join(pieces)
    return None


def _parameters(arguments):
    """The ast.arg nodes of an ast.arguments (positional, keyword-only, *args, **kwargs)."""
    return [arg for arg in arguments.posonlyargs + arguments.args + arguments.kwonlyargs
            + [arguments.vararg, arguments.kwarg] if arg is not None]


def _module_statements(tree):
    """Statements that run at import: the module body, including inside if/try/with/for/while (not defs)."""
    pending, statements = deque(tree.body), []
    while pending:
        statement = pending.popleft()
        statements.append(statement)
        if isinstance(statement, (ast.If, ast.For, ast.While, ast.With, ast.Try)):
            for block in ("body", "orelse", "finalbody"):
                pending.extend(getattr(statement, block, []))
            for handler in getattr(statement, "handlers", []):
                pending.extend(handler.body)
    return statements


def _bound_names(statement):
    """Names a module-level statement binds: def/class names, assignment targets, import aliases."""
    if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return [statement.name]
    if isinstance(statement, (ast.Import, ast.ImportFrom)):
        return [alias.asname or alias.name.split(".")[0] for alias in statement.names if alias.name != "*"]
    targets = []
    if isinstance(statement, ast.Assign):
        targets = statement.targets
    elif isinstance(statement, (ast.AnnAssign, ast.AugAssign)):
        targets = [statement.target]
    return [node.id for target in targets for node in ast.walk(target) if isinstance(node, ast.Name)]


class _TooMuchWork(Exception):
    """The check went over MAX_CHECK_STEPS."""


class _Checker:
    def __init__(self, source, tree, function, max_steps=MAX_CHECK_STEPS, judge=forbidden_api):
        self.judge = judge      # dotted name -> the forbidden part of it, or None
        self.steps, self.max_steps = 0, max_steps
        self.lines = source.splitlines()
        self.findings = set()
        self.parameters = frozenset()   # parameters of the functions being scanned: they shadow module aliases
        statements = _module_statements(tree)
        self.definitions = {}   # name -> module-level statements binding it
        for statement in statements:
            for name in _bound_names(statement):
                self.definitions.setdefault(name, []).append(statement)
        self.reached_names, self.reached = self._reach(function)
        # Aliases: module-level bindings plus the bindings inside reachable code (not the rest of the file's).
        binding_nodes = [s for s in statements if not isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef,
                                                                      ast.ClassDef))]
        for node in self.reached:
            binding_nodes.extend(n for n in ast.walk(node) if isinstance(n, (ast.Import, ast.ImportFrom, ast.Assign)))
        self.aliases = self._aliases(binding_nodes)

    def _tick(self, count=1):
        self.steps += count
        if self.steps > self.max_steps:
            raise _TooMuchWork

    def _reach(self, function):
        """(names reached, non-import statements reached) from `function`, following names transitively."""
        names, statements, pending, taken = set(), [], [function], set()
        while pending:
            name = pending.pop()
            self._tick()
            if name in names or name not in self.definitions:
                continue
            names.add(name)
            for statement in self.definitions[name]:
                self._tick()
                if isinstance(statement, (ast.Import, ast.ImportFrom)) or id(statement) in taken:
                    continue
                taken.add(id(statement))
                statements.append(statement)
                nodes = list(ast.walk(statement))
                self._tick(len(nodes))
                parameters = {arg.arg for node in nodes if isinstance(node, ast.arguments)
                              for arg in _parameters(node)}
                pending.extend(node.id for node in nodes
                               if isinstance(node, ast.Name) and node.id not in parameters)
        return names, statements

    def _aliases(self, binding_nodes):
        """name -> set of dotted names it may stand for, to a fixpoint (an alias may be defined from another)."""
        aliases = {}
        changed = True
        while changed:
            changed = False
            for node in binding_nodes:
                self._tick()
                for name, dotted in self._bindings(node, aliases):
                    if dotted not in aliases.setdefault(name, set()):
                        aliases[name].add(dotted)
                        changed = True
        return aliases

    def _bindings(self, node, aliases):
        """(name, dotted name) pairs that one import or assignment binds."""
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    yield alias.asname, alias.name
                else:
                    yield alias.name.split(".")[0], alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            for alias in node.names:
                if alias.name != "*":
                    yield alias.asname or alias.name, f"{node.module}.{alias.name}"
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                pairs = [(target, node.value)]
                if isinstance(target, ast.Tuple) and isinstance(node.value, ast.Tuple):
                    pairs = list(zip(target.elts, node.value.elts))
                for name_node, value in pairs:
                    if isinstance(name_node, ast.Name):
                        for dotted in self._resolve(value, aliases):
                            yield name_node.id, dotted

    def _resolve(self, node, aliases=None):
        """The dotted names an expression may evaluate to (empty when it is not a module or library object)."""
        aliases = self.aliases if aliases is None else aliases
        self._tick()
        if isinstance(node, ast.Name):
            return set() if node.id in self.parameters else set(aliases.get(node.id, ()))
        if isinstance(node, ast.Attribute):
            # Bounded depth: `fp = fp.buffer` would otherwise make fp stand for sys.stdin.buffer.buffer... for ever.
            bases = [base for base in self._resolve(node.value, aliases) if base.count(".") < MAX_NAME_DEPTH]
            self._tick(len(bases))
            return {f"{base}.{node.attr}" for base in bases}
        if isinstance(node, ast.Subscript):
            key = _constant_string(node.slice)
            if key is None:
                return set()
            if isinstance(node.value, ast.Attribute) and node.value.attr == "__dict__":
                return {f"{base}.{key}" for base in self._resolve(node.value.value, aliases)}
            if self._is_call_to(node.value, "vars", aliases) and node.value.args:
                return {f"{base}.{key}" for base in self._resolve(node.value.args[0], aliases)}
            return {key} if "sys.modules" in self._resolve(node.value, aliases) else set()
        if isinstance(node, ast.Call) and node.args:
            first = _constant_string(node.args[0])
            functions = self._resolve(node.func, aliases)
            if self._is_call_to(node, "getattr", aliases) and len(node.args) >= 2:
                name = _constant_string(node.args[1])
                return {f"{base}.{name}" for base in self._resolve(node.args[0], aliases)} if name else set()
            if first is None:
                return set()
            if functions & {"importlib.import_module", "sys.modules.get"}:
                return {first}
            if self._is_call_to(node, "__import__", aliases) or "builtins.__import__" in functions:
                wants_submodule = len(node.args) >= 4 or any(kw.arg == "fromlist" for kw in node.keywords)
                return {first if wants_submodule else first.split(".")[0]}
        return set()

    def _is_call_to(self, node, builtin, aliases=None):
        """Is `node` a call of the builtin `builtin` (a bare name the file does not rebind)?"""
        aliases = self.aliases if aliases is None else aliases
        return (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == builtin
                and builtin not in aliases and builtin not in self.definitions)

    def _report(self, line, api):
        code = self.lines[line - 1].strip() if 0 < line <= len(self.lines) else ""
        self.findings.add(Finding(line, code, api))

    def _scan(self, node, line=None):
        """Report forbidden names used under `node`; `line` overrides line numbers (code from eval/exec)."""
        self._tick()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for name, dotted in self._bindings(node, self.aliases):
                if self.judge(dotted):
                    self._report(line or node.lineno, self.judge(dotted))
            return
        if isinstance(node, (ast.Name, ast.Attribute, ast.Subscript, ast.Call)) and \
                not isinstance(getattr(node, "ctx", ast.Load()), (ast.Store, ast.Del)):
            apis = {self.judge(dotted) for dotted in self._resolve(node)} - {None}
            for api in apis:
                self._report(line or node.lineno, api)
            if apis:
                return
        if (self._is_call_to(node, "eval") or self._is_call_to(node, "exec")) and node.args:
            code = _constant_string(node.args[0])
            try:
                parsed = ast.parse(code) if code is not None else None
            except SyntaxError:
                parsed = None
            if parsed is not None:
                self._scan(parsed, line or node.lineno)
        outer_parameters = self.parameters
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            # Defaults and decorators are evaluated outside the function, but a parameter named like an alias
            # is far more common than a default that uses such a name; shadow for the whole node.
            self.parameters = outer_parameters | {arg.arg for arg in _parameters(node.args)}
        for child in ast.iter_child_nodes(node):
            self._scan(child, line)
        self.parameters = outer_parameters

    def run(self):
        for statement in self.reached:
            self._scan(statement)
        # Module-level imports of forbidden names that the reached code uses (or that bind `function` itself).
        for name in self.reached_names:
            for statement in self.definitions[name]:
                if isinstance(statement, (ast.Import, ast.ImportFrom)):
                    for bound, dotted in self._bindings(statement, self.aliases):
                        if bound == name and self.judge(dotted):
                            self._report(statement.lineno, self.judge(dotted))
        return sorted(self.findings, key=lambda finding: (finding.line, finding.api))


def find_forbidden(source: str, function: str = "conv2d", max_steps: int = MAX_CHECK_STEPS,
                   judge=forbidden_api) -> List[Finding]:
    """Forbidden library convolutions reachable from the module-level `function` in `source`, sorted by line;
    with judge=library_call (a NumPy-only course), any call of a deep-learning library's function too.

    Returns [] when the source has no such function. Raises SyntaxError when the source does not parse. A source
    too large, too deep or too much work to check gives one Finding at line 0 saying so (see the module docstring).
    """
    size = len(source.encode("utf-8", "surrogatepass"))
    if size > MAX_SOURCE_BYTES:
        return [Finding(0, "", f"unchecked code: the file is {size // 1024} KB, larger than the "
                               f"{MAX_SOURCE_BYTES // 1024} KB the check reads")]
    try:
        tree = ast.parse(source)
    except (RecursionError, MemoryError):
        return [Finding(0, "", "unchecked code: nested too deeply to check")]
    return check_parsed(source, tree, function, max_steps, judge)


def check_parsed(source, tree, function="conv2d", max_steps=MAX_CHECK_STEPS, judge=forbidden_api):
    """find_forbidden for a source already parsed into `tree` (ast.parse(source)): one parse, many entry points."""
    try:
        return _Checker(source, tree, function, max_steps, judge).run()
    except _TooMuchWork:
        return [Finding(0, "", f"unchecked code: checking it took more than {max_steps:,} steps")]
    except (RecursionError, MemoryError):
        return [Finding(0, "", "unchecked code: nested too deeply to check")]
