#include "ingest/chunker.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace parley::ingest {
namespace {

using ::testing::ElementsAre;

ParsedDocument doc_with(std::vector<Block> blocks) {
  ParsedDocument doc;
  doc.title = "Help";
  doc.blocks = std::move(blocks);
  return doc;
}

TEST(Chunker, OneSectionPerChunkWithHeadingPath) {
  const auto chunks = chunk_document(doc_with({{BlockKind::heading, 1, "Help"},
                                               {BlockKind::paragraph, 0, "Intro."},
                                               {BlockKind::heading, 2, "Returns"},
                                               {BlockKind::paragraph, 0, "Thirty days."},
                                               {BlockKind::heading, 3, "Damaged items"},
                                               {BlockKind::list_item, 1, "Photo"},
                                               {BlockKind::list_item, 2, "Of the box"},
                                               {BlockKind::heading, 2, "Shipping"},
                                               {BlockKind::paragraph, 0, "Free over 75."}}));
  ASSERT_EQ(chunks.size(), 4u);
  EXPECT_EQ(chunks[0].heading_path, "");
  EXPECT_EQ(chunks[1].heading_path, "Returns");
  EXPECT_EQ(chunks[2].heading_path, "Returns > Damaged items");
  EXPECT_EQ(chunks[2].text, "- Photo\n  - Of the box");
  EXPECT_EQ(chunks[3].heading_path, "Shipping");
  for (const auto& chunk : chunks) EXPECT_EQ(chunk.title, "Help");
}

TEST(Chunker, LongSectionsSplitAtBlockBoundariesNearTheTarget) {
  std::vector<Block> blocks;
  for (int i = 0; i < 20; ++i) blocks.push_back({BlockKind::paragraph, 0, std::string(100, 'a' + i % 26) + "."});
  const auto chunks = chunk_document(doc_with(blocks), {.target_chars = 350, .max_chars = 700});
  ASSERT_GT(chunks.size(), 4u);
  std::size_t total = 0;
  for (const auto& chunk : chunks) {
    EXPECT_LE(chunk.text.size(), 350u);
    total += chunk.text.size();
  }
  EXPECT_GE(total, 20u * 101u);  // nothing lost
}

TEST(Chunker, ListsStayTogetherUpToTheMaximum) {
  std::vector<Block> blocks = {{BlockKind::paragraph, 0, std::string(200, 'p')}};
  for (int i = 0; i < 8; ++i) blocks.push_back({BlockKind::list_item, 1, std::string(60, 'l')});
  const auto chunks = chunk_document(doc_with(blocks), {.target_chars = 300, .max_chars = 800});
  ASSERT_EQ(chunks.size(), 2u);  // the paragraph, then the whole list
  EXPECT_EQ(chunks[1].text.find("- "), 0u);
  EXPECT_EQ(std::count(chunks[1].text.begin(), chunks[1].text.end(), '\n'), 7);
}

TEST(Chunker, OverlongBlocksSplitAtSentences) {
  std::string paragraph;
  for (int i = 0; i < 40; ++i) paragraph += "Sentence number " + std::to_string(i) + " is here. ";
  const auto chunks = chunk_document(doc_with({{BlockKind::paragraph, 0, paragraph}}), {.target_chars = 200, .max_chars = 400});
  ASSERT_GT(chunks.size(), 3u);
  for (const auto& chunk : chunks) {
    EXPECT_LE(chunk.text.size(), 200u);
    EXPECT_EQ(chunk.text.back(), '.');
  }
}

TEST(Chunker, QaPairsBecomeQaChunksWithCategory) {
  ParsedDocument doc;
  doc.title = "faq";
  doc.qa_pairs.push_back({"How long?", "Three days.", {{"Category", "shipping"}, {"ID", "4"}}});
  const auto chunks = chunk_document(doc);
  ASSERT_EQ(chunks.size(), 1u);
  EXPECT_EQ(chunks[0].kind, store::ChunkKind::qa);
  EXPECT_EQ(chunks[0].title, "How long?");
  EXPECT_EQ(chunks[0].text, "Three days.");
  EXPECT_EQ(chunks[0].heading_path, "shipping");
  EXPECT_EQ(chunks[0].metadata["ID"], "4");
}

TEST(Chunker, IsDeterministic) {
  const auto doc = doc_with({{BlockKind::heading, 2, "A"}, {BlockKind::paragraph, 0, "x. y. z."}});
  const auto first = chunk_document(doc);
  const auto second = chunk_document(doc);
  ASSERT_EQ(first.size(), second.size());
  for (std::size_t i = 0; i < first.size(); ++i) EXPECT_EQ(first[i].text, second[i].text);
}

}  // namespace
}  // namespace parley::ingest
