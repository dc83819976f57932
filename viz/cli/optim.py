"""`python -m viz optim ...`: the optimization lessons on the digits CNN (see viz/optim), one figure each.

    interpolate  loss along the line between two checkpoints (Goodfellow et al. 2015)
    batchnorm    a hidden layer's pre-activations before and after one SGD step, with and without batch norm
    net2net      grow a trained network wider and deeper, train beside the same networks from scratch
    evolution    features while training (Zeiler & Fergus, Figure 4), of the digits CNN or of your checkpoints
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import models
from viz.core.export import check_output_path, save_figure
from viz.optim.batchnorm import batchnorm_study, channel_shift
from viz.optim.figures import (
    batchnorm_figure,
    interpolation_figure,
    net2net_figure,
    steps_to_target,
)
from viz.optim.interpolation import alphas_between, digits_line
from viz.optim.net2net import Net2NetSettings, net2net_study
from viz.optim.network import Architecture
from viz.optim.training import TrainSettings, train
from viz.views.evolution import DEFAULT_EPOCHS, digits_evolution, features_over_training
from viz.views.figures import evolution_figure

from .options import add_figure_options, progress_bar


def register(commands, model_options) -> None:
    group = commands.add_parser("optim", help="optimization lessons on a digits CNN: interpolate, batchnorm, net2net, "
                                "evolution")
    lessons = group.add_subparsers(dest="lesson", metavar="LESSON", required=True)

    p = lessons.add_parser("interpolate", help="loss along the line between two checkpoints (Goodfellow et al. 2015)")
    _training_options(p)
    p.add_argument("--batch-norm", action="store_true", help="the network with batch norm")
    p.add_argument("--from", dest="epoch_a", type=int, default=0, help="θ_a: checkpoint epoch (default 0, the init)")
    p.add_argument("--to", dest="epoch_b", type=int, default=None, help="θ_b: checkpoint epoch (default: the last)")
    p.add_argument("--points", type=int, default=25, help="points along α in [-0.5, 1.5] (default 25)")
    add_figure_options(p)
    p.set_defaults(run=_interpolate)

    p = lessons.add_parser("batchnorm", help="pre-activations before and after one SGD step, with and without "
                           "batch norm, and both training curves")
    _training_options(p)
    p.add_argument("--layer", type=int, default=2, help="conv layer whose pre-activations are shown (1 or 2)")
    p.add_argument("--step-lr", type=float, default=0.5,
                   help="learning rate of the one step (default 0.5: what lr 0.05 with momentum 0.9 moves per step)")
    p.add_argument("--at-epoch", type=int, default=0, help="take the step from this checkpoint (default 0, the init)")
    add_figure_options(p)
    p.set_defaults(run=_batchnorm)

    p = lessons.add_parser("net2net", help="Net2WiderNet and Net2DeeperNet against the same networks from scratch")
    defaults = Net2NetSettings()
    p.add_argument("--seeds", type=int, nargs="+", default=list(defaults.seeds),
                   help="one run per seed (default 0 1 2)")
    p.add_argument("--epochs", type=int, default=defaults.epochs,
                   help=f"training after growing (default {defaults.epochs})")
    p.add_argument("--target", type=float, default=0.95, help="validation accuracy to reach (default 0.95)")
    p.add_argument("--noise", type=float, default=defaults.noise, help="unequal shares of the copies (default 0.1)")
    add_figure_options(p)
    p.set_defaults(run=_net2net)

    p = lessons.add_parser(
        "evolution",
        help="features while training: renders and top examples per checkpoint (digits CNN, or --model with "
        "--weights FILE ... on the gallery)",
    )
    _training_options(p)
    p.add_argument("--checkpoints", type=int, nargs="+", default=list(DEFAULT_EPOCHS),
                   help="epochs to show (default 1 2 5 10 20)")
    p.add_argument("--units", type=int, default=4, help="units per layer (default 4)")
    p.add_argument("--k", type=int, default=3, help="top examples per unit (default 3)")
    p.add_argument("--model", default=None, help="a registered architecture: follow your own checkpoints instead")
    p.add_argument("--weights", nargs="+", default=None, help="with --model: state-dict files, in training order")
    p.add_argument("--layers", default=None, help="with --model: comma-separated layers (default: first two)")
    p.add_argument("--images", default=None, help="with --model: folder of images (default: the gallery)")
    p.add_argument("--size", type=int, default=96, help="with --model: render size in px (default 96)")
    p.add_argument("--steps", type=int, default=64, help="with --model: render steps (default 64)")
    p.add_argument("--device", default="auto", help="with --model: auto, cpu, cuda, cuda:N, mps")
    add_figure_options(p)
    p.set_defaults(run=_evolution)


def _training_options(parser) -> None:
    defaults = TrainSettings()
    parser.add_argument("--epochs", type=int, default=defaults.epochs,
                        help=f"training epochs (default {defaults.epochs})")
    parser.add_argument("--lr", type=float, default=defaults.lr, help=f"SGD learning rate (default {defaults.lr})")
    parser.add_argument("--seed", type=int, default=defaults.seed, help="initial weights and batch order (default 0)")


def _settings(args, batch_norm: bool = False) -> TrainSettings:
    return TrainSettings(arch=Architecture(batch_norm=batch_norm), epochs=args.epochs, lr=args.lr, seed=args.seed)


def _interpolate(args) -> None:
    check_output_path(args.out)
    settings = _settings(args, args.batch_norm)
    alphas_between(args.points)  # a bad count fails before the training
    ends = [args.epoch_a] + ([args.epoch_b] if args.epoch_b is not None else [])
    with progress_bar("training", "step") as update:
        run = train(settings, keep_epochs=ends, progress=update)
    with progress_bar("loss along the line", "point") as update:
        line = digits_line(run, args.epoch_a, args.epoch_b, args.points, progress=update)
    for name, losses in line.losses.items():
        at = dict(zip(line.alphas, losses))
        print(f"{name} loss: α=0 {at.get(0.0, float('nan')):.4f}, α=1 {at.get(1.0, float('nan')):.4f}, "
              f"highest {max(losses):.4f}")
    print(f"wrote {save_figure(interpolation_figure(line), args.out, dpi=args.dpi)}")


def _batchnorm(args) -> None:
    check_output_path(args.out)
    with progress_bar("training both networks", "step") as update:
        study = batchnorm_study(_settings(args), args.layer, args.step_lr, args.at_epoch, progress=update)
    for name, before in study.before.items():
        moved, spread = channel_shift(before, study.after[name])
        accuracy = study.runs[name].curve.val_accuracy[-1]
        print(f"{name}: mean moved {moved.mean():.3f} std, spread {spread.mean():.3f} std; "
              f"final validation accuracy {accuracy:.3f}")
    print(f"wrote {save_figure(batchnorm_figure(study), args.out, dpi=args.dpi)}")


def _net2net(args) -> None:
    check_output_path(args.out)
    settings = dataclasses.replace(Net2NetSettings(), seeds=tuple(args.seeds), epochs=args.epochs, noise=args.noise)
    with progress_bar("teacher, students, from scratch", "step") as update:
        study = net2net_study(settings, progress=update)
    for kind in ("wider", "deeper"):
        print(f"{kind}: function gap {study.function_gap[kind]['logits']:.1e} (max |Δ logit|); steps to "
              f"{args.target:.0%}: Net2Net {steps_to_target(study.student[kind], args.target)}, "
              f"from scratch {steps_to_target(study.scratch[kind], args.target)}")
    print(f"wrote {save_figure(net2net_figure(study, args.target), args.out, dpi=args.dpi)}")


def _evolution(args) -> None:
    check_output_path(args.out)
    if args.model is None:
        if args.weights:
            raise models.UserError("--weights needs --model (the architecture the checkpoints belong to)")
        with progress_bar("training and rendering", "step") as update:
            found = digits_evolution(_settings(args), args.checkpoints, args.units, args.k, progress=update)
    else:
        found = _own_checkpoints(args)
    print(f"wrote {save_figure(evolution_figure(found), args.out, dpi=args.dpi)}")


def _own_checkpoints(args):
    """A registered architecture at each of the user's checkpoints, on the gallery (or --images)."""
    if not args.weights:
        raise models.UserError("--model needs --weights FILE [FILE ...]: your checkpoints, in training order")
    checkpoints = [(Path(w).name, models.load(args.model, weights=w, device=args.device)) for w in args.weights]
    first = checkpoints[0][1]
    names = args.layers.split(",") if args.layers else [layer.name for layer in first.layers[:2]]
    units = [(first.layer(name.strip()).name, c) for name in names for c in range(args.units)]
    options = dict(size=args.size, steps=args.steps, seed=args.seed)
    with progress_bar("rendering checkpoints", "step") as update:
        return features_over_training(checkpoints, args.images, units, args.k, options, update)
