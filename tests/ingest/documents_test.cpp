// PDF and DOCX loaders on real files built by the tests (tests/support/documents.h), including hostile ones.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <iterator>

#include "ingest/loader.h"
#include "ingest/zip_archive.h"
#include "support/documents.h"
#include "support/temp_dir.h"

namespace parley::ingest {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using parley::testing::docx_paragraph;
using parley::testing::make_docx;
using parley::testing::make_pdf;

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

TEST(PdfLoader, HeadingsFromFontSizesParagraphsListsAndNoRunningFooters) {
  const std::vector<std::vector<testing::PdfLine>> pages = {
      {{22, "Owner Manual"}, {11, "Read this manual before your first ride."}, {11, "It covers charging and care."},
       {16, "Charging"}, {11, "Charge the battery indoors."}, {11, "- Use the supplied charger"},
       {11, "- Never cover the charger"}, {9, "Northwind Bikes manual"}, {9, "1"}},
      {{16, "Storage"}, {11, "Store the battery at half charge in winter."}, {9, "Northwind Bikes manual"}, {9, "2"}},
      {{16, "Warranty"}, {11, "Batteries are covered for two years."}, {9, "Northwind Bikes manual"}, {9, "3"}},
  };
  const auto doc = parse_document({"manual.pdf", "", make_pdf(pages)});
  ASSERT_TRUE(doc.ok()) << doc.error().message;
  EXPECT_EQ(doc->content_type, "application/pdf");
  EXPECT_EQ(doc->title, "Owner Manual");
  EXPECT_THAT(describe(*doc),
              ElementsAre("h1:Owner Manual", "p:Read this manual before your first ride. It covers charging and care.",
                          "h2:Charging", "p:Charge the battery indoors.", "li1:Use the supplied charger",
                          "li1:Never cover the charger", "h2:Storage", "p:Store the battery at half charge in winter.",
                          "h2:Warranty", "p:Batteries are covered for two years."));
}

TEST(PdfLoader, TitleFromDocumentInformation) {
  const auto doc = parse_document({"x.pdf", "", make_pdf({{{11, "Plain body text only."}}}, "Price List 2026")});
  ASSERT_TRUE(doc.ok()) << doc.error().message;
  EXPECT_EQ(doc->title, "Price List 2026");
}

TEST(PdfLoader, ATitleThatNamesNoDocumentGivesWayToTheFirstHeadingThenTheFileName) {
  // What a browser's "Save as PDF" of a blank tab, word processors and converters write when a document has no title.
  for (const std::string placeholder : {"about:blank", "Untitled", "Microsoft Word - warranty.docx", "C:\\Temp\\out.pdf",
                                        "https://shop.example.com/print?id=4", "warranty.pdf", "Document1"}) {
    const auto doc = parse_document({"warranty-terms.pdf", "", make_pdf({{{22, "Warranty terms"}, {11, "Two years on frames."}}}, placeholder)});
    ASSERT_TRUE(doc.ok()) << doc.error().message;
    EXPECT_EQ(doc->title, "Warranty terms") << placeholder;
  }
  const auto plain = parse_document({"warranty-terms.pdf", "", make_pdf({{{11, "Two years on frames."}}}, "about:blank")});
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->title, "warranty terms");
  const auto docx = parse_document({"returns.docx", "", make_docx(docx_paragraph("Plain text."), "", "Untitled")});
  ASSERT_TRUE(docx.ok());
  EXPECT_EQ(docx->title, "returns");
}

