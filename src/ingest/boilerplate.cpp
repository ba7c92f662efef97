#include "ingest/boilerplate.h"

#include <algorithm>
#include <cctype>
#include <unordered_set>

namespace parley::ingest {
namespace {

// Short lines ("Read more", "Share") are too common in real content to call boilerplate.
constexpr std::size_t kMinBlockChars = 40;
// Bounds memory on very large sites: once this many distinct paragraphs are counted, only known ones are.
constexpr std::size_t kMaxTrackedBlocks = 200'000;
constexpr std::size_t kSampleChars = 160;

bool counts_as_block(const Block& block) {
  return (block.kind == BlockKind::paragraph || block.kind == BlockKind::list_item || block.kind == BlockKind::quote) &&
         block.text.size() >= kMinBlockChars;
}

}  // namespace

std::uint64_t block_fingerprint(std::string_view text) {
  std::uint64_t hash = 0xcbf29ce484222325ull;
  for (unsigned char c : text) {
    if (c < 0x80 && !std::isalnum(c)) continue;
    hash ^= static_cast<unsigned char>(std::tolower(c));
    hash *= 0x100000001b3ull;
  }
  return hash;
}

void BoilerplateFilter::apply(ParsedDocument& document) {
  std::unordered_set<std::uint64_t> on_this_page;
  std::lock_guard lock(mutex_);
  std::erase_if(document.blocks, [&](const Block& block) {
    if (!counts_as_block(block)) return false;
    const std::uint64_t hash = block_fingerprint(block.text);
    auto it = counts_.find(hash);
    if (it == counts_.end()) {
      if (counts_.size() >= kMaxTrackedBlocks) return false;
      it = counts_.emplace(hash, Entry{}).first;
    }
    Entry& entry = it->second;
    if (on_this_page.insert(hash).second) {
      ++entry.pages;
      if (entry.pages == 2) entry.sample = block.text.substr(0, kSampleChars);
    }
    return entry.pages >= threshold_;
  });
}

std::vector<RepeatedBlock> BoilerplateFilter::boilerplate(std::size_t limit) const {
  std::vector<RepeatedBlock> blocks;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [hash, entry] : counts_) {
      if (entry.pages >= threshold_) blocks.push_back({entry.sample, entry.pages});
    }
  }
  std::sort(blocks.begin(), blocks.end(), [](const RepeatedBlock& a, const RepeatedBlock& b) {
    return a.pages != b.pages ? a.pages > b.pages : a.text < b.text;
  });
  if (blocks.size() > limit) blocks.resize(limit);
  return blocks;
}

nlohmann::json BoilerplateFilter::save() const {
  nlohmann::json blocks = nlohmann::json::array();
  std::lock_guard lock(mutex_);
  for (const auto& [hash, entry] : counts_) {
    if (entry.pages < 2) continue;
    blocks.push_back({{"hash", std::to_string(hash)}, {"pages", entry.pages}, {"text", entry.sample}});
  }
  return {{"threshold", threshold_}, {"blocks", std::move(blocks)}};
}

void BoilerplateFilter::load(const nlohmann::json& saved) {
  if (!saved.is_object()) return;
  const auto blocks = saved.find("blocks");
  if (blocks == saved.end() || !blocks->is_array()) return;
  std::lock_guard lock(mutex_);
  for (const auto& block : *blocks) {
    if (!block.is_object() || !block.value("hash", nlohmann::json()).is_string()) continue;
    const std::string hash_text = block["hash"].get<std::string>();
    char* end = nullptr;
    const std::uint64_t hash = std::strtoull(hash_text.c_str(), &end, 10);
    if (end == hash_text.c_str()) continue;
    Entry& entry = counts_[hash];
    entry.pages = std::max(entry.pages, block.value("pages", std::int64_t{0}));
    entry.sample = block.value("text", "");
  }
}

}  // namespace parley::ingest
