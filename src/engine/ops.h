// Element-wise and row operations of the forward pass on float vectors (norms, rotary embedding, GELU). They are
// light next to the matrix products, so they are plain loops the compiler vectorizes.
#pragma once

#include <cstdint>

namespace parley::engine::ops {

// out = x / rms(x) * weight (weight may be null for a plain normalization).
void rms_norm(const float* x, const float* weight, int64_t n, float eps, float* out);
// out = (x - mean) / sqrt(var + eps) * weight + bias.
void layer_norm(const float* x, const float* weight, const float* bias, int64_t n, float eps, float* out);

// Rotary position embedding. rope_angles fills cos and sin (n_rot / 2 each) of the angles pos * base^(-2i/n_rot)
// once per position; rope then rotates the first n_rot dimensions of a head vector in place, as adjacent pairs
// (normal) or as pairs i, i + n_rot/2 (neox).
void rope_angles(int n_rot, int pos, float base, float* cos_out, float* sin_out);
void rope(float* head, int n_rot, const float* cos, const float* sin, bool neox);

// In-place GELU (tanh approximation, as BERT models in GGUF use).
void gelu(float* x, int64_t n);

void add(float* y, const float* x, int64_t n);  // y += x
void scale(float* y, float s, int64_t n);        // y *= s

}  // namespace parley::engine::ops
