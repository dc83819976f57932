"""Net2Net (Chen, Goodfellow & Shlens, ICLR 2016): grow a trained network without changing its function.

Net2WiderNet gives every conv layer more channels. New channel j of layer i copies an existing one,
g_i(j) (the first channels map to themselves, the others to a random existing channel); its incoming weights
and bias are that channel's, and the next layer's weights *from* it are the original's times a share, the
shares of a channel's copies summing to 1. The next layer then receives the same sum, so the wider network
computes exactly the same function. The paper divides equally (1/copies); with `noise` > 0 the shares are
unequal (still summing to 1), which keeps the function and breaks the symmetry between copies (equal
copies would receive equal gradients and stay twins forever).

Net2DeeperNet inserts a 3x3 conv initialized to the identity (centre tap 1 on its own channel, bias 0)
after the last ReLU of a stage: ReLU(identity(x)) = x for x >= 0, so again the function is unchanged. (Not
for batch norm, whose training-mode statistics the identity cannot reproduce.)

`net2net_study` trains a narrow teacher, grows it, and trains the grown students beside the same large
networks trained from scratch, for several seeds: the students start where the teacher ended and reach a
chosen validation accuracy in fewer steps.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import torch

from models.errors import UserError

from ..core.progress import Progress
from ..serving.cache import CacheChoice, store_for
from .data import INPUT_SIZE, digits
from .network import Architecture, build, with_weights
from .training import Curve, TrainSettings, evaluate, fit, train

State = dict[str, torch.Tensor]


def _replicas(old: int, new: int, generator: torch.Generator) -> torch.Tensor:
    """g: new channel -> the old channel it copies; every old channel keeps itself first."""
    if new < old:
        raise UserError(f"a wider layer cannot have fewer channels ({new}) than the original ({old})")
    return torch.cat([torch.arange(old), torch.randint(old, (new - old,), generator=generator)])


def _shares(g: torch.Tensor, noise: float, generator: torch.Generator) -> torch.Tensor:
    """Per new channel its share of the original's outgoing weights; the shares of one channel's copies sum to 1."""
    weight = 1 + noise * (2 * torch.rand(len(g), generator=generator) - 1)
    total = torch.zeros(int(g.max()) + 1).index_add_(0, g, weight)
    return weight / total[g]


def _bn_keys(arch: Architecture, conv: str) -> list[str]:
    if not arch.batch_norm:
        return []
    bn = conv.replace("conv", "bn")
    return [f"{bn}.{k}" for k in ("weight", "bias", "running_mean", "running_var")]


def wider(state: State, arch: Architecture, stages: tuple[tuple[int, ...], ...], noise: float = 0.0,
          seed: int = 0) -> tuple[State, Architecture]:
    """Net2WiderNet: the same function with each conv widened to the widths in `stages` (same layout)."""
    if [len(s) for s in stages] != [len(s) for s in arch.stages]:
        raise UserError("a wider network keeps the layout of stages and convs; only the widths may grow")
    generator = torch.Generator().manual_seed(seed)
    new_arch = dataclasses.replace(arch, stages=tuple(tuple(s) for s in stages))
    out = dict(state)
    incoming, incoming_share = torch.arange(1), torch.ones(1)  # the input's single grey channel
    widths = [w for stage in stages for w in stage]
    for conv, width in zip(arch.convs(), widths):
        weight = state[f"{conv}.weight"]
        g = _replicas(weight.shape[0], width, generator)
        out[f"{conv}.weight"] = weight[g][:, incoming] * incoming_share.view(1, -1, 1, 1)
        out[f"{conv}.bias"] = state[f"{conv}.bias"][g]
        for key in _bn_keys(arch, conv):
            out[key] = state[key][g]
        incoming, incoming_share = g, _shares(g, noise, generator)
    fc = state["fc.weight"]
    per_channel = fc.reshape(fc.shape[0], -1, (INPUT_SIZE // 2 ** len(stages)) ** 2)
    out["fc.weight"] = (per_channel[:, incoming] * incoming_share.view(1, -1, 1)).reshape(fc.shape[0], -1)
    return out, new_arch


def deeper(state: State, arch: Architecture, stage: int) -> tuple[State, Architecture]:
    """Net2DeeperNet: the same function with an identity 3x3 conv added at the end of `stage` (0-based)."""
    if arch.batch_norm:
        raise UserError("Net2DeeperNet here needs a network without batch norm")
    if not 0 <= stage < len(arch.stages):
        raise UserError(f"stage {stage} is out of range; this network has stages 0-{len(arch.stages) - 1}")
    stages = list(arch.stages)
    width = stages[stage][-1]
    stages[stage] = (*stages[stage], width)
    new_arch = dataclasses.replace(arch, stages=tuple(stages))
    inserted = sum(len(s) for s in stages[: stage + 1]) - 1  # index of the new conv among the new convs
    old_names = arch.convs()
    new_names = new_arch.convs()
    renamed = {old: new_names[i + (i >= inserted)] for i, old in enumerate(old_names)}
    out = {}
    for key, value in state.items():
        module, _, param = key.partition(".")
        out[f"{renamed.get(module, module)}.{param}"] = value
    identity = torch.zeros(width, width, 3, 3)
    identity[torch.arange(width), torch.arange(width), 1, 1] = 1
    out[f"{new_names[inserted]}.weight"] = identity
    out[f"{new_names[inserted]}.bias"] = torch.zeros(width)
    return out, new_arch


@dataclass(frozen=True)
class Net2NetSettings:
    teacher: TrainSettings = TrainSettings(arch=Architecture(stages=((4,), (8,))), epochs=3)  # the narrow start
    wider: tuple[tuple[int, ...], ...] = ((8,), (16,))  # Net2WiderNet's widths
    deeper_stage: int = 1  # Net2DeeperNet adds a conv at the end of this stage (0-based)
    epochs: int = 6  # training of each student and each from-scratch network
    lr: float = 0.02  # their SGD learning rate (a student starts near a minimum: a smaller step keeps it there)
    seeds: tuple[int, ...] = (0, 1, 2)  # one student and one from-scratch network per seed and kind
    noise: float = 0.1  # unequal shares of Net2WiderNet's copies, to break their symmetry
    eval_every: int = 5  # SGD steps between validation points

    def __post_init__(self):
        if not 1 <= len(self.seeds) <= 10:
            raise UserError(f"{len(self.seeds)} seeds is out of range; choose 1-10")
        if not 0 <= self.noise <= 0.9:
            raise UserError(f"noise {self.noise} is out of range; choose 0-0.9")


@dataclass
class Net2NetStudy:
    settings: Net2NetSettings
    teacher: Curve
    function_gap: dict[str, dict[str, float]]  # kind -> max |Δ logit| and |Δ loss| against the teacher
    student: dict[str, list[Curve]]  # kind ("wider", "deeper") -> one curve per seed
    scratch: dict[str, list[Curve]]  # kind -> the same architecture from a random init, one per seed


def function_gap(teacher: State, teacher_arch: Architecture, grown: State, grown_arch: Architecture) -> dict:
    """How far the grown network's outputs are from the teacher's on the validation digits."""
    data = digits("validation")
    a, b = with_weights(teacher_arch, teacher).eval(), with_weights(grown_arch, grown).eval()
    with torch.no_grad():
        logits = float((a(data.images) - b(data.images)).abs().max())
    return {"logits": logits, "loss": abs(evaluate(a, data)[0] - evaluate(b, data)[0])}


def net2net_study(settings: Net2NetSettings = Net2NetSettings(), progress: Progress | None = None,
                  cache: CacheChoice = True) -> Net2NetStudy:
    """Teacher, grown students and from-scratch networks, as in the module docstring; cached on disk."""
    teacher_settings = settings.teacher
    student_train = dataclasses.replace(teacher_settings, epochs=settings.epochs, lr=settings.lr)
    per_fit = student_train.epochs * student_train.steps_per_epoch()
    total = teacher_settings.epochs * teacher_settings.steps_per_epoch() + 4 * len(settings.seeds) * per_fit
    done = [0]

    def reporter(offset: int):
        return None if progress is None else (lambda d, t: progress(offset + d, total))

    def compute() -> dict:
        run = train(teacher_settings, progress=reporter(0))
        done[0] = teacher_settings.epochs * teacher_settings.steps_per_epoch()
        teacher = run.weights(teacher_settings.epochs)
        arch = teacher_settings.arch
        gaps, students, scratch = {}, {}, {}
        for kind in ("wider", "deeper"):
            students[kind], scratch[kind] = [], []
            for seed in settings.seeds:
                state, new_arch = (wider(teacher, arch, settings.wider, settings.noise, seed) if kind == "wider"
                                   else deeper(teacher, arch, settings.deeper_stage))
                gaps.setdefault(kind, function_gap(teacher, arch, state, new_arch))
                seeded = dataclasses.replace(student_train, arch=new_arch, seed=seed)
                for start, curves in ((with_weights(new_arch, state), students), (build(new_arch, seed), scratch)):
                    curve, _ = fit(start, seeded, eval_every=settings.eval_every, progress=reporter(done[0]))
                    curves[kind].append(dataclasses.asdict(curve))
                    done[0] += per_fit
        return {"teacher": dataclasses.asdict(run.curve), "gaps": gaps, "student": students, "scratch": scratch}

    found = store_for(cache, "optim-net2net").get_or_compute({"settings": dataclasses.asdict(settings)}, compute)
    if progress is not None:
        progress(total, total)
    curves = lambda by_kind: {k: [Curve(**c) for c in v] for k, v in by_kind.items()}  # noqa: E731
    return Net2NetStudy(settings, Curve(**found["teacher"]), found["gaps"], curves(found["student"]),
                        curves(found["scratch"]))
