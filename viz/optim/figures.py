"""The figures of the optimization lessons, as plain matplotlib figures (the app shows them, the CLI saves them)."""

from __future__ import annotations

import statistics

from matplotlib.figure import Figure

from .batchnorm import BatchNormStudy, channel_shift
from .interpolation import LossLine
from .net2net import Net2NetStudy
from .training import Curve

COLOURS = {"training": "tab:blue", "validation": "tab:orange", "before": "tab:grey", "after": "tab:red"}


def interpolation_figure(line: LossLine) -> Figure:
    """J((1-α)·θ_a + α·θ_b) against α, one curve per data set, the two ends marked."""
    fig = Figure(figsize=(6.4, 4.0))
    ax = fig.subplots()
    for name, losses in line.losses.items():
        ax.plot(line.alphas, losses, marker=".", label=f"{name} loss", color=COLOURS.get(name))
    for alpha, name in zip((0, 1), line.endpoints):
        ax.axvline(alpha, color="black", linestyle=":", linewidth=1)
        ax.annotate(f"α={alpha}\n{name}", (alpha, 1), xycoords=("data", "axes fraction"), xytext=(3, -3),
                    textcoords="offset points", va="top", fontsize=8)
    ax.set_yscale("log")
    ax.set_xlabel("α   (parameters (1-α)·θ_a + α·θ_b)")
    ax.set_ylabel("cross-entropy (log scale)")
    ax.set_title(f"Loss along the line from {line.endpoints[0]} (α=0) to {line.endpoints[1]} (α=1)", fontsize=10)
    ax.legend(loc="lower left", fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def _curves(ax_loss, ax_accuracy, curves: dict[str, Curve], styles: dict[str, dict]) -> None:
    for name, curve in curves.items():
        ax_loss.plot(curve.steps[1:], curve.train_loss[1:], label=name, **styles.get(name, {}))
        ax_accuracy.plot(curve.steps, curve.val_accuracy, label=name, **styles.get(name, {}))
    ax_loss.set_yscale("log")
    ax_loss.set(xlabel="SGD step", ylabel="training loss (log scale)")
    ax_accuracy.set(xlabel="SGD step", ylabel="validation accuracy")
    for ax in (ax_loss, ax_accuracy):
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)


def batchnorm_figure(study: BatchNormStudy) -> Figure:
    """Top: each network's pre-activations before and after one SGD step; bottom: both training curves."""
    fig = Figure(figsize=(9.6, 6.6))
    axes = fig.subplots(2, 2)
    for ax, (name, before) in zip(axes[0], study.before.items()):
        after = study.after[name]
        moved, spread = channel_shift(before, after)
        channel = int(moved.argmax())
        for label, values in (("before", before), ("after", after)):
            ax.hist(values[:, channel].flatten().numpy(), bins=60, histtype="step", linewidth=1.4,
                    color=COLOURS[label], label=f"{label} the step", density=True)
        ax.set_title(f"{name}: conv{study.layer}, channel {channel} (moved most)\nchannel average: mean moved "
                     f"{moved.mean():.3f} std, spread {spread.mean():.3f} std", fontsize=9)
        ax.set_xlabel("pre-activation (input of the ReLU, so of the next layer)")
        ax.set_yticks([])
        ax.legend(fontsize=8)
    styles = {"without batch norm": {"color": "tab:purple"}, "with batch norm": {"color": "tab:green"}}
    _curves(axes[1][0], axes[1][1], study.curves(), styles)
    start = "the initialization" if study.at_epoch == 0 else f"epoch {study.at_epoch}"
    fig.suptitle(f"One SGD step (lr {study.step_lr:g}) from {start}, on the validation digits", fontsize=10)
    fig.tight_layout()
    return fig


def steps_to_target(curves: list[Curve], target: float) -> str:
    """"median N steps (a, b, c)" over seeds, "not reached" for a seed that never gets there."""
    found = [c.steps_to(target) for c in curves]
    each = ", ".join("—" if s is None else str(s) for s in found)
    reached = [s for s in found if s is not None]
    median = f"median {statistics.median(reached):g}" if len(reached) == len(found) else "not always reached"
    return f"{median} ({each})"


def net2net_figure(study: Net2NetStudy, target: float = 0.95) -> Figure:
    """Validation accuracy of the grown students and the same networks from scratch, per kind, all seeds."""
    fig = Figure(figsize=(10.0, 4.2))
    axes = fig.subplots(1, 2, sharey=True)
    for ax, kind in zip(axes, ("wider", "deeper")):
        for label, curves, colour in (("Net2Net", study.student[kind], "tab:green"),
                                      ("from scratch", study.scratch[kind], "tab:grey")):
            for i, curve in enumerate(curves):
                ax.plot(curve.steps, curve.val_accuracy, color=colour, alpha=0.8, linewidth=1.2,
                        label=f"{label} ({steps_to_target(curves, target)} steps to {target:.0%})" if i == 0 else None)
        ax.axhline(target, color="black", linestyle=":", linewidth=1)
        gap = study.function_gap[kind]
        ax.set_title(f"Net2{kind.capitalize()}Net\nat step 0: max |Δ logit| = {gap['logits']:.1e}, "
                     f"|Δ loss| = {gap['loss']:.1e}", fontsize=9)
        ax.set_xlabel("SGD step after growing")
        ax.grid(alpha=0.3)
        ax.legend(loc="lower right", fontsize=7)
    axes[0].set_ylabel("validation accuracy")
    axes[0].set_ylim(0, 1)
    teacher = study.teacher.val_accuracy[-1]
    fig.suptitle(f"Growing a trained narrow network (teacher: {teacher:.1%} validation accuracy), "
                 f"{len(study.settings.seeds)} seeds", fontsize=10)
    fig.tight_layout()
    return fig
