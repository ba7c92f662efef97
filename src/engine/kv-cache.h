// The key/value cache: a fixed pool of blocks of kBlockTokens positions (f16 keys and values for every layer),
// handed to sequences on demand and reference-counted so sequences can share blocks. Full blocks can be published
// under their token prefix; a later sequence starting with the same tokens reuses them instead of recomputing
// (prompt-prefix cache). Released published blocks stay reusable until the pool needs them (least recently used
// first). Not thread-safe: the scheduler thread owns it.
#pragma once

#include <cstdint>
#include <list>
#include <optional>
#include <span>
#include <unordered_map>
#include <vector>

#include "engine/kernels/kernels.h"

namespace parley::engine {

// Layout of one block in one layer (what the attention kernel reads):
// - keys transposed per key/value head: [head][dimension][position], so the scores of all kBlockTokens positions
//   come from vector operations over positions without horizontal sums;
// - values as rows: [position][head][dimension].
class KvCache {
 public:
  static constexpr int kBlockTokens = kernels::kAttendBlock;

  KvCache(int n_layer, int n_kv_heads, int head_dim, int n_blocks);

  int n_blocks() const { return n_blocks_; }
  std::size_t bytes() const { return storage_.size() * sizeof(uint16_t); }
  static std::size_t bytes_per_block(int n_layer, int kv_dim) {
    return static_cast<std::size_t>(n_layer) * 2 * kBlockTokens * static_cast<std::size_t>(kv_dim) * sizeof(uint16_t);
  }

  // Stores the key and value (kv_dim f16 values each, heads one after another) of position `slot` of `block`.
  void store(int32_t block, int layer, int slot, const uint16_t* key, const uint16_t* value);
  // The transposed keys of key/value head `head` ([head_dim][kBlockTokens]) and the value rows (kv_dim apart,
  // starting at this head's part) of `block` in `layer`.
  const uint16_t* keys(int32_t block, int layer, int head) const {
    return storage_.data() + layer_offset(block, layer) + static_cast<std::size_t>(head) * head_dim_ * kBlockTokens;
  }
  const uint16_t* values(int32_t block, int layer, int head) const {
    return storage_.data() + layer_offset(block, layer) + kv_dim_ * kBlockTokens + static_cast<std::size_t>(head) * head_dim_;
  }
  std::size_t value_stride() const { return kv_dim_; }

  // Blocks that allocate() can hand out: free ones plus released published ones (which it would evict).
  int available() const { return static_cast<int>(free_.size() + evictable_.size()); }
  // A block with reference count 1, or nothing when the pool is exhausted.
  std::optional<int32_t> allocate();
  void retain(int32_t block);
  // Drops one reference; at zero the block becomes free (or evictable, when published).
  void release(int32_t block);
  int ref_count(int32_t block) const { return blocks_[static_cast<std::size_t>(block)].refs; }

  // A prefix is named by the id of its last published block (kRootPrefix for the empty prefix). Ids are never
  // reused, so blocks published on top of an evicted block can never be matched by a different prefix.
  static constexpr uint64_t kRootPrefix = 0;

  // Publishes a full block whose positions hold `tokens` (kBlockTokens of them) after prefix `parent`; returns the
  // id naming the extended prefix (that of an identical block published earlier, if any, which is kept instead).
  uint64_t publish(int32_t block, uint64_t parent, std::span<const int32_t> tokens);

  struct CachedBlock {
    int32_t block;
    uint64_t prefix;  // id naming the prefix that ends with this block
  };
  // The published block holding `tokens` after prefix `parent`, retained for the caller; nothing when absent.
  std::optional<CachedBlock> lookup(uint64_t parent, std::span<const int32_t> tokens);

 private:
  struct BlockState {
    int refs = 0;
    bool published = false;
    uint64_t parent = kRootPrefix;
    uint64_t id = 0;
    uint64_t hash = 0;
    std::vector<int32_t> tokens;
    std::list<int32_t>::iterator lru;  // position in evictable_ when refs == 0 and published
  };

  std::size_t layer_offset(int32_t block, int layer) const {
    return (static_cast<std::size_t>(block) * static_cast<std::size_t>(n_layer_) + static_cast<std::size_t>(layer)) * 2 *
           kBlockTokens * kv_dim_;
  }
  static uint64_t prefix_hash(uint64_t parent, std::span<const int32_t> tokens);
  // The published block with this exact key, or -1.
  int32_t find(uint64_t parent, std::span<const int32_t> tokens, uint64_t hash) const;
  void unpublish(int32_t block);

  int n_layer_;
  std::size_t head_dim_;
  std::size_t kv_dim_;
  int n_blocks_;
  std::vector<uint16_t> storage_;
  std::vector<BlockState> blocks_;
  std::vector<int32_t> free_;
  std::list<int32_t> evictable_;  // least recently released first
  std::unordered_multimap<uint64_t, int32_t> index_;
  uint64_t next_prefix_id_ = kRootPrefix + 1;
};

}  // namespace parley::engine
