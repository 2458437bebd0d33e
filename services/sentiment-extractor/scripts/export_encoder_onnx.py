"""Builds an ONNX graph of a sentence-transformers encoder from its safetensors weights, with mean
pooling and L2 normalisation inside the graph, as sentence-transformers computes it. No PyTorch:
the graph is written with `onnx.helper` and the weights read with numpy. Two architectures:

* `bert` (all-MiniLM-L6-v2): absolute positions from 0, token type 0, [CLS] ... [SEP].
* `mpnet` (all-mpnet-base-v2): absolute positions from padding_idx + 1 = 2, no token types, and a
  relative-position bias per head (32 log-spaced buckets, shared by every layer) added to the
  attention scores; <s> ... </s>.

The graph is then checked against an independent numpy forward pass of the same weights, and
against what the model is known to do (paraphrases close, unrelated sentences far).

usage: export_encoder_onnx.py MODEL_DIR OUT.onnx
"""

from __future__ import annotations

import json
import math
import struct
import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

DTYPES = {"F32": np.float32, "I64": np.int64, "F16": np.float16}
# Longest input (in word pieces) the relative-position table of an mpnet graph covers.
MPNET_MAX_TOKENS = 512


def read_safetensors(path: Path) -> dict[str, np.ndarray]:
    data = path.read_bytes()
    (header_len,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + header_len])
    base = 8 + header_len
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        array = np.frombuffer(data[base + start : base + end], dtype=DTYPES[info["dtype"]]).reshape(info["shape"])
        tensors[name] = array.astype(np.float32) if array.dtype == np.float16 else array
    return tensors


class Names:
    """Where each architecture keeps its weights, and its special tokens."""

    def __init__(self, model_type: str) -> None:
        self.model_type = model_type
        if model_type == "bert":
            self.q, self.k, self.v = (f"attention.self.{n}" for n in ("query", "key", "value"))
            self.attn_out, self.attn_ln = "attention.output.dense", "attention.output.LayerNorm"
            self.cls, self.sep = "[CLS]", "[SEP]"
            self.position_offset = 0
        elif model_type == "mpnet":
            self.q, self.k, self.v = (f"attention.attn.{n}" for n in ("q", "k", "v"))
            self.attn_out, self.attn_ln = "attention.attn.o", "attention.LayerNorm"
            self.cls, self.sep = "<s>", "</s>"
            # MPNet numbers the positions of real tokens from padding_idx + 1 = 2.
            self.position_offset = 2
        else:
            raise SystemExit(f"unsupported model_type {model_type} (bert, mpnet)")


def relative_buckets(length: int, num_buckets: int = 32, max_distance: int = 128) -> np.ndarray:
    """MPNet's bucket of each (query, key) pair: exact for |distance| < 8, log-spaced up to 128,
    one half of the buckets for keys before the query and the other for keys after it."""
    context = np.arange(length)[:, None]
    memory = np.arange(length)[None, :]
    n = -(memory - context)
    half = num_buckets // 2
    ret = (n < 0).astype(np.int64) * half
    n = np.abs(n)
    max_exact = half // 2
    with np.errstate(divide="ignore"):
        large = max_exact + (
            np.log(np.maximum(n, 1).astype(np.float32) / max_exact) / math.log(max_distance / max_exact) * (half - max_exact)
        ).astype(np.int64)
    large = np.minimum(large, half - 1)
    return ret + np.where(n < max_exact, n, large)


def position_bias_table(weights: dict[str, np.ndarray], length: int) -> np.ndarray:
    """[heads, length, length] additive attention bias of an mpnet encoder."""
    table = weights["encoder.relative_attention_bias.weight"]  # buckets × heads
    return np.ascontiguousarray(table[relative_buckets(length)].transpose(2, 0, 1)).astype(np.float32)


