// The lead form settings, checking submissions (emails, E.164 phone numbers with libphonenumber, sizes, scripts),
// intents in visitors' words, business hours in time zones, and the agent's summary.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "leads/handoff.h"
#include "leads/intent.h"
#include "leads/lead_form.h"
#include "leads/lead_service.h"
#include "leads/validation.h"

namespace parley::leads {
namespace {

using ::testing::HasSubstr;

LeadForm form_of(const Json& leads) {
  auto form = parse_lead_form({{"leads", leads}});
  EXPECT_TRUE(form.ok()) << (form.ok() ? "" : form.error().message);
  return form.ok() ? *form : LeadForm{};
}

TEST(Phone, NormalisesToE164) {
  EXPECT_EQ(*normalize_phone("+1 (650) 253-0000", ""), "+16502530000");
  EXPECT_EQ(*normalize_phone("0044 20 7031 3000", ""), "+442070313000");
  EXPECT_EQ(*normalize_phone("(650) 253-0000", "US"), "+16502530000");
  EXPECT_EQ(*normalize_phone("030 901820", "DE"), "+4930901820");
}

TEST(Phone, RefusesWhatIsNotANumber) {
  EXPECT_THAT(normalize_phone("650 253 0000", "").error().message, HasSubstr("country code"));
  EXPECT_FALSE(normalize_phone("+1 123", "").ok());
  EXPECT_FALSE(normalize_phone("call me maybe", "US").ok());
  EXPECT_FALSE(normalize_phone("+1 650 253 0000 <script>", "").ok());
  EXPECT_FALSE(normalize_phone(std::string(100, '5'), "US").ok());
  EXPECT_FALSE(normalize_phone("   ", "US").ok());
  EXPECT_FALSE(normalize_phone("+99 123456789", "").ok());
}

TEST(LeadForm, DefaultsAndSettingErrors) {
  const auto defaults = parse_lead_form(Json::object());
  ASSERT_TRUE(defaults.ok());
  EXPECT_FALSE(defaults->enabled);
  ASSERT_EQ(defaults->fields.size(), 3u);
  EXPECT_EQ(defaults->fields[1].name, "email");
  EXPECT_TRUE(defaults->fields[1].required);
  EXPECT_TRUE(public_lead_form(*defaults).is_null());

  const auto custom = form_of({{"enabled", true},
                               {"fields", {{{"name", "email"}, {"required", true}},
                                           {{"name", "team_size"}, {"type", "select"}, {"options", {"1-10", "11+"}}}}},
                               {"consent", "You may contact me."},
                               {"default_country", "de"},
                               {"triggers", {{"after_messages", 3}, {"before_chat", true}}}});
  EXPECT_EQ(custom.default_country, "DE");
  EXPECT_EQ(custom.fields[0].type, FieldType::email);
  EXPECT_EQ(custom.triggers.after_messages, 3);
  const Json view = public_lead_form(custom);
  EXPECT_EQ(view["fields"][1]["options"][1], "11+");
  EXPECT_EQ(view["consent"], "You may contact me.");
  EXPECT_EQ(view["before_chat"], true);

  for (const Json& bad : {Json{{"fields", {{{"name", "Bad Name"}}}}}, Json{{"fields", {{{"name", "email"}, {"type", "phone"}}}}},
                          Json{{"fields", {{{"name", "company"}}}}},  // neither email nor phone
                          Json{{"fields", {{{"name", "email"}}, {{"name", "email"}}}}},
                          Json{{"fields", {{{"name", "email"}}, {{"name", "x"}, {"type", "select"}}}}},
                          Json{{"default_country", "Germany"}}, Json{{"triggers", {{"after_messages", -1}}}},
                          Json{{"triggers", {{"sometimes", true}}}}, Json{{"colour", "red"}}, Json{{"consent", 5}}}) {
    EXPECT_FALSE(validate_lead_settings(bad).ok()) << bad.dump();
  }
  Json many = Json::array();
  for (int i = 0; i < 21; ++i) many.push_back({{"name", "f" + std::to_string(i)}});
  many.push_back({{"name", "email"}});
  EXPECT_FALSE(validate_lead_settings({{"fields", many}}).ok());
}

TEST(Submission, CleansGoodInput) {
  const LeadForm form = form_of({{"enabled", true},
                                 {"fields", {{{"name", "name"}, {"required", true}},
                                             {{"name", "email"}, {"required", true}},
                                             {{"name", "phone"}},
                                             {{"name", "company"}},
                                             {{"name", "seats"}, {"type", "number"}},
                                             {{"name", "newsletter"}, {"type", "checkbox"}},
                                             {{"name", "notes"}, {"type", "textarea"}}}},
                                 {"consent", "OK to contact me"},
                                 {"default_country", "US"}});
  const auto checked = check_submission(form,
                                        {{"name", "  Jane Doe "}, {"email", "Jane@Example.COM"}, {"phone", "650-253-0000"},
                                         {"company", "Acme"}, {"seats", "25"}, {"newsletter", true},
                                         {"notes", "line one\nline two"}},
                                        true);
  EXPECT_TRUE(checked.errors.empty()) << Json(checked.errors).dump();
  EXPECT_EQ(checked.lead.name, "Jane Doe");
  EXPECT_EQ(checked.lead.email, "Jane@example.com");
  EXPECT_EQ(checked.lead.phone, "+16502530000");
  EXPECT_EQ(checked.lead.company, "Acme");
  EXPECT_EQ(checked.lead.fields["seats"], 25.0);
  EXPECT_EQ(checked.lead.fields["newsletter"], true);
  EXPECT_EQ(checked.lead.fields["notes"], "line one\nline two");
  EXPECT_TRUE(checked.lead.consented);
}

TEST(Submission, NamesEveryBadFieldForTheVisitor) {
  const LeadForm form = form_of({{"enabled", true},
                                 {"fields", {{{"name", "name"}, {"required", true}},
                                             {{"name", "email"}, {"required", true}},
                                             {{"name", "phone"}},
                                             {{"name", "size"}, {"type", "select"}, {"options", {"S", "M"}}},
                                             {{"name", "seats"}, {"type", "number"}}}},
                                 {"consent", "OK to contact me"}});
  const auto checked = check_submission(form,
                                        {{"name", "<script>alert(1)</script>"}, {"email", "not-an-email"},
                                         {"phone", "12345"}, {"size", "XXL"}, {"seats", "1e999"}, {"hacker", "x"}},
                                        false);
  EXPECT_THAT(checked.errors.at("name"), HasSubstr("without < or >"));
  EXPECT_THAT(checked.errors.at("email"), HasSubstr("not valid"));
  EXPECT_THAT(checked.errors.at("phone"), HasSubstr("country code"));
  EXPECT_EQ(checked.errors.at("size"), "choose one of the options");
  EXPECT_EQ(checked.errors.at("seats"), "this must be a number");
  EXPECT_EQ(checked.errors.at("hacker"), "this form has no such field");
  EXPECT_THAT(checked.errors.at("consent"), HasSubstr("agree"));

  const auto missing = check_submission(form, {{"name", "   "}}, true);
  EXPECT_EQ(missing.errors.at("name"), "this is required");
  EXPECT_EQ(missing.errors.at("email"), "this is required");
  EXPECT_EQ(check_submission(form, Json::array(), true).errors.at("fields"), "send the fields as an object");
  EXPECT_EQ(check_submission(form, {{"name", 5}, {"email", "a@example.com"}}, true).errors.at("name"), "this must be text");
  EXPECT_THAT(check_submission(form, {{"name", std::string(201, 'a')}, {"email", "a@example.com"}}, true).errors.at("name"),
              HasSubstr("longer than 200"));
  EXPECT_THAT(check_submission(form, {{"name", "a\x01"}, {"email", "a@example.com"}}, true).errors.at("name"),
              HasSubstr("control characters"));
  EXPECT_THAT(check_submission(form, {{"name", "\xc3\x28"}, {"email", "a@example.com"}}, true).errors.at("name"),
              HasSubstr("not valid text"));
}

TEST(Intent, FindsRequestsForAPersonInVisitorsWords) {
  for (const char* message : {"Can I speak to a human?", "talk to someone please", "I want a REAL PERSON",
                              "connect me with support", "customer service"}) {
    EXPECT_TRUE(detect_intent(message, "en").wants_person) << message;
  }
  EXPECT_TRUE(detect_intent("Ich möchte mit einem Mitarbeiter sprechen", "de").wants_person);
  EXPECT_TRUE(detect_intent("Can I talk to a person", "de").wants_person);  // English is always understood
  EXPECT_FALSE(detect_intent("How much is shipping?", "en").wants_person);
  EXPECT_TRUE(detect_intent("How much is shipping?", "en").buying);
  EXPECT_TRUE(detect_intent("Can I get a quote for 20 bikes", "en").buying);
  EXPECT_TRUE(detect_intent("please call me back", "en").wants_contact);
  EXPECT_TRUE(detect_intent("yes please", "en").affirmative);
  EXPECT_FALSE(detect_intent("yes but what about returns of bikes", "en").affirmative);
  EXPECT_FALSE(detect_intent("agent smith", "en").wants_person);
  EXPECT_TRUE(detect_intent("agent smith", "en", {"agent smith"}).wants_person);
}

TEST(BusinessHours, FollowTheBotsTimeZone) {
  auto settings = parse_handoff_settings(
      {{"handoff", {{"time_zone", "America/New_York"}, {"hours", {{"mon", {"09:00", "17:00"}}, {"sat", Json::array()}}}}}});
  ASSERT_TRUE(settings.ok()) << settings.error().message;
  // Monday 2026-11-23 14:30 UTC = 09:30 in New York (EST, UTC-5): open.
  EXPECT_TRUE(within_business_hours(*settings, 1795444200000));
  // Monday 13:30 UTC = 08:30 in New York: not yet.
  EXPECT_FALSE(within_business_hours(*settings, 1795440600000));
  // Monday 22:30 UTC = 17:30 in New York: closed.
  EXPECT_FALSE(within_business_hours(*settings, 1795473000000));
  // Tuesday: no hours given, closed.
  EXPECT_FALSE(within_business_hours(*settings, 1795444200000 + 86'400'000));
  // Without hours: always open.
  EXPECT_TRUE(within_business_hours(*parse_handoff_settings(Json::object()), 1795440600000));

  for (const Json& bad : {Json{{"time_zone", "Mars/Olympus"}}, Json{{"hours", {{"mon", {"17:00", "09:00"}}}}},
                          Json{{"hours", {{"funday", {"09:00", "17:00"}}}}}, Json{{"hours", {{"mon", {"9am", "5pm"}}}}},
                          Json{{"claim_timeout_seconds", 1}}, Json{{"phrases", "human"}}, Json{{"sometimes", true}}}) {
    EXPECT_FALSE(validate_handoff_settings(bad).ok()) << bad.dump();
  }
}

TEST(Summary, QuotesTheFirstAndLatestQuestions) {
  std::vector<store::Message> messages;
  const auto add = [&](std::string role, std::string text, std::string mode = "") {
    store::Message message;
    message.role = std::move(role);
    message.text = std::move(text);
    message.mode = std::move(mode);
    messages.push_back(message);
  };
  EXPECT_THAT(summarize(messages), HasSubstr("before writing anything"));
  add("user", "Where is my order 1234?");
  add("assistant", "I'm sorry, I couldn't find that.", "fallback");
  add("user", "It was due Monday");
  add("user", "talk to a human");
  const std::string summary = summarize(messages);
  EXPECT_THAT(summary, HasSubstr("First question: \"Where is my order 1234?\""));
  EXPECT_THAT(summary, HasSubstr("\"It was due Monday\", \"talk to a human\""));
  EXPECT_THAT(summary, HasSubstr("3 visitor messages, 1 the bot could not answer"));
}

TEST(Csv, LeadsExportNeutralisesFormulas) {
  store::Lead lead;
  lead.id = "lead_1";
  lead.name = "=HYPERLINK(\"http://evil\")";
  lead.email = "a@example.com";
  lead.phone = "+16502530000";
  lead.company = "Acme, Inc.";
  lead.fields = {{"size", "M"}};
  const std::string csv = leads_csv({lead});
  EXPECT_THAT(csv, ::testing::StartsWith("id,created_at,updated_at,name,email,phone,company,fields,"));
  EXPECT_THAT(csv, HasSubstr(",\"'=HYPERLINK(\"\"http://evil\"\")\",a@example.com,+16502530000,\"Acme, Inc.\","));
  EXPECT_THAT(csv, HasSubstr("\"{\"\"size\"\":\"\"M\"\"}\""));
}

}  // namespace
}  // namespace parley::leads
