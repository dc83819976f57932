"""The Unit page's statistics over an image set given as a list of files (what the app's folder chooser passes)."""

from __future__ import annotations

from viz.core.images import gallery_dir, image_files
from viz.views.unit_card import statistics


def test_statistics_over_a_list_of_files_equal_those_over_their_folder(lite0):
    files = image_files(gallery_dir())
    over_folder = statistics(lite0, gallery_dir(), "_blocks.1", 3)
    assert statistics(lite0, files, "_blocks.1", 3) == over_folder
    assert over_folder["images"] == len(files)
    fewer = statistics(lite0, files[:2], "_blocks.1", 3)
    assert fewer["images"] == 2 and fewer["strongest activation"] <= over_folder["strongest activation"]