def build(weights: dict[str, np.ndarray], config: dict) -> onnx.ModelProto:
    names = Names(config["model_type"])
    hidden = config["hidden_size"]
    heads = config["num_attention_heads"]
    head_dim = hidden // heads
    eps = float(config["layer_norm_eps"])
    nodes: list[onnx.NodeProto] = []
    inits: list[onnx.TensorProto] = []

    def const(name: str, array: np.ndarray) -> str:
        inits.append(numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name

    def node(op: str, inputs: list[str], output: str, **attrs) -> str:
        nodes.append(helper.make_node(op, inputs, [output], name=output, **attrs))
        return output

    def linear(x: str, prefix: str, out: str) -> str:
        w = const(f"{prefix}.weight_t", weights[f"{prefix}.weight"].T)
        b = const(f"{prefix}.bias", weights[f"{prefix}.bias"])
        return node("Add", [node("MatMul", [x, w], f"{out}_mm"), b], out)

    def layer_norm(x: str, prefix: str, out: str) -> str:
        g = const(f"{prefix}.weight", weights[f"{prefix}.weight"])
        b = const(f"{prefix}.bias", weights[f"{prefix}.bias"])
        return node("LayerNormalization", [x, g, b], out, axis=-1, epsilon=eps)

    def i64(name: str, values: list[int]) -> str:
        return const(name, np.array(values, dtype=np.int64))

    # Embeddings: word + position (+ token type 0 for BERT: single-segment input), then LayerNorm.
    word = node("Gather", [const("word_embeddings", weights["embeddings.word_embeddings.weight"]), "input_ids"], "emb_word")
    # Position rows offset..offset+S-1: a slice of the position table. (MPNet gives padding the
    # padding position; padding is masked out of attention and pooling, so this changes nothing.)
    seq_len = node("Shape", ["input_ids"], "seq_len", start=1, end=2)
    pos_end = node("Add", [seq_len, i64("pos_offset", [names.position_offset])], "pos_end")
    pos = node("Slice", [const("position_embeddings", weights["embeddings.position_embeddings.weight"]), i64("pos_start", [names.position_offset]), pos_end, i64("axis0_1d", [0])], "emb_pos")
    summed = node("Add", [word, pos], "emb_wp")
    if names.model_type == "bert":
        summed = node("Add", [summed, const("token_type_0", weights["embeddings.token_type_embeddings.weight"][0])], "emb_sum")
    x = layer_norm(summed, "embeddings.LayerNorm", "emb_out")

    # Additive attention mask: 0 where attended, -1e4 where padding; shape [B, 1, 1, S].
    mask_f = node("Cast", ["attention_mask"], "mask_f", to=TensorProto.FLOAT)
    mask_4d = node("Unsqueeze", [mask_f, i64("axes_12", [1, 2])], "mask_4d")
    mask_bias = node("Mul", [node("Sub", [const("one_f", np.array(1.0, dtype=np.float32)), mask_4d], "mask_inv"), const("neg_big", np.array(-10000.0, dtype=np.float32))], "mask_bias")
    if names.model_type == "mpnet":
        # The relative-position bias [1, H, S, S] is the same in every layer: sliced once from a table.
        table = const("position_bias_table", position_bias_table(weights, MPNET_MAX_TOKENS)[None])
        rel = node("Slice", [table, i64("rel_start", [0, 0]), node("Concat", [seq_len, seq_len], "rel_end", axis=0), i64("rel_axes", [2, 3])], "rel_bias")
        mask_bias = node("Add", [mask_bias, rel], "attn_bias")

    split_shape = i64("split_shape", [0, 0, heads, head_dim])
    merge_shape = i64("merge_shape", [0, 0, hidden])
    scale = const("attn_scale", np.array(1.0 / np.sqrt(head_dim), dtype=np.float32))
    sqrt2 = const("sqrt2", np.array(np.sqrt(2.0), dtype=np.float32))
    half = const("half", np.array(0.5, dtype=np.float32))

    for i in range(config["num_hidden_layers"]):
        p = f"encoder.layer.{i}"
        q = node("Transpose", [node("Reshape", [linear(x, f"{p}.{names.q}", f"l{i}_q"), split_shape], f"l{i}_qr")], f"l{i}_qt", perm=[0, 2, 1, 3])
        k = node("Transpose", [node("Reshape", [linear(x, f"{p}.{names.k}", f"l{i}_k"), split_shape], f"l{i}_kr")], f"l{i}_kt", perm=[0, 2, 3, 1])
        v = node("Transpose", [node("Reshape", [linear(x, f"{p}.{names.v}", f"l{i}_v"), split_shape], f"l{i}_vr")], f"l{i}_vt", perm=[0, 2, 1, 3])
        scores = node("Add", [node("Mul", [node("MatMul", [q, k], f"l{i}_qk"), scale], f"l{i}_scaled"), mask_bias], f"l{i}_scores")
        probs = node("Softmax", [scores], f"l{i}_probs", axis=-1)
        context = node("Reshape", [node("Transpose", [node("MatMul", [probs, v], f"l{i}_ctx")], f"l{i}_ctxt", perm=[0, 2, 1, 3]), merge_shape], f"l{i}_ctxm")
        attn = linear(context, f"{p}.{names.attn_out}", f"l{i}_attn")
        x = layer_norm(node("Add", [attn, x], f"l{i}_res1"), f"{p}.{names.attn_ln}", f"l{i}_ln1")
        inter = linear(x, f"{p}.intermediate.dense", f"l{i}_inter")
        # GELU, exact form: 0.5 x (1 + erf(x / sqrt 2)).
        gelu = node("Mul", [node("Mul", [inter, half], f"l{i}_gh"), node("Add", [node("Erf", [node("Div", [inter, sqrt2], f"l{i}_gd")], f"l{i}_ge"), const(f"l{i}_one", np.array(1.0, dtype=np.float32))], f"l{i}_gp")], f"l{i}_gelu")
        out = linear(gelu, f"{p}.output.dense", f"l{i}_out")
        x = layer_norm(node("Add", [out, x], f"l{i}_res2"), f"{p}.output.LayerNorm", f"l{i}_ln2")

    # Mean pooling over attended tokens, then L2 normalisation.
    mask_3d = node("Unsqueeze", [mask_f, i64("axes_2", [2])], "mask_3d")
    summed_tokens = node("ReduceSum", [node("Mul", [x, mask_3d], "masked"), i64("axes_1", [1])], "tok_sum", keepdims=0)
    counts = node("Max", [node("ReduceSum", [mask_3d, i64("axes_1b", [1])], "tok_count", keepdims=0), const("min_count", np.array(1e-9, dtype=np.float32))], "tok_count_safe")
    mean = node("Div", [summed_tokens, counts], "mean_pooled")
    norm = node("Max", [node("ReduceL2", [mean], "l2", axes=[-1], keepdims=1), const("min_norm", np.array(1e-12, dtype=np.float32))], "l2_safe")
    node("Div", [mean, norm], "sentence_embedding")

    graph = helper.make_graph(
        nodes,
        config.get("_name_or_path", names.model_type),
        [
            helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "sequence"]),
            helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "sequence"]),
        ],
        [helper.make_tensor_value_info("sentence_embedding", TensorProto.FLOAT, ["batch", hidden])],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="crypto-predict/sentiment-extractor")
    model.ir_version = 8
    return model


