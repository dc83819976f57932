"""The CLI on a models file's 32-px network (--models-file) and on timm/resnet18 untrained; bad files warn."""

from __future__ import annotations

import json
import shutil

from PIL import Image
from support.user_models import cifar_models_file, write_models_file

from viz.cli import main
from viz.core.images import gallery_dir

PNG = b"\x89PNG\r\n\x1a\n"


def _photos(folder, names=("chelsea.png", "coffee.png", "rocket.jpg")):
    folder.mkdir()
    for name in names:
        shutil.copy(gallery_dir() / name, folder / name)
    return folder


def test_a_32px_network_from_a_models_file_lists_renders_projects_and_occludes(tmp_path, capsys):
    path, _ = cifar_models_file(tmp_path)
    given = ["--models-file", str(path), "--model", "cifar_net", "--device", "cpu"]
    assert main(["models", "--models-file", str(path)]) == 0
    assert f"cifar_net            from {path}" in capsys.readouterr().out
    assert main(["layers", "cifar_net", "--models-file", str(path)]) == 0
    assert "features.0       edges     32" in capsys.readouterr().out

    out = tmp_path / "field.png"
    assert main(["render", *given, "--layer", "features.5", "--channels", "0-1", "--field", "--steps", "3",
                 "--no-cache", "--out", str(out)]) == 0
    sidecar = json.loads((tmp_path / "field.png.json").read_text())
    assert sidecar["model"] == "cifar_net" and sidecar["tier"] == "contours" and sidecar["settings"]["field"]
    assert out.read_bytes()[:8] == PNG
    again = tmp_path / "again.png"
    assert main(["reproduce", str(tmp_path / "field.png.json"), "--models-file", str(path), "--no-cache",
                 "--out", str(again)]) == 0
    assert again.read_bytes() == out.read_bytes()

    out = tmp_path / "fig2.png"
    assert main(["deconv", *given, "--layer", "features.8", "--channels", "0-1", "--k", "3",
                 "--images", str(_photos(tmp_path / "photos")), "--out", str(out)]) == 0
    assert "deconvnet projection through features.8: exact" in capsys.readouterr().out  # ReLU and max-pool modules
    assert Image.open(out).size[0] > 200

    out = tmp_path / "occ.png"
    assert main(["occlusion", str(gallery_dir() / "chelsea.png"), *given, "--out", str(out)]) == 0
    assert capsys.readouterr().out.split(":")[0] in ("airplane automobile bird cat deer dog frog horse ship truck".split())


def test_without_its_file_the_name_is_unknown_and_a_bad_file_is_a_warning(tmp_path, capsys):
    assert main(["classify", str(gallery_dir() / "coffee.png"), "--model", "cifar_net"]) == 2
    assert "unknown model 'cifar_net'" in capsys.readouterr().err
    broken = write_models_file(tmp_path, "broken.py", "import no_such_module\n")
    assert main(["models", "--models-file", str(broken)]) == 0
    captured = capsys.readouterr()
    assert captured.err.strip() == (f"warning: models file {broken}: cannot import it (ModuleNotFoundError: No module "
                                    "named 'no_such_module')")
    assert captured.out.startswith("efficientnet_lite0") and "timm/NAME" in captured.out


def test_timm_resnet18_untrained_renders_and_projects(tmp_path, capsys):
    given = ["--model", "timm/resnet18", "--weights", "none", "--device", "cpu"]
    out = tmp_path / "render.png"
    assert main(["render", *given, "--layer", "layer2", "--channels", "0-1", "--size", "32", "--steps", "3",
                 "--no-cache", "--out", str(out)]) == 0
    assert json.loads((tmp_path / "render.png.json").read_text())["model"] == "timm/resnet18"
    out = tmp_path / "fig2.png"
    assert main(["deconv", *given, "--layer", "layer1", "--channels", "0", "--k", "2",
                 "--images", str(_photos(tmp_path / "photos", ("chelsea.png", "coffee.png"))), "--out", str(out)]) == 0
    assert "deconvnet projection through layer1" in capsys.readouterr().out
    assert out.read_bytes()[:8] == PNG
