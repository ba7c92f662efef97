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

// Layout (what the attention kernel reads): per layer and key/value head, the blocks one after another, keys and
// values apart:
// - keys transposed: [dimension][position] per block, so the scores of all kBlockTokens positions come from vector
//   operations over positions without horizontal sums;
// - values as rows: [position][dimension] per block.
// A sequence's blocks are allocated in increasing order from a fresh pool, so attention over a long context reads
// each head's keys and values as two long sequential streams, which the hardware prefetchers follow (with whole
// blocks per layer, every 32 positions jumped to another place, and a decode step at a 4,096-token context spent
// as long in attention as on all the weights).
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
  // The transposed keys of key/value head `head` ([head_dim][kBlockTokens]) and its value rows (value_stride()
  // apart) of `block` in `layer`.
  const uint16_t* keys(int32_t block, int layer, int head) const {
    return storage_.data() + head_offset(block, layer, head);
  }
  const uint16_t* values(int32_t block, int layer, int head) const {
    return storage_.data() + values_offset_ + head_offset(block, layer, head);
  }
  std::size_t value_stride() const { return head_dim_; }

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

  // Where the keys (or, past values_offset_, the values) of one head of one block in one layer start.
  std::size_t head_offset(int32_t block, int layer, int head) const {
    const std::size_t stream = static_cast<std::size_t>(layer) * n_kv_heads_ + static_cast<std::size_t>(head);
    return (stream * static_cast<std::size_t>(n_blocks_) + static_cast<std::size_t>(block)) * head_dim_ * kBlockTokens;
  }
  static uint64_t prefix_hash(uint64_t parent, std::span<const int32_t> tokens);
  // The published block with this exact key, or -1.
  int32_t find(uint64_t parent, std::span<const int32_t> tokens, uint64_t hash) const;
  void unpublish(int32_t block);

  int n_layer_;
  std::size_t n_kv_heads_;
  std::size_t head_dim_;
  std::size_t kv_dim_;
  int n_blocks_;
  std::size_t values_offset_;  // the values follow all the keys
  std::vector<uint16_t> storage_;
  std::vector<BlockState> blocks_;
  std::vector<int32_t> free_;
  std::list<int32_t> evictable_;  // least recently released first
  std::unordered_multimap<uint64_t, int32_t> index_;
  uint64_t next_prefix_id_ = kRootPrefix + 1;
};

}  // namespace parley::engine