def numpy_forward(weights: dict[str, np.ndarray], config: dict, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """An independent reference: the same network written as plain numpy."""
    from math import erf

    names = Names(config["model_type"])
    hidden = config["hidden_size"]
    heads = config["num_attention_heads"]
    d = hidden // heads
    eps = float(config["layer_norm_eps"])
    verf = np.vectorize(erf)

    def ln(x, p):
        mu = x.mean(-1, keepdims=True)
        var = ((x - mu) ** 2).mean(-1, keepdims=True)
        return (x - mu) / np.sqrt(var + eps) * weights[f"{p}.weight"] + weights[f"{p}.bias"]

    def lin(x, p):
        return x @ weights[f"{p}.weight"].T + weights[f"{p}.bias"]

    b, s = ids.shape
    if names.model_type == "bert":
        positions = np.broadcast_to(np.arange(s), (b, s))
        x = weights["embeddings.word_embeddings.weight"][ids] + weights["embeddings.position_embeddings.weight"][positions] + weights["embeddings.token_type_embeddings.weight"][0]
        position_bias = np.zeros((1, heads, s, s), dtype=np.float32)
    else:
        # As the reference implementation numbers them: cumulative count of non-padding tokens + padding_idx.
        padding = config.get("pad_token_id", 1)
        real = (ids != padding).astype(np.int64)
        positions = np.cumsum(real, axis=1) * real + padding
        x = weights["embeddings.word_embeddings.weight"][ids] + weights["embeddings.position_embeddings.weight"][positions]
        # Bucketing written out per pair, independently of relative_buckets().
        table = weights["encoder.relative_attention_bias.weight"]
        position_bias = np.zeros((1, heads, s, s), dtype=np.float32)
        for qi in range(s):
            for ki in range(s):
                n = qi - ki
                bucket = 16 if n < 0 else 0
                n = abs(n)
                if n < 8:
                    bucket += n
                else:
                    bucket += min(15, 8 + int(math.log(n / 8) / math.log(128 / 8) * 8))
                position_bias[0, :, qi, ki] = table[bucket]
    x = ln(x, "embeddings.LayerNorm")
    bias = (1.0 - mask[:, None, None, :].astype(np.float32)) * -10000.0 + position_bias
    for i in range(config["num_hidden_layers"]):
        p = f"encoder.layer.{i}"
        q = lin(x, f"{p}.{names.q}").reshape(b, s, heads, d).transpose(0, 2, 1, 3)
        k = lin(x, f"{p}.{names.k}").reshape(b, s, heads, d).transpose(0, 2, 1, 3)
        v = lin(x, f"{p}.{names.v}").reshape(b, s, heads, d).transpose(0, 2, 1, 3)
        sc = q @ k.transpose(0, 1, 3, 2) / np.sqrt(d) + bias
        sc = np.exp(sc - sc.max(-1, keepdims=True))
        pr = sc / sc.sum(-1, keepdims=True)
        ctx = (pr @ v).transpose(0, 2, 1, 3).reshape(b, s, hidden)
        x = ln(lin(ctx, f"{p}.{names.attn_out}") + x, f"{p}.{names.attn_ln}")
        h = lin(x, f"{p}.intermediate.dense")
        h = 0.5 * h * (1.0 + verf(h / np.sqrt(2.0)))
        x = ln(lin(h, f"{p}.output.dense") + x, f"{p}.output.LayerNorm")
    m = mask[:, :, None].astype(np.float32)
    mean = (x * m).sum(1) / np.maximum(m.sum(1), 1e-9)
    return mean / np.maximum(np.linalg.norm(mean, axis=-1, keepdims=True), 1e-12)


def main() -> None:
    model_dir, out = Path(sys.argv[1]), Path(sys.argv[2])
    config = json.loads((model_dir / "config.json").read_text())
    names = Names(config["model_type"])
    weights = read_safetensors(model_dir / "model.safetensors")
    model = build(weights, config)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".onnx.tmp")
    # Saved before the check: a graph over 2 GB could only be checked from its file.
    onnx.save(model, str(tmp))
    onnx.checker.check_model(str(tmp))

    # Check the graph against the numpy reference on a padded batch (token ids from vocab.txt),
    # padding with the model's own padding id.
    vocab = {token: i for i, token in enumerate((model_dir / "vocab.txt").read_text(encoding="utf-8").split("\n"))}
    pad_id = config.get("pad_token_id", 0)
    sentences = [["a", "man", "is", "eating", "food", "."], ["a", "man", "is", "eating", "a", "piece", "of", "bread", "."], ["the", "stock", "market", "fell", "sharply", "today", "."]]
    length = max(len(s) for s in sentences) + 2
    ids = np.full((len(sentences), length), pad_id, dtype=np.int64)
    mask = np.zeros_like(ids)
    for row, words in enumerate(sentences):
        tokens = [vocab[names.cls], *(vocab[w] for w in words), vocab[names.sep]]
        ids[row, : len(tokens)] = tokens
        mask[row, : len(tokens)] = 1
    reference = numpy_forward(weights, config, ids, mask)
    try:
        import onnxruntime as ort
    except ImportError:
        ort = None
    if ort is not None:
        session = ort.InferenceSession(str(tmp), providers=["CPUExecutionProvider"])
        got = session.run(["sentence_embedding"], {"input_ids": ids, "attention_mask": mask})[0]
        diff = float(np.abs(got - reference).max())
        print(f"onnx vs numpy reference: max abs diff {diff:.2e}")
        if diff > 1e-4:
            raise SystemExit(f"ONNX graph disagrees with the numpy reference (max abs diff {diff})")
    similar = float(reference[0] @ reference[1])
    unrelated = float(reference[0] @ reference[2])
    print(f"cosine(paraphrase) {similar:.3f}, cosine(unrelated) {unrelated:.3f}")
    if not (similar > 0.6 and unrelated < 0.3):
        raise SystemExit("embeddings do not behave like a sentence encoder (paraphrases should be close)")
    tmp.replace(out)
    print(f"wrote {out} ({out.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
