#include "engine/kv-cache.h"

#include <algorithm>

namespace parley::engine {

KvCache::KvCache(int n_layer, int n_kv_heads, int head_dim, int n_blocks)
    : n_layer_(n_layer),
      n_kv_heads_(static_cast<std::size_t>(n_kv_heads)),
      head_dim_(static_cast<std::size_t>(head_dim)),
      kv_dim_(static_cast<std::size_t>(n_kv_heads) * static_cast<std::size_t>(head_dim)),
      n_blocks_(n_blocks),
      values_offset_(bytes_per_block(n_layer, n_kv_heads * head_dim) / sizeof(uint16_t) / 2 * static_cast<std::size_t>(n_blocks)),
      storage_(2 * values_offset_),
      blocks_(static_cast<std::size_t>(n_blocks)) {
  free_.reserve(static_cast<std::size_t>(n_blocks));
  // Hand out low block numbers first (purely cosmetic: keeps the pool's touched memory compact).
  for (int32_t b = n_blocks - 1; b >= 0; --b) free_.push_back(b);
}

void KvCache::store(int32_t block, int layer, int slot, const uint16_t* key, const uint16_t* value) {
  for (std::size_t head = 0; head < n_kv_heads_; ++head) {
    uint16_t* keys = storage_.data() + head_offset(block, layer, static_cast<int>(head));
    const uint16_t* head_key = key + head * head_dim_;
    for (std::size_t d = 0; d < head_dim_; ++d) keys[d * kBlockTokens + static_cast<std::size_t>(slot)] = head_key[d];
    std::copy(value + head * head_dim_, value + (head + 1) * head_dim_,
              keys + values_offset_ + static_cast<std::size_t>(slot) * head_dim_);
  }
}

std::optional<int32_t> KvCache::allocate() {
  int32_t block;
  if (!free_.empty()) {
    block = free_.back();
    free_.pop_back();
  } else if (!evictable_.empty()) {
    block = evictable_.front();
    evictable_.pop_front();
    unpublish(block);
  } else {
    return std::nullopt;
  }
  blocks_[static_cast<std::size_t>(block)].refs = 1;
  return block;
}

void KvCache::retain(int32_t block) {
  auto& state = blocks_[static_cast<std::size_t>(block)];
  if (state.refs == 0 && state.published) evictable_.erase(state.lru);
  ++state.refs;
}

void KvCache::release(int32_t block) {
  auto& state = blocks_[static_cast<std::size_t>(block)];
  if (state.refs <= 0) return;
  if (--state.refs > 0) return;
  if (state.published) {
    state.lru = evictable_.insert(evictable_.end(), block);
  } else {
    free_.push_back(block);
  }
}

uint64_t KvCache::prefix_hash(uint64_t parent, std::span<const int32_t> tokens) {
  // FNV-1a over the parent id and the tokens; collisions are resolved by comparing keys exactly.
  uint64_t hash = 1469598103934665603ull;
  auto mix = [&hash](uint64_t value, int bytes) {
    for (int i = 0; i < bytes; ++i) {
      hash ^= (value >> (8 * i)) & 0xffu;
      hash *= 1099511628211ull;
    }
  };
  mix(parent, 8);
  for (const int32_t token : tokens) mix(static_cast<uint32_t>(token), 4);
  return hash;
}

int32_t KvCache::find(uint64_t parent, std::span<const int32_t> tokens, uint64_t hash) const {
  const auto [first, last] = index_.equal_range(hash);
  for (auto it = first; it != last; ++it) {
    const auto& state = blocks_[static_cast<std::size_t>(it->second)];
    if (state.parent == parent && std::equal(tokens.begin(), tokens.end(), state.tokens.begin())) return it->second;
  }
  return -1;
}

uint64_t KvCache::publish(int32_t block, uint64_t parent, std::span<const int32_t> tokens) {
  auto& state = blocks_[static_cast<std::size_t>(block)];
  if (state.published) return state.id;
  const uint64_t hash = prefix_hash(parent, tokens);
  if (const int32_t existing = find(parent, tokens, hash); existing >= 0) {
    return blocks_[static_cast<std::size_t>(existing)].id;
  }
  state.published = true;
  state.parent = parent;
  state.id = next_prefix_id_++;
  state.hash = hash;
  state.tokens.assign(tokens.begin(), tokens.end());
  index_.emplace(hash, block);
  return state.id;
}

std::optional<KvCache::CachedBlock> KvCache::lookup(uint64_t parent, std::span<const int32_t> tokens) {
  if (static_cast<int>(tokens.size()) != kBlockTokens) return std::nullopt;
  const int32_t block = find(parent, tokens, prefix_hash(parent, tokens));
  if (block < 0) return std::nullopt;
  retain(block);
  return CachedBlock{block, blocks_[static_cast<std::size_t>(block)].id};
}

void KvCache::unpublish(int32_t block) {
  auto& state = blocks_[static_cast<std::size_t>(block)];
  const auto [first, last] = index_.equal_range(state.hash);
  for (auto it = first; it != last; ++it) {
    if (it->second == block) {
      index_.erase(it);
      break;
    }
  }
  state.published = false;
  state.tokens.clear();
}

}  // namespace parley::engine
