"""The runtime signatures of ``halo._halo`` (what ``help()`` and ``inspect.signature`` show)
against the stub ``_halo.pyi`` (what type checkers and editors read): the same parameters, in
the same order and kinds, with the same defaults. The Rust side writes its defaults as literals,
tied to the library constants at compile time (crates/py/src/args.rs)."""

import ast
import inspect
import pathlib

import pytest

import halo
from halo import _halo

STUB = pathlib.Path(_halo.__file__).with_name("_halo.pyi")


def stub_functions():
    tree = ast.parse(STUB.read_text(encoding="utf-8"))
    return {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}


def stub_parameters(fn):
    a = fn.args
    out = []
    pos = a.posonlyargs + a.args
    pos_defaults = [None] * (len(pos) - len(a.defaults)) + list(a.defaults)
    for p, d in zip(pos, pos_defaults):
        out.append((p.arg, "POSITIONAL_OR_KEYWORD", d))
    for p, d in zip(a.kwonlyargs, a.kw_defaults):
        out.append((p.arg, "KEYWORD_ONLY", d))
    return [
        (name, kind, inspect.Parameter.empty if d is None else ast.literal_eval(d))
        for name, kind, d in out
    ]


FUNCTIONS = sorted(stub_functions())


def test_the_stub_names_every_function_of_the_module():
    public = {n for n in dir(_halo) if not n.startswith("_") and callable(getattr(_halo, n))}
    classes = {n for n in public if isinstance(getattr(_halo, n), type)}
    assert public - classes == set(FUNCTIONS)


@pytest.mark.parametrize("name", FUNCTIONS)
def test_runtime_signature_equals_the_stub(name):
    runtime = inspect.signature(getattr(_halo, name))
    got = [(p.name, p.kind.name, p.default) for p in runtime.parameters.values()]
    want = stub_parameters(stub_functions()[name])
    assert got == want
    # a default the runtime cannot show is printed as `...` by help(): none is left
    assert "..." not in str(runtime)


@pytest.mark.parametrize(
    "call, keyword",
    [
        (lambda s: halo.kmc(s, seed=-1), "seed"),
        (lambda s: halo.kmc(s, replicas=-4), "replicas"),
        (lambda s: halo.kmc(s, max_replicas=-1), "max_replicas"),
        (lambda s: halo.kmc(s, blocks=-16), "blocks"),
        (lambda s: halo.kmc(s, min_ions=-1), "min_ions"),
        (lambda s: halo.kmc(s, min_realisations=-2), "min_realisations"),
        (lambda s: halo.kmc(s, seed=2**70), "seed"),
        (lambda s: halo.eval(s, seed=-3), "seed"),
        (lambda s: halo.enumerate(s, "16d", ["In"], "0:0.2:0.1", orderings=-1), "orderings"),
        (lambda s: halo.enumerate(s, "16d", ["In"], "0:0.2:0.1", max_dopants=-1), "max_dopants"),
        (lambda s: halo.run("nonexistent.toml", threads=-2), "threads"),
        (lambda s: halo.merge(".", -1), "shards"),
    ],
)
def test_a_negative_or_oversized_integer_keyword_is_a_parameter_error_naming_it(
    spinel_path, call, keyword
):
    with pytest.raises(halo.ParameterError, match=rf"^{keyword} = -?\d+: "):
        call(spinel_path)
