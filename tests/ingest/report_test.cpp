// The data-quality report over a real store: each section finds what was planted, and nothing else.
#include "ingest/report.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/clock.h"
#include "ingest/boilerplate.h"
#include "ingest/ingest.h"
#include "ingest/language.h"
#include "support/temp_dir.h"

namespace parley::ingest {
namespace {

using ::testing::HasSubstr;
using Json = nlohmann::json;

const std::string kShipping =
    "# Shipping\n\nWe ship every order from our warehouse in Portland within two business days. Standard delivery "
    "takes three to five business days inside the continental United States, and express delivery arrives the "
    "next business day when the order is placed before noon Pacific time. Bikes travel in a reinforced box and "
    "arrive ninety percent assembled; the handlebars and pedals need a few minutes with the included tools. We "
    "send a tracking link by email as soon as the parcel leaves the warehouse, and you can follow every step of "
    "the journey from your account page. Orders to Alaska and Hawaii take a few extra days and ship by air. If a "
    "parcel arrives damaged, keep the box and write to us within seven days so that we can file a claim with the "
    "carrier and send a replacement part or a new bike without waiting for the claim to close.\n";
const std::string kNewsletter =
    "\n## Newsletter\n\nSign up for our newsletter to get ten percent off your first order and news about rides.\n";

std::vector<std::string> uris(const Json& items) {
  std::vector<std::string> out;
  for (const auto& item : items) out.push_back(item.value("uri", ""));
  return out;
}

class ReportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = std::move(store::open_store({dir_.file("p.db")})).value();
    ASSERT_TRUE(store_->write(store::Scope::system(), [&](store::WriteTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(auto ws, tx.create_workspace("w"));
      workspace_ = ws.id;
      return {};
    }).ok());
    ASSERT_TRUE(store_->write(scope(), [&](store::WriteTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(auto bot, tx.create_bot("b", {{"language", "en"}}));
      bot_ = bot.id;
      return {};
    }).ok());
  }
  store::Scope scope() const { return store::Scope::workspace(workspace_); }
  void add(const std::string& name, const std::string& bytes) { (void)add_file(*store_, scope(), {bot_, name, "", bytes}); }
  Json report(ReportOptions options = {}) {
    auto built = build_report(*store_, scope(), bot_, options);
    EXPECT_TRUE(built.ok()) << built.error().message;
    return built.ok() ? *built : Json();
  }

  parley::testing::TempDir dir_;
  std::unique_ptr<store::Store> store_;
  std::string workspace_, bot_;
};

TEST_F(ReportTest, FindsWhatWasPlantedInEachSection) {
  std::string near = kShipping;
  near.replace(near.find("Portland"), 8, "Seattle");
  add("shipping.md", kShipping + kNewsletter);
  add("shipping-copy.md", kShipping + kNewsletter);
  add("shipping-near.md", near + kNewsletter);
  add("hours.md", "# Hours\n\nOpen daily from nine to five.\n");
  add("faq.csv", "question,answer\nWhat is the shipping cost?,Standard shipping costs $7.95 per order.\n"
                 "Do you sell gift cards?,Yes: gift cards from $25 in every store.\n");
  add("faq-old.csv", "question,answer\nWhat does shipping cost?,Shipping is $9.95 for every order.\n"
                     "Do you sell gift cards?,Yes: gift cards from $25 in every store.\n");
  add("anleitung.md", "# Versand\n\nWir versenden jede Bestellung innerhalb von zwei Werktagen. Die Lieferung dauert "
                      "drei bis fünf Tage, und wir schicken einen Link zur Sendungsverfolgung, sobald das Paket das Lager "
                      "verlässt. Wenn das Paket beschädigt ankommt, schreiben Sie uns bitte innerhalb von sieben Tagen." +
                          kNewsletter);
  add("broken.txt", std::string("\0\0\0binary", 9));

  const Json result = report();
  const Json& summary = result["summary"];
  // Exact: the copy. Near: the one-word variant, with either of the two.
  ASSERT_EQ(result["exact_duplicates"].size(), 1u);
  EXPECT_THAT(uris(result["exact_duplicates"][0]["documents"]), ::testing::UnorderedElementsAre("shipping.md", "shipping-copy.md"));
  ASSERT_EQ(summary["near_duplicate_pairs"], 2) << result["near_duplicates"].dump(1);
  for (const auto& pair : result["near_duplicates"]) {
    EXPECT_TRUE(pair["a"]["uri"] == "shipping-near.md" || pair["b"]["uri"] == "shipping-near.md") << pair.dump();
    EXPECT_GT(pair["similarity"].get<double>(), 0.9);
  }
  // The newsletter passage is indexed in four documents.
  ASSERT_FALSE(result["boilerplate"].empty());
  EXPECT_THAT(result["boilerplate"][0]["text"].get<std::string>(), HasSubstr("newsletter"));
  EXPECT_EQ(result["boilerplate"][0]["pages"], 4);
  EXPECT_THAT(uris(result["boilerplate"][0]["documents"]),
              ::testing::UnorderedElementsAre("shipping.md", "shipping-copy.md", "shipping-near.md", "anleitung.md"));
  EXPECT_THAT(uris(result["empty_or_thin"]), ::testing::Contains("hours.md"));
  EXPECT_THAT(uris(result["empty_or_thin"]), ::testing::Not(::testing::Contains("shipping.md")));
  ASSERT_EQ(result["failed"].size(), 1u);
  EXPECT_EQ(result["failed"][0]["uri"], "broken.txt");
  EXPECT_THAT(result["failed"][0]["reason"].get<std::string>(), HasSubstr("binary"));
  ASSERT_EQ(result["other_language"].size(), 1u);
  EXPECT_EQ(result["other_language"][0]["uri"], "anleitung.md");
  EXPECT_EQ(result["other_language"][0]["language"], "de");
  // Same question, different price; the gift-card pair agrees and is not reported.
  ASSERT_EQ(result["contradictions"].size(), 1u);
  EXPECT_EQ(result["contradictions"][0]["uri"], "faq-old.csv");
  EXPECT_EQ(result["contradictions"][0]["reason"], "different figures: 9.95 vs 7.95");
  EXPECT_EQ(summary["stale"], 0);
}

