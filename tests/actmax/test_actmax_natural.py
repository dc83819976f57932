"""The natural preset (MACO): the magnitude stays the natural one, the transparency map, bad input, the spectrum."""

import pytest
import torch

import viz
from models.errors import UserError
from viz.actmax.natural import load_spectrum, natural_spectrum
from viz.actmax import param as P
from viz.actmax.param import maco_image
from viz.actmax.rendering import opacity
from viz.actmax.settings import resolve
from viz.core.figures import on_background
from viz.core.images import gallery_dir

SMALL = dict(size=32, steps=4, cache=False)


def _magnitude_ratio(spatial: torch.Tensor, size: int) -> torch.Tensor:
    """|spectrum| of the picture before its colour mixing and sigmoid over the natural one, on the columns
    that a real FFT keeps free (its first and Nyquist columns are self-conjugate)."""
    measured = torch.fft.rfft2(spatial.double(), norm="ortho").abs()
    return (measured / load_spectrum(size).double())[..., 1:-1]


def test_the_magnitude_stays_the_natural_one_while_the_phase_is_optimized(monkeypatch):
    # the picture before the squash (a float32 sigmoid saturates, so it cannot be inverted exactly)
    monkeypatch.setattr(P, "to_valid_rgb", lambda t, decorrelate=True: t)
    size = 32
    params, image_fn = maco_image(2, size, generator=torch.Generator().manual_seed(0), device="cpu")
    assert len(params) == 1 and params[0].shape == (2, 3, size, size // 2 + 1)  # the phase only
    target = torch.rand(2, 3, size, size, generator=torch.Generator().manual_seed(1))
    optimizer = torch.optim.NAdam(params, lr=1.0)
    first = image_fn().detach()
    for _ in range(5):
        optimizer.zero_grad()
        (-(torch.sigmoid(image_fn()) * target).mean()).backward()
        optimizer.step()
    last = image_fn().detach()
    assert (last - first).abs().max() > 0.5  # the picture did change
    for image in (first, last):
        ratio = _magnitude_ratio(image, size).flatten(1)
        # one constant per picture (the standardization's scale): the shape of the spectrum is the natural one
        assert (ratio.std(dim=1) / ratio.mean(dim=1)).max() < 1e-3


def test_the_shipped_spectrum_is_a_photo_spectrum():
    spectrum = load_spectrum(64)
    assert spectrum.shape == (3, 64, 33) and torch.isfinite(spectrum).all() and (spectrum >= 0).all()
    low, high = spectrum[:, 1:4, 1:4].mean(), spectrum[:, 28:36, 28:].mean()
    assert low > 20 * high  # energy falls with frequency, as in photos (roughly 1/f)


def test_natural_spectrum_from_a_folder(tmp_path):
    (tmp_path / "a.png").write_bytes((gallery_dir() / "chelsea.png").read_bytes())
    one = natural_spectrum(tmp_path, size=32)
    assert one.shape == (3, 32, 17)
    (tmp_path / "empty").mkdir()
    with pytest.raises(UserError, match="no photos"):
        natural_spectrum(tmp_path / "empty", size=32)


def test_natural_render_returns_a_transparency_map_in_0_1(lite0):
    found = viz.render(lite0, [("_blocks.3", 0), ("_blocks.3", 5)], preset="natural", **SMALL)
    assert found.images.shape == (2, 3, 32, 32)
    alpha = found.transparency
    assert alpha.shape == (2, 1, 32, 32) and alpha.min() >= 0 and alpha.max() <= 1
    assert (alpha == 1).float().mean() > 0.1 and (alpha < 1).float().mean() > 0.5  # the top 20% are opaque
    assert viz.render(lite0, [("_blocks.3", 0)], preset="standard", **SMALL).transparency is None


def test_opacity_is_the_channel_mean_clipped_at_its_80th_percentile():
    attribution = torch.arange(10.0).view(1, 1, 1, 10).repeat(1, 3, 1, 1)
    clip = torch.quantile(torch.arange(10.0), 0.8)
    assert torch.allclose(opacity(attribution), (torch.arange(10.0) / clip).clamp(max=1).view(1, 1, 1, 10))
    assert opacity(torch.zeros(1, 3, 2, 2)).eq(0).all()  # no gradient: transparent, not nan


def test_on_background_keeps_opaque_pixels_and_shows_the_checker_through_transparent_ones():
    images = torch.zeros(1, 3, 16, 16)
    alpha = torch.zeros(1, 1, 16, 16)
    alpha[..., :8] = 1
    drawn = on_background(images, alpha, "checker", square=4)
    assert drawn[..., :8].eq(0).all() and torch.allclose(drawn[0, 0, :, 8:].unique(), torch.tensor([0.8, 1.0]))
    assert on_background(images, alpha, "white")[..., 8:].eq(1).all()
    with pytest.raises(UserError, match="checker"):
        on_background(images, alpha, "pink")


def test_bad_units_and_settings_are_user_errors(lite0):
    with pytest.raises(UserError, match="out of range"):
        viz.render(lite0, [("_blocks.3", 999)], preset="natural", **SMALL)
    with pytest.raises(UserError, match="no visualizable layer"):
        viz.render(lite0, [("_blocks.99", 0)], preset="natural", **SMALL)
    with pytest.raises(UserError, match="transparency"):
        resolve("natural", field=True)


def test_the_spectrum_command_writes_what_natural_spectrum_computes(tmp_path):
    import numpy as np

    from viz.cli import main

    (tmp_path / "photos").mkdir()
    (tmp_path / "photos" / "a.png").write_bytes((gallery_dir() / "coffee.png").read_bytes())
    out = tmp_path / "s.npy"
    assert main(["spectrum", str(tmp_path / "photos"), "--size", "32", "--out", str(out)]) == 0
    written = torch.from_numpy(np.load(out).astype(np.float32))
    assert torch.allclose(written, natural_spectrum(tmp_path / "photos", size=32), rtol=1e-3, atol=1e-3)
    assert main(["spectrum", "--out", str(tmp_path / "s.txt")]) == 2


def test_the_shipped_spectrum_is_the_gallery_s_as_its_docstring_says():
    import numpy as np

    from viz.actmax.natural import SHIPPED

    shipped = torch.from_numpy(np.load(SHIPPED).astype(np.float32))
    assert torch.allclose(shipped, natural_spectrum().half().float())


def test_plausibility_is_the_mean_cosine_similarity_of_deep_features(lite0):
    from viz.metrics.plausibility import deep_features, plausibility, top_patches

    patches = top_patches(lite0, None, "_blocks.7", 50, k=3)
    assert patches.shape == (3, 3, 224, 224)
    features = deep_features(lite0, patches)
    assert features.shape == (3, 1280)
    expected = torch.nn.functional.cosine_similarity(features[:1], features).mean()
    assert plausibility(lite0, patches[:1], [patches])[0] == pytest.approx(float(expected), abs=1e-5)
    assert plausibility(lite0, patches[:1], [patches[:1]])[0] == pytest.approx(1.0, abs=1e-5)  # itself