TEST(PdfLoader, ScansCorruptAndEncryptedPdfsAreRefusedClearly) {
  const auto scan = parse_document({"scan.pdf", "", make_pdf({{}, {}})});
  ASSERT_FALSE(scan.ok());
  EXPECT_THAT(scan.error().message, HasSubstr("no text layer"));

  const auto garbage = parse_document({"broken.pdf", "", "%PDF-1.7\n\x01\x02 this is not a pdf at all"});
  ASSERT_FALSE(garbage.ok());
  EXPECT_EQ(garbage.error().code, ErrorCode::unprocessable);

  const std::string good = make_pdf({{{11, "Secret content."}}});
  const auto truncated = parse_document({"cut.pdf", "", good.substr(0, good.size() / 3)});
  EXPECT_FALSE(truncated.ok() && truncated->blocks.empty());  // either an error or whatever text survived

  parley::testing::TempDir dir;
  std::ofstream(dir.file("plain.pdf"), std::ios::binary) << good;
  const std::string command = "qpdf --encrypt user owner 256 -- " + dir.file("plain.pdf") + " " + dir.file("locked.pdf");
  ASSERT_EQ(std::system(command.c_str()), 0) << "qpdf is needed (scripts/apt-packages.txt)";
  std::ifstream in(dir.file("locked.pdf"), std::ios::binary);
  const std::string locked((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto encrypted = parse_document({"locked.pdf", "", locked});
  ASSERT_FALSE(encrypted.ok());
  EXPECT_THAT(encrypted.error().message, HasSubstr("encrypted"));
}

TEST(DocxLoader, HeadingsListsTablesAndTitle) {
  const std::string styles =
      R"(<w:style w:type="paragraph" w:styleId="Heading1"><w:name w:val="heading 1"/></w:style>)"
      R"(<w:style w:type="paragraph" w:styleId="berschrift2"><w:name w:val="heading 2"/></w:style>)"
      R"(<w:style w:type="paragraph" w:styleId="Custom"><w:name w:val="Custom"/><w:pPr><w:outlineLvl w:val="2"/></w:pPr></w:style>)";
  const std::string body =
      docx_paragraph("Returns", "Heading1") + docx_paragraph("You have 30 days.") +
      docx_paragraph("Conditions", "berschrift2") + docx_paragraph("Unused", "", 0) + docx_paragraph("With receipt", "", 1) +
      docx_paragraph("Fees", "Custom") +
      R"(<w:tbl><w:tr><w:tc><w:p><w:r><w:t>Item</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>Fee</w:t></w:r></w:p></w:tc></w:tr>)"
      R"(<w:tr><w:tc><w:p><w:r><w:t>Bike</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>$99</w:t></w:r></w:p></w:tc></w:tr></w:tbl>)"
      R"(<w:p><w:r><w:t>Kept</w:t></w:r><w:del><w:r><w:delText> deleted</w:delText></w:r></w:del><w:r><w:tab/><w:t>text</w:t></w:r></w:p>)";
  const auto doc = parse_document({"returns.docx", "", make_docx(body, styles, "Returns Policy")});
  ASSERT_TRUE(doc.ok()) << doc.error().message;
  EXPECT_EQ(doc->title, "Returns Policy");
  EXPECT_THAT(describe(*doc), ElementsAre("h1:Returns", "p:You have 30 days.", "h2:Conditions", "li1:Unused",
                                          "li2:With receipt", "h3:Fees", "tr:Item | Fee", "tr:Bike | $99", "p:Kept text"));
}

// 60 MB of paragraphs that deflate to a few hundred KB.
std::string bomb_body() {
  std::string body;
  const std::string paragraph = docx_paragraph("Our bikes ship worldwide within two business days of the order.");
  body.reserve((60u << 20) + paragraph.size());
  while (body.size() < (60u << 20)) body += paragraph;
  return body;
}

TEST(DocxLoader, ZipBombsAreRefusedByWhatActuallyInflatesWhateverTheyDeclare) {
  const std::string honest = make_docx(bomb_body());
  // The review's bomb: word/document.xml declares 1,000 bytes and inflates to 60 MB.
  const std::string lying = parley::testing::lie_about_size(honest, "word/document.xml", 1000);
  ASSERT_NE(lying, honest);
  for (const auto& [name, bytes] : {std::pair{"honest.docx", honest}, std::pair{"lying.docx", lying}}) {
    const auto refused = parse_document({name, "", bytes});
    ASSERT_FALSE(refused.ok()) << name;
    EXPECT_EQ(refused.error().code, ErrorCode::unprocessable) << name;
    EXPECT_THAT(refused.error().message, HasSubstr("zip bomb")) << name;
    // Inflation stopped at the limit: the ratio cap (100 times the file) comes long before 60 MB.
    auto archive = ZipArchive::open(bytes, "DOCX");
    ASSERT_TRUE(archive.ok());
    EXPECT_FALSE(archive->read("word/document.xml").ok());
    EXPECT_LE(archive->inflated_bytes(), std::max<std::size_t>(ZipLimits{}.ratio_floor, 100 * bytes.size()) + (64u << 10)) << name;
  }
  // Per part and per file, whatever the ratio: a part over its cap, and parts that only add up to too much.
  ZipLimits small;
  small.max_part_bytes = 1u << 20;
  small.max_total_bytes = 1536u << 10;
  const std::string two_parts = parley::testing::make_zip({{"a.xml", std::string(900u << 10, 'a')}, {"b.xml", std::string(900u << 10, 'b')}});
  auto archive = ZipArchive::open(two_parts, "DOCX", small);
  ASSERT_TRUE(archive.ok());
  ASSERT_TRUE(archive->read("a.xml").ok());
  const auto second = archive->read("b.xml");
  ASSERT_FALSE(second.ok());
  EXPECT_THAT(second.error().message, HasSubstr("inflates to more than 1 MB"));
  small.max_part_bytes = 512u << 10;
  EXPECT_THAT(ZipArchive::open(two_parts, "DOCX", small)->read("a.xml").error().message, HasSubstr("a.xml in the DOCX inflates to more than"));
}

TEST(DocxLoader, TraversalEntriesUnreadPartsAndNonDocxAreHandled) {
  // A huge part that is never read costs nothing: only the text parts are inflated.
  const std::string media = make_docx(docx_paragraph("x"), "", "", {{"word/media/huge.bin", std::string(40u << 20, '\0')}});
  const auto with_media = parse_document({"media.docx", "", media});
  ASSERT_TRUE(with_media.ok()) << with_media.error().message;
  EXPECT_THAT(describe(*with_media), ElementsAre("p:x"));

  const std::string traversal = make_docx(docx_paragraph("Safe text."), "", "", {{"../../etc/evil.txt", "owned"}});
  const auto safe = parse_document({"t.docx", "", traversal});
  ASSERT_TRUE(safe.ok()) << safe.error().message;
  EXPECT_THAT(describe(*safe), ElementsAre("p:Safe text."));

  const auto not_zip = parse_document({"fake.docx", "", "just some text pretending"});
  ASSERT_FALSE(not_zip.ok());
  EXPECT_THAT(not_zip.error().message, HasSubstr("not a DOCX"));
  const auto no_body = parse_document({"empty.docx", "", parley::testing::make_zip({{"readme.txt", "hello"}})});
  ASSERT_FALSE(no_body.ok());
  EXPECT_THAT(no_body.error().message, HasSubstr("word/document.xml"));
  const auto bad_xml = parse_document({"bad.docx", "", parley::testing::make_zip({{"word/document.xml", "<w:document><unclosed>"}})});
  ASSERT_FALSE(bad_xml.ok());
  EXPECT_THAT(bad_xml.error().message, HasSubstr("XML"));
}

TEST(Detection, LegacyOfficeFormatsGetAHelpfulMessage) {
  const auto doc = detect_format({"old.doc", "", "\xD0\xCF\x11\xE0 binary"});
  ASSERT_FALSE(doc.ok());
  EXPECT_THAT(doc.error().message, HasSubstr(".docx"));
}

}  // namespace
}  // namespace parley::ingest
