"""The atlas on disk: `DIR/<layer>/<channel>.png`, `DIR/atlas.json` and `DIR/index.html` (browses offline).

Each PNG carries its unit's cache key and final objective in its text chunks, so a rerun knows which files
are done for these settings (and redoes stale ones), and the index is built from the files themselves.
"""

from __future__ import annotations

import html
import io
import json
from pathlib import Path

from PIL import Image, PngImagePlugin

from ..core.files import write_atomic
from ..core.images import to_pil
from ..actmax.per_unit import UnitPicture

KEY = "viz-unit-key"


def unit_file(out: Path, layer: str, channel: int) -> Path:
    return out / layer / f"{channel}.png"


def write_unit(out: Path, picture: UnitPicture, key: str) -> Path:
    """The unit's picture as a PNG, with its key, layer, channel, tier and final objective as text."""
    info = PngImagePlugin.PngInfo()
    for name, value in ((KEY, key), ("layer", picture.layer), ("channel", picture.channel),
                        ("tier", picture.tier), ("objective", repr(picture.objective))):
        info.add_text(name, str(value))
    buffer = io.BytesIO()
    to_pil(picture.image).save(buffer, format="PNG", pnginfo=info)
    path = unit_file(out, picture.layer, picture.channel)
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_atomic(path, buffer.getvalue())


def read_unit(path: Path) -> dict | None:
    """The text a unit PNG carries, or None when the file is missing or unreadable."""
    try:
        with Image.open(path) as image:
            return dict(image.text)
    except (OSError, ValueError, SyntaxError):
        return None


def is_done(out: Path, layer: str, channel: int, key: str) -> bool:
    """The unit's PNG exists and was rendered with these settings (same key)."""
    found = read_unit(unit_file(out, layer, channel))
    return found is not None and found.get(KEY) == key


def write_index(out: Path, header: dict, units: list[tuple[str, int]]) -> dict:
    """atlas.json and index.html from the unit PNGs present; returns the atlas record."""
    entries = []
    for layer, channel in units:
        found = read_unit(unit_file(out, layer, channel))
        if found is not None:
            entries.append({"layer": layer, "channel": channel, "tier": found.get("tier"),
                            "file": f"{layer}/{channel}.png", "objective": float(found.get("objective", "nan"))})
    record = {**header, "units": entries}
    write_atomic(out / "atlas.json", json.dumps(record, indent=1).encode())
    write_atomic(out / "index.html", _PAGE.replace("__TITLE__", html.escape(header.get("model", "atlas")))
                 .replace("__DATA__", json.dumps(record).replace("</", "<\\/")).encode())
    return record


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Atlas of __TITLE__</title>
<style>
body{font-family:system-ui,sans-serif;margin:0;display:flex;height:100vh}
nav{width:16rem;overflow:auto;border-right:1px solid #ccc;padding:.5rem}
nav button{display:block;width:100%;text-align:left;border:0;background:none;padding:.25rem;cursor:pointer}
nav button.on{background:#dde6ff} main{flex:1;overflow:auto;padding:.5rem}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(128px,1fr));gap:6px}
figure{margin:0} img{width:100%;image-rendering:auto} figcaption{font-size:.75rem;color:#444}
#big{position:fixed;inset:0;background:#000c;display:none;align-items:center;justify-content:center}
#big img{width:auto;height:80vh} #big p{color:#fff}
</style></head><body>
<nav><h3>Atlas of __TITLE__</h3><label>Tier <select id="tier"><option value="">all</option></select></label>
<div id="layers"></div></nav>
<main><h2 id="title"></h2><p id="note"></p><div class="grid" id="grid"></div></main>
<div id="big" onclick="this.style.display='none'"><div><img id="bigimg" alt=""><p id="bigcap"></p></div></div>
<script>
const atlas = __DATA__;
const layers = [...new Map(atlas.units.map(u => [u.layer, u.tier])).entries()];
const tiers = [...new Set(layers.map(l => l[1]))];
const tierSelect = document.getElementById("tier");
tiers.forEach(t => tierSelect.add(new Option(t, t)));
let current = layers.length ? layers[0][0] : null;
function show() {
  const nav = document.getElementById("layers"); nav.innerHTML = "";
  layers.filter(l => !tierSelect.value || l[1] === tierSelect.value).forEach(([name, tier]) => {
    const b = document.createElement("button"); b.textContent = name + " (" + tier + ")";
    b.className = name === current ? "on" : ""; b.onclick = () => { current = name; show(); }; nav.appendChild(b);
  });
  const units = atlas.units.filter(u => u.layer === current);
  document.getElementById("title").textContent = current + (units.length ? " \\u00b7 " + units[0].tier : "");
  document.getElementById("note").textContent = units.length + " units; " + atlas.model + ", " +
    atlas.settings.size + " px, " + atlas.settings.steps + " steps, seed " + atlas.settings.seed;
  const grid = document.getElementById("grid"); grid.innerHTML = "";
  units.forEach(u => {
    const f = document.createElement("figure"), img = new Image(), cap = document.createElement("figcaption");
    img.src = encodeURI(u.file); img.loading = "lazy"; img.alt = u.layer + " unit " + u.channel;
    cap.textContent = "unit " + u.channel + " \\u00b7 " + u.objective.toFixed(2);
    f.onclick = () => { document.getElementById("bigimg").src = img.src;
      document.getElementById("bigcap").textContent = u.layer + " unit " + u.channel + " (" + u.tier +
        "), objective " + u.objective.toFixed(3); document.getElementById("big").style.display = "flex"; };
    f.append(img, cap); grid.appendChild(f);
  });
}
tierSelect.onchange = show; show();
</script></body></html>
"""
