#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "ingest/loader.h"

namespace parley::ingest {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

std::vector<std::string> describe(const ParsedDocument& doc) {
  std::vector<std::string> out;
  for (const auto& block : doc.blocks) {
    std::string kind;
    switch (block.kind) {
      case BlockKind::heading: kind = "h" + std::to_string(block.level); break;
      case BlockKind::paragraph: kind = "p"; break;
      case BlockKind::list_item: kind = "li" + std::to_string(block.level); break;
      case BlockKind::table_row: kind = "tr"; break;
      case BlockKind::code: kind = "code"; break;
      case BlockKind::quote: kind = "quote"; break;
    }
    out.push_back(kind + ":" + block.text);
  }
  return out;
}

Result<ParsedDocument> parse(const std::string& name, const std::string& text, const std::string& type = "") {
  return parse_document({name, type, text});
}

TEST(MarkdownLoader, HeadingsParagraphsNestedListsTablesAndFrontMatter) {
  const std::string md =
      "---\ntitle: \"Shipping guide\"\nauthor: x\n---\n"
      "# Shipping\n\nWe ship **fast** to [many places](https://x.example).\nSecond line.\n\n"
      "## Costs\n\n- Standard &amp; slow\n  - nested item\n- Express\n\n"
      "| Zone | Price |\n|---|---|\n| EU | 5 |\n\n```\ncode line 1\ncode line 2\n```\n\n> quoted <b>text</b>\n";
  const auto doc = parse("shipping.md", md);
  ASSERT_TRUE(doc.ok()) << doc.error().message;
  EXPECT_EQ(doc->title, "Shipping guide");
  EXPECT_EQ(doc->content_type, "text/markdown");
  EXPECT_THAT(describe(*doc), ElementsAre("h1:Shipping", "p:We ship fast to many places. Second line.", "h2:Costs",
                                          "li1:Standard & slow", "li2:nested item", "li1:Express", "tr:Zone | Price",
                                          "tr:EU | 5", "code:code line 1\ncode line 2", "quote:quoted text"));
}

TEST(MarkdownLoader, TitleFallsBackToFirstH1ThenFileName) {
  EXPECT_EQ(parse("a.md", "intro\n\n# Real title\n")->title, "Real title");
  EXPECT_EQ(parse("battery-care.md", "no heading here\n")->title, "battery care");
}

TEST(HtmlLoader, KeepsMainContentAndDropsBoilerplate) {
  const std::string html = R"(<!doctype html><html><head><title>Returns | Northwind</title>
    <script>var tracking = 1;</script><style>.x{}</style></head><body>
    <header><a href="/">Home</a><nav><ul><li>Shop</li><li>Help</li></ul></nav></header>
    <div class="cookie-banner">We use cookies. Accept?</div>
    <main><h1>Returns &amp; refunds</h1><p>You can return items within <b>30 days</b>.</p>
      <div style="display: none">hidden promo</div>
      <ul><li>Unused items</li><li>With receipt<ul><li>or order number</li></ul></li></ul>
      <table><tr><th>Item</th><th>Window</th></tr><tr><td>Bikes</td><td>30 days</td></tr></table>
      <aside>Related: gift cards</aside></main>
    <footer>Copyright Northwind</footer><script>more()</script></body></html>)";
  const auto doc = parse("returns.html", html);
  ASSERT_TRUE(doc.ok()) << doc.error().message;
  EXPECT_EQ(doc->title, "Returns & refunds");
  EXPECT_THAT(describe(*doc), ElementsAre("h1:Returns & refunds", "p:You can return items within 30 days.",
                                          "li1:Unused items", "li1:With receipt", "li2:or order number",
                                          "tr:Item | Window", "tr:Bikes | 30 days"));
}

TEST(HtmlLoader, WithoutMainUsesBodyMinusHeaderAndFooterAndTitleTag) {
  const auto doc = parse("page.html", "<html><head><title>Store hours - Northwind</title></head><body><header>Logo</header>"
                                      "<p>Open 9 to 5.</p><footer>Legal</footer></body></html>");
  ASSERT_TRUE(doc.ok());
  EXPECT_EQ(doc->title, "Store hours");
  EXPECT_THAT(describe(*doc), ElementsAre("p:Open 9 to 5."));
}

TEST(HtmlLoader, DeepNestingIsReadWithoutCrashing) {
  std::string html = "<html><body>";
  for (int i = 0; i < 100000; ++i) html += "<div>";
  html += "deep text";
  for (int i = 0; i < 100000; ++i) html += "</div>";
  html += "</body></html>";
  const auto doc = parse("deep.html", html);
  ASSERT_TRUE(doc.ok()) << doc.error().message;
  ASSERT_EQ(doc->blocks.size(), 1u);
  EXPECT_EQ(doc->blocks[0].text, "deep text");
  EXPECT_FALSE(doc->warnings.empty());
}