TEST_F(ReportTest, ACuratedFaqIsNeverVeryShortAndRepetitiveJunkIsReported) {
  // A curated FAQ: a handful of short pairs, 40 words in all. Short by design, not "thin".
  add("faq.csv", "question,answer\nWhat is the shipping cost?,Standard shipping costs $7.95.\n"
                 "Do you sell gift cards?,Yes: from $25.\nWhere are you?,Portland.\n");
  // 2 MB of one repeated word (about 290,000 words, thousands of identical passages).
  std::string junk;
  while (junk.size() < (2u << 20)) junk += "lorem ";
  add("junk.txt", junk);
  // Real words, but one paragraph (a passage of its own) pasted over and over.
  std::string pasted = "# Returns\n\n";
  for (int i = 0; i < 40; ++i) {
    pasted += "Returns are free within thirty days when the bike is unused and comes back in its original box with "
              "every part, manual and accessory that was delivered with it. Bring it to any of our stores or print a "
              "prepaid label from your account page; our workshop checks each returned bike within two business "
              "days, and the refund reaches the card you paid with about five days later. Bikes that were ridden, "
              "custom builds and clearance items cannot be returned, but our warranty still covers their frames.\n\n";
  }
  add("returns.md", pasted);
  add("shipping.md", kShipping);  // real content: no finding

  const Json result = report();
  EXPECT_THAT(uris(result["empty_or_thin"]), ::testing::Not(::testing::Contains("faq.csv")));
  EXPECT_THAT(uris(result["repetitive"]), ::testing::UnorderedElementsAre("junk.txt", "returns.md"));
  EXPECT_EQ(result["summary"]["repetitive"], 2);
  for (const auto& item : result["repetitive"]) {
    if (item["uri"] == "junk.txt") {
      EXPECT_EQ(item["distinct_words"], 1);
      EXPECT_THAT(item["problem"].get<std::string>(), HasSubstr("only 1 different word repeated"));
    } else {
      EXPECT_THAT(item["problem"].get<std::string>(), HasSubstr("repeat another passage word for word"));
    }
  }
}

TEST_F(ReportTest, StaleMeansUnchangedForLongerThanTheLimit) {
  add("shipping.md", kShipping);
  ReportOptions options;
  options.now_ms = unix_millis() + 400 * 86'400'000LL;
  const Json later = report(options);
  ASSERT_EQ(later["stale"].size(), 1u);
  EXPECT_EQ(later["stale"][0]["days"], 400);
  options.stale_days = 500;
  EXPECT_TRUE(report(options)["stale"].empty());
}

TEST_F(ReportTest, AnUnknownBotIsNotFound) {
  EXPECT_EQ(build_report(*store_, scope(), "bot_nope").error().code, ErrorCode::not_found);
}

TEST(Simhash, NearTextsAreCloseAndDifferentTextsFar) {
  const std::uint64_t a = simhash(kShipping);
  std::string changed = kShipping;
  changed.replace(changed.find("seven days"), 10, "ten days");
  EXPECT_LE(std::popcount(a ^ simhash(changed)), 6);
  EXPECT_GE(std::popcount(a ^ simhash(kNewsletter + kNewsletter + "and a completely different text about rentals")), 12);
}

TEST(BoilerplateFilter, DropsAParagraphFromItsThirdPageOnAndRemembersIt) {
  const std::string promo = "Spring sale: every helmet is twenty percent off until the end of the month.";
  const auto page = [&](const std::string& own) {
    ParsedDocument document;
    document.blocks = {{BlockKind::paragraph, 0, own + " is what this page is about, in a long enough sentence."},
                       {BlockKind::paragraph, 0, promo}};
    return document;
  };
  BoilerplateFilter filter;
  for (int i = 0; i < 4; ++i) {
    auto document = page("Topic " + std::to_string(i));
    filter.apply(document);
    EXPECT_EQ(document.blocks.size(), i < 2 ? 2u : 1u) << i;
  }
  ASSERT_EQ(filter.boilerplate().size(), 1u);
  EXPECT_EQ(filter.boilerplate()[0].text, promo);
  BoilerplateFilter next_sync;
  next_sync.load(filter.save());
  auto document = page("Another topic");
  next_sync.apply(document);
  EXPECT_EQ(document.blocks.size(), 1u);
}

TEST(LanguageDetection, ScriptsAndFunctionWords) {
  EXPECT_EQ(detect_language("The order ships within two days and you will get a tracking link by email."), "en");
  EXPECT_EQ(detect_language("Die Bestellung wird innerhalb von zwei Tagen versendet und Sie bekommen einen Link."), "de");
  EXPECT_EQ(detect_language("La commande est expédiée sous deux jours et vous recevez un lien de suivi par e-mail."), "fr");
  EXPECT_EQ(detect_language("El pedido se envía en dos días y usted recibe un enlace de seguimiento por correo."), "es");
  EXPECT_EQ(detect_language("Заказ отправляется в течение двух дней, и вы получите ссылку для отслеживания."), "ru");
  EXPECT_EQ(detect_language("ご注文は二日以内に発送され、追跡リンクがメールで届きます。"), "ja");
  EXPECT_EQ(detect_language("ok"), "");
}

}  // namespace
}  // namespace parley::ingest
