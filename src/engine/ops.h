// Element-wise and row operations of the forward pass on float vectors (norms, rotary embedding, activations,
// softmax). They are light next to the matrix products, so they are plain loops the compiler vectorizes.
#pragma once

#include <cstdint>

namespace parley::engine::ops {

// out = x / rms(x) * weight (weight may be null for a plain normalization).
void rms_norm(const float* x, const float* weight, int64_t n, float eps, float* out);
// out = (x - mean) / sqrt(var + eps) * weight + bias.
void layer_norm(const float* x, const float* weight, const float* bias, int64_t n, float eps, float* out);

// Rotary position embedding of one head vector in place: the first n_rot dimensions are rotated by angles
// pos * base^(-2i/n_rot), as adjacent pairs (normal) or as pairs i, i + n_rot/2 (neox).
void rope(float* head, int n_rot, int pos, float base, bool neox);

// In-place softmax over n values; returns nothing, the sum is normalised to one.
void softmax(float* x, int64_t n);

// out[i] = silu(gate[i]) * up[i].
void silu_mul(const float* gate, const float* up, int64_t n, float* out);
// In-place GELU (tanh approximation, as BERT models in GGUF use).
void gelu(float* x, int64_t n);

void add(float* y, const float* x, int64_t n);  // y += x
void scale(float* y, float s, int64_t n);        // y *= s

}  // namespace parley::engine::ops