TEST(TextLoader, ParagraphsListsAndHeadings) {
  const auto doc = parse("notice.txt", "Store notice\n\nOur Portland store\nis closed Monday.\n\n- item one\n* item two\n\nDetails\n=======\nMore text.\n");
  ASSERT_TRUE(doc.ok());
  EXPECT_EQ(doc->title, "Store notice");
  EXPECT_THAT(describe(*doc), ElementsAre("h1:Store notice", "p:Our Portland store is closed Monday.", "li1:item one",
                                          "li1:item two", "h1:Details", "p:More text."));
}

TEST(QaLoaders, CsvKeepsOtherColumnsAsMetadata) {
  const auto doc = parse("faq.csv", "ID,Category,Question,Answer\n7,shipping,How long?,\"Three days.\"\n8,x,,missing question\n");
  ASSERT_TRUE(doc.ok()) << doc.error().message;
  ASSERT_EQ(doc->qa_pairs.size(), 1u);
  EXPECT_EQ(doc->qa_pairs[0].question, "How long?");
  EXPECT_EQ(doc->qa_pairs[0].answer, "Three days.");
  EXPECT_EQ(doc->qa_pairs[0].metadata["ID"], "7");
  EXPECT_EQ(doc->qa_pairs[0].metadata["Category"], "shipping");
  ASSERT_EQ(doc->warnings.size(), 1u);
  EXPECT_THAT(doc->warnings[0], HasSubstr("1 entries"));
}

TEST(QaLoaders, CsvWithoutQuestionColumnExplainsWhy) {
  const auto doc = parse("faq.csv", "name,value\na,b\n");
  ASSERT_FALSE(doc.ok());
  EXPECT_THAT(doc.error().message, HasSubstr("question"));
}

TEST(QaLoaders, JsonArrayOrWrappedArray) {
  const auto plain = parse("faq.json", R"([{"question":"Q1?","answer":"A1.","tags":["x"]},{"q":"Q2?","a":"A2."},7])");
  ASSERT_TRUE(plain.ok());
  ASSERT_EQ(plain->qa_pairs.size(), 2u);
  EXPECT_EQ(plain->qa_pairs[0].metadata["tags"][0], "x");
  const auto wrapped = parse("faq.json", R"({"faqs":[{"Question":"Q?","Answer":"A."}]})");
  ASSERT_TRUE(wrapped.ok());
  EXPECT_EQ(wrapped->qa_pairs.size(), 1u);
}

TEST(QaLoaders, HostileJsonIsRefusedClearly) {
  EXPECT_FALSE(parse("faq.json", "{not json").ok());
  EXPECT_FALSE(parse("faq.json", std::string(100000, '[')).ok());
  EXPECT_FALSE(parse("faq.json", R"({"unrelated":1})").ok());
}

TEST(Detection, ContentTypeThenExtensionThenSniffing) {
  EXPECT_EQ(*detect_format({"x.bin", "text/markdown; charset=utf-8", "a"}), Format::markdown);
  EXPECT_EQ(*detect_format({"x.htm", "", "a"}), Format::html);
  EXPECT_EQ(*detect_format({"README", "", "<!DOCTYPE html><p>x"}), Format::html);
  EXPECT_EQ(*detect_format({"notes.txt", "", "plain"}), Format::plain_text);
  EXPECT_EQ(*detect_format({"manual", "", "%PDF-1.7"}), Format::pdf);
  EXPECT_EQ(*detect_format({"letter.docx", "", "PK\x03\x04"}), Format::docx);
  const auto archive = detect_format({"site.zip", "", "PK\x03\x04"});
  ASSERT_FALSE(archive.ok());
  EXPECT_EQ(archive.error().code, ErrorCode::unsupported_media);
  EXPECT_THAT(archive.error().message, HasSubstr("archive"));
  EXPECT_FALSE(detect_format({"tool.exe", "", "MZ"}).ok());
}

TEST(Detection, EmptyAndBinaryDocumentsAreRefused) {
  EXPECT_EQ(parse("a.txt", "").error().code, ErrorCode::unprocessable);
  EXPECT_EQ(parse("a.txt", "   \n\n ").error().code, ErrorCode::unprocessable);
  EXPECT_EQ(parse("a.md", std::string("\0\1\2", 3)).error().code, ErrorCode::unsupported_media);
}

}  // namespace
}  // namespace parley::ingest
