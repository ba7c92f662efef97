// Keys of chunk.metadata that the ingest sets and retrieval reads.
#pragma once

#include "store/types.h"

namespace parley::store {

// chunk.metadata[kNavigationKey] = true: the ingest found the chunk to be mostly links (a menu, an index, a table
// of contents); retrieval ranks it below passages that say something.
inline constexpr const char* kNavigationKey = "navigation";
inline bool is_navigation(const Chunk& chunk) {
  return chunk.metadata.is_object() && chunk.metadata.contains(kNavigationKey);
}

}  // namespace parley::store
