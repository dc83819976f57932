"""An image set to search (the Unit page's Figure 2): the bundled gallery, a folder on the server, or uploads.

A folder is typed in a browser but read on the server, so it goes through `viz.serving.roots` (only inside the
folders the server's owner allowed in $VIZ_IMAGE_ROOTS, one message for missing and forbidden), and so does
every file found in it (a link to elsewhere is left out). The app reads at most FOLDER_LIMIT images of a folder
and UPLOAD_LIMIT uploaded photos per set, so one session cannot hold the server for an hour; each upload's size
is bounded by `server.maxUploadSize` (.streamlit/config.toml). The CLI reads any folder in full.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import streamlit as st

from models.errors import UserError
from ui.pickers import UPLOAD_TYPES
from viz.core.images import IMAGE_SUFFIXES, image_files
from viz.serving.roots import ENV, inside_roots, resolve_inside_roots
from viz.views import unit_card

SOURCES = ["bundled gallery", "a folder", "uploaded photos"]
FOLDER_LIMIT = 1000  # images of a typed folder the app sweeps (its first, in name order); the CLI has no limit
UPLOAD_LIMIT = 64  # uploaded photos per set, each at most server.maxUploadSize MB


def folder_images(typed: str) -> tuple[list[Path], bool]:
    """The image files of the folder `typed` names, inside the allowed roots; and whether FOLDER_LIMIT cut them.

    Raises viz.serving.roots.FolderRefused (missing or forbidden, one message) or UserError (no images).
    """
    folder = resolve_inside_roots(typed)
    found = itertools.islice((p for p in image_files(folder) if inside_roots(p)), FOLDER_LIMIT + 1)
    files = list(found)
    if not files:
        raise UserError(f"that folder holds no images (looked for {', '.join(IMAGE_SUFFIXES)})")
    return files[:FOLDER_LIMIT], len(files) > FOLDER_LIMIT


def choose_image_set(key: str):
    """The set the user picks: None (the gallery), a list of image files, or a batch of uploaded photos.

    Raises UserError (a refused or empty folder, too many or unreadable uploads) for the page to show.
    """
    source = st.radio("Image set", SOURCES, horizontal=True, key=f"{key}_set")
    if source == "a folder":
        typed = st.text_input("Folder on the server", key=f"{key}_folder",
                              placeholder="a folder the person running this app allowed",
                              help=f"Only folders inside the ones listed in {ENV} when the app was started "
                                   "(by default the bundled gallery). At most "
                                   f"{FOLDER_LIMIT} images of it are searched.")
        if not typed.strip():
            return None
        files, cut = folder_images(typed)
        if cut:
            st.caption(f"Searching the first {FOLDER_LIMIT} images of the folder (by name); "
                       "`python -m viz deconv --images FOLDER` reads them all.")
        return files
    if source == "uploaded photos":
        uploads = st.file_uploader(f"Photos (up to {UPLOAD_LIMIT})", type=UPLOAD_TYPES, accept_multiple_files=True,
                                   key=f"{key}_files")
        if len(uploads) > UPLOAD_LIMIT:
            raise UserError(f"{len(uploads)} photos uploaded; a set holds at most {UPLOAD_LIMIT}: remove some")
        return unit_card.load_set([f.getvalue() for f in uploads]) if uploads else None
    return None
