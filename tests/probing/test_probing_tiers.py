"""Which layer shows each tier of Figure 1.2: the structural choice (whole fields) and the probe's."""

from __future__ import annotations

import viz
from viz.core.receptive_field import sees_whole_field
from viz.probing.tiers import HIDDEN_TIERS, choose_tiers, default_layer, whole_field_layers


def test_each_tier_gets_its_deepest_layer_whose_units_see_their_whole_field(lite0):
    chosen = whole_field_layers(lite0)
    assert chosen == {"edges": "_blocks.1", "contours": "_blocks.4", "parts": "_blocks.7"}
    assert list(chosen) == list(HIDDEN_TIERS)
    for tier, layer in chosen.items():
        deeper = [entry.name for entry in lite0.tier_layers(tier)]
        deeper = deeper[deeper.index(layer) + 1:]
        assert sees_whole_field(lite0, layer) and not any(sees_whole_field(lite0, name) for name in deeper)
    assert default_layer(lite0) == "_blocks.4"  # the Atlas and Unit pages open on the landing's contours


def test_the_parts_row_is_the_first_parts_layer_where_curves_outnumber_edges(lite0):
    choice = choose_tiers(lite0)
    parts = [layer.name for layer in lite0.layers if layer.tier == "parts"]
    verdicts = viz.probe(lite0, parts)
    tags = {name: verdicts[name].tags() for name in parts}
    curved = [name for name in parts if tags[name].count("curve") > tags[name].count("edge")]
    assert choice.layers == {"edges": "_blocks.1", "contours": "_blocks.4", "parts": curved[0]}
    assert curved[0] == "_blocks.8"  # _blocks.7 is still mostly edge-tagged
    assert "first parts layer where curve-tagged units outnumber edge-tagged ones" in choice.reasons["parts"]
    assert "`_blocks.7` before it is still 62% edge" in choice.reasons["parts"]
    assert "11 px" in choice.reasons["edges"] and "67 px" in choice.reasons["contours"]
