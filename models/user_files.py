"""Models the server's owner names in Python files: `VIZ_MODELS=F[:G]` (any process) or `--models-file F` (CLI).

A models file defines a top-level dict `MODELS = {name: callable}`; each zero-argument callable returns an
`nn.Module` with its weights loaded, or a `models.LoadedModel` (`models.from_module(net, input_size=32, ...)`, for
its input size, normalization, labels and layers). Each name then is a model like a registered one: in
`list_models()`, `load(name, weights=...)`, the CLI's `--model` and the app's sidebar; it is built on first use,
its tiers spread by depth as `from_module` does. Only files named in the environment or on the command line are
read, never one a browser names. A file that cannot be read, a name that clashes, a value that is not callable
is one line of `models_file_problems()` and the other models still work; a callable that fails or returns
something else is a `UserError` when the model is loaded.

`weights`: "default" is what the callable returns; "none" the same architecture re-initialized
(`reset_parameters()` of every module, seed 0), the untrained contrast; a path a state dict for it.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import hashlib
import importlib.util
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from .errors import UserError, first_line
from .registry import LoadedModel, finish, from_module, load_checkpoint, registered, state_digest

ENV = "VIZ_MODELS"  # files separated by the OS's path separator (":" on Linux and macOS, ";" on Windows)
_named_here: list[str] = []  # the files named on the command line, read after those of ENV


def use_models_files(paths) -> None:
    """Read these models files too (the CLI's `--models-file`), after VIZ_MODELS's; replaces earlier ones."""
    _named_here[:] = [str(p) for p in paths]


@dataclass(frozen=True)
class UserModel:
    """One entry of a models file."""

    name: str
    file: Path
    make: Callable[[], object]  # MODELS[name]: returns an nn.Module or a LoadedModel


def _files() -> list[Path]:
    named = [p for p in os.environ.get(ENV, "").split(os.pathsep) if p.strip()] + _named_here
    return list(dict.fromkeys(Path(p).expanduser().resolve() for p in named))


@functools.lru_cache(maxsize=64)
def _read(path: Path, stamp: tuple[int, int]) -> tuple[dict, str]:
    """(the file's MODELS, "" | the problem); kept per file and modification (`stamp`), so an edit is read again."""
    module_name = "viz_models_" + hashlib.sha256(str(path).encode()).hexdigest()[:12]
    spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module  # dataclasses and pickling in the file look their module up there
    try:
        spec.loader.exec_module(module)
    except BaseException as exc:  # anything the file does wrong, SystemExit included, is the file's problem
        del sys.modules[module_name]
        return {}, f"cannot import it ({type(exc).__name__}: {first_line(exc)})"
    found = getattr(module, "MODELS", None)
    if not isinstance(found, dict):
        return {}, "it defines no top-level dict MODELS = {name: callable}"
    return found, ""


def _scan() -> tuple[dict[str, UserModel], list[tuple[Path, str]]]:
    """Every usable entry of every models file, and each problem as (file, what is wrong)."""
    entries: dict[str, UserModel] = {}
    problems: list[tuple[Path, str]] = []
    taken = set(registered())
    for path in _files():
        if not path.is_file():
            problems.append((path, "no such file"))
            continue
        stat = path.stat()
        found, problem = _read(path, (stat.st_mtime_ns, stat.st_size))
        if problem:
            problems.append((path, problem))
        for name, make in found.items():
            if not isinstance(name, str) or not name.strip() or name.startswith("timm/"):
                problems.append((path, f"{name!r} is not a model name (a non-empty string, not timm/...)"))
            elif name in taken:
                where = entries[name].file.name if name in entries else "the registry"
                problems.append((path, f"{name!r} is already a model of {where}; rename it"))
            elif not callable(make):
                problems.append((path, f"MODELS[{name!r}] is a {type(make).__name__}, not a callable"))
            else:
                entries[name] = UserModel(name, path, make)
                taken.add(name)
    return entries, problems


def user_models() -> dict[str, UserModel]:
    """The usable entries of the models files, by name, in file order."""
    return _scan()[0]


def models_file_problems(full_paths: bool = True) -> list[str]:
    """One line per problem with the models files, naming the file: for the CLI's stderr, and with the file's
    name only (`full_paths=False`) for the app's sidebar, which shows no folder of the server's disk."""
    return [f"models file {path if full_paths else path.name}: {what}" for path, what in _scan()[1]]


def _untrain(net: nn.Module, where: str, seed: int = 0) -> None:
    """Re-initialize every parameter as the architecture's own `reset_parameters()` does, with a fixed seed and
    without touching the caller's random stream; a parameter no module can reset is an error, not kept."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        for name, module in net.named_modules():
            if callable(getattr(module, "reset_parameters", None)):
                module.reset_parameters()
            elif any(True for _ in module.parameters(recurse=False)):
                raise UserError(f"{where}: module {name or 'the network'!r} ({type(module).__name__}) has parameters "
                                "but no reset_parameters(), so it has no untrained version; add one to it")


def load_user_model(entry: UserModel, weights: str | os.PathLike = "default", device=None) -> LoadedModel:
    """Build a models file's entry with `weights` "default" (as the callable returns it), "none" or a path."""
    where = f"models file {entry.file}: MODELS[{entry.name!r}]"
    try:
        with torch.random.fork_rng(devices=[]):  # building modules draws random numbers: not from the caller's stream
            made = entry.make()
    except Exception as exc:  # the user's code: say where and what, in one line
        raise UserError(f"{where}() failed ({type(exc).__name__}: {first_line(exc)})") from exc
    if not isinstance(made, (nn.Module, LoadedModel)):
        raise UserError(f"{where}() returned a {type(made).__name__}; return an nn.Module or a models.LoadedModel")
    net = made.net if isinstance(made, LoadedModel) else made
    if str(weights) != "default":  # the callable may hand out one shared module: its weights stay as they are
        net = copy.deepcopy(net)
    if str(weights) == "none":
        _untrain(net, where)
    elif str(weights) != "default":
        load_checkpoint(net, weights, entry.name)
    if isinstance(made, LoadedModel):
        model = dataclasses.replace(made, name=entry.name, net=finish(net, device),
                                    weights_id=made.weights_id if str(weights) == "default" else state_digest(net))
    else:
        model = from_module(net, name=entry.name, device=device)
    return dataclasses.replace(model, weights=str(weights))
