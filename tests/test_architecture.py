"""The structure holds: dependencies point one way, no import hides in a function, no private
name crosses modules, and every module of webapp/ sits in a layer of the contract."""
import ast
import pathlib
import shutil
import subprocess
import sys
import tomllib

ROOT = pathlib.Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "webapp"


def _modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        if "translations" in path.parts:
            continue
        name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        yield name.removesuffix(".__init__"), path, ast.parse(path.read_text(), str(path))


def _absolute(module, node):
    """The module an ImportFrom names, made absolute."""
    if not node.level:
        return node.module or ""
    parts = module.split(".")
    is_package = (PACKAGE.parent / pathlib.Path(*parts) / "__init__.py").exists()
    base = parts if is_package else parts[:-1]
    base = base[:len(base) - node.level + 1]
    return ".".join(base + ([node.module] if node.module else []))


def test_import_contracts_hold():
    result = subprocess.run([str(pathlib.Path(sys.executable).parent / "lint-imports")],
                            cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:]


def test_no_import_inside_a_function_or_class():
    nested = []
    for name, path, tree in _modules():
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                nested += [f"{path.relative_to(ROOT)}:{inner.lineno}" for inner in ast.walk(node)
                           if isinstance(inner, (ast.Import, ast.ImportFrom))]
    assert not nested, f"imports inside functions (a cycle to remove, not to dodge): {nested}"


def test_no_private_name_is_imported_from_another_module():
    crossing = []
    for name, path, tree in _modules():
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                source = _absolute(name, node)
                if source.startswith("webapp"):
                    crossing += [f"{path.relative_to(ROOT)}:{node.lineno} {alias.name}"
                                 for alias in node.names
                                 if alias.name.startswith("_") and not alias.name.startswith("__")]
            if isinstance(node, ast.Attribute) and node.attr.startswith("_") \
                    and not node.attr.startswith("__") and isinstance(node.value, ast.Name) \
                    and node.value.id in _imported_modules(name, tree):
                crossing.append(f"{path.relative_to(ROOT)}:{node.lineno} "
                                f"{node.value.id}.{node.attr}")
    assert not crossing, f"private names used across modules: {crossing}"


def _imported_modules(module, tree):
    """Local names bound to webapp modules by `from . import x` or `import webapp.x as y`."""
    bound = set()
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and _absolute(module, node).startswith("webapp"):
            source = _absolute(module, node)
            for alias in node.names:
                path = PACKAGE.parent / pathlib.Path(*source.split("."), alias.name)
                if path.with_suffix(".py").exists() or (path / "__init__.py").exists():
                    bound.add(alias.asname or alias.name)
        elif isinstance(node, ast.Import):
            bound.update(a.asname for a in node.names if a.name.startswith("webapp") and a.asname)
    return bound


def test_every_module_sits_in_a_layer():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    layers = next(c for c in config["contracts"] if c["type"] == "layers")["layers"]
    placed = {m.strip() for layer in layers for m in layer.replace("|", ":").split(":")}
    loose = [name for name, _path, _tree in _modules()
             if name.count(".") >= 1 and not any(name == p or name.startswith(p + ".")
                                                    for p in placed)
             and not (PACKAGE.parent / pathlib.Path(*name.split(".")) / "__init__.py").exists()]
    assert not loose, f"modules in no layer of pyproject.toml's contract: {loose}"


def test_the_layer_check_can_fail(tmp_path):
    """A model importing a view breaks the contract: the check is not vacuous."""
    shutil.copytree(PACKAGE, tmp_path / "webapp",
                    ignore=shutil.ignore_patterns("translations", "__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    models = tmp_path / "webapp" / "ledger" / "models.py"
    models.write_text(models.read_text() + "\nfrom . import views  # noqa: E402,F401\n")
    result = subprocess.run([str(pathlib.Path(sys.executable).parent / "lint-imports")],
                            cwd=tmp_path, capture_output=True, text=True,
                            env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"})
    assert result.returncode != 0 and "BROKEN" in result.stdout, result.stdout[-2000:]
