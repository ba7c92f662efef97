// Each model's own chat template (from /work/shared/chat-templates) renders a fixed conversation; the expected
// prompts are written out by hand from the families' published prompt formats.
#include "engine/chat-template.h"

#include <fstream>
#include <sstream>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace parley::engine {
namespace {

using ::testing::HasSubstr;

std::string read_template(const std::string& name) {
  std::ifstream file(std::string(PARLEY_SHARED_DIR) + "/chat-templates/" + name + ".jinja", std::ios::binary);
  EXPECT_TRUE(file.good()) << name;
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

const std::vector<ChatMessage> kConversation = {
    {"system", "You are a helpful assistant."},
    {"user", "Hello!"},
    {"assistant", "Hi there."},
    {"user", "What are your opening hours?"},
};
const std::vector<ChatMessage> kWithoutSystem(kConversation.begin() + 1, kConversation.end());

// 2025-04-03 12:00:00 UTC
const auto kFixedNow = std::chrono::system_clock::from_time_t(1743681600);

RenderedPrompt render_model(const std::string& name, const std::vector<ChatMessage>& messages,
                            ChatRenderOptions options = {}, std::string bos = "<s>", std::string eos = "</s>") {
  options.now = kFixedNow;
  const ChatTemplate chat = ChatTemplate::from_source(read_template(name), {.bos_token = std::move(bos),
                                                                            .eos_token = std::move(eos),
                                                                            .strip_leading_bos = false,
                                                                            .limits = {}});
  EXPECT_EQ(chat.parse_error(), "") << name;
  auto prompt = chat.render(messages, options);
  EXPECT_TRUE(prompt.ok()) << name;
  return prompt.ok() ? *prompt : RenderedPrompt{};
}

// Renders with the model's template and expects it to have been used as is.
std::string render_template(const std::string& name, const std::vector<ChatMessage>& messages,
                            ChatRenderOptions options = {}, std::string bos = "<s>", std::string eos = "</s>") {
  const RenderedPrompt prompt = render_model(name, messages, std::move(options), std::move(bos), std::move(eos));
  EXPECT_FALSE(prompt.used_fallback) << name << ": " << (prompt.warnings.empty() ? "" : prompt.warnings.front());
  return prompt.text;
}

const std::string kChatMlConversation =
    "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"
    "<|im_start|>user\nHello!<|im_end|>\n"
    "<|im_start|>assistant\nHi there.<|im_end|>\n"
    "<|im_start|>user\nWhat are your opening hours?<|im_end|>\n"
    "<|im_start|>assistant\n";

TEST(ChatTemplate, Qwen25IsChatMlWithItsDefaultSystemPrompt) {
  EXPECT_EQ(render_template("Qwen-Qwen2.5-7B-Instruct", kConversation), kChatMlConversation);
  EXPECT_EQ(render_template("Qwen-Qwen2.5-7B-Instruct", kWithoutSystem),
            "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n"
            "<|im_start|>user\nHello!<|im_end|>\n"
            "<|im_start|>assistant\nHi there.<|im_end|>\n"
            "<|im_start|>user\nWhat are your opening hours?<|im_end|>\n"
            "<|im_start|>assistant\n");
}

TEST(ChatTemplate, Qwen3IsChatMlAndDropsReasoningFromHistory) {
  EXPECT_EQ(render_template("Qwen-Qwen3-0.6B", kConversation), kChatMlConversation);
  // Earlier turns keep only the answer after </think>.
  std::vector<ChatMessage> with_reasoning = kWithoutSystem;
  with_reasoning[1].content = "<think>\nThe user greets me.\n</think>\n\nHi there.";
  EXPECT_EQ(render_template("Qwen-Qwen3-0.6B", with_reasoning),
            "<|im_start|>user\nHello!<|im_end|>\n"
            "<|im_start|>assistant\nHi there.<|im_end|>\n"
            "<|im_start|>user\nWhat are your opening hours?<|im_end|>\n"
            "<|im_start|>assistant\n");
}

TEST(ChatTemplate, Qwen3ThinkingCanBeSwitchedOff) {
  ChatRenderOptions options;
  options.enable_thinking = false;
  EXPECT_EQ(render_template("Qwen-Qwen3-0.6B", {{"user", "Hello!"}}, options),
            "<|im_start|>user\nHello!<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n");
}

TEST(ChatTemplate, SmolLM3PutsTheSystemPromptUnderCustomInstructions) {
  EXPECT_EQ(render_template("HuggingFaceTB-SmolLM3-3B", kConversation),
            "<|im_start|>system\n"
            "## Metadata\n\n"
            "Knowledge Cutoff Date: June 2025\n"
            "Reasoning Mode: /think\n\n"
            "## Custom Instructions\n\n"
            "You are a helpful assistant.\n\n"
            "<|im_end|>\n"
            "<|im_start|>user\nHello!<|im_end|>\n"
            "<|im_start|>assistant\nHi there.<|im_end|>\n"
            "<|im_start|>user\nWhat are your opening hours?<|im_end|>\n"
            "<|im_start|>assistant\n");
}

TEST(ChatTemplate, SmolLM3NoThinkFlagAddsEmptyThinkBlocks) {
  std::vector<ChatMessage> messages = kConversation;
  messages[0].content = "Be brief. /no_think";
  EXPECT_EQ(render_template("HuggingFaceTB-SmolLM3-3B", messages),
            "<|im_start|>system\n"
            "## Metadata\n\n"
            "Knowledge Cutoff Date: June 2025\n"
            "Reasoning Mode: /no_think\n\n"
            "## Custom Instructions\n\n"
            "Be brief.\n\n"
            "<|im_end|>\n"
            "<|im_start|>user\nHello!<|im_end|>\n"
            "<|im_start|>assistant\n<think>\n\n</think>\nHi there.<|im_end|>\n"
            "<|im_start|>user\nWhat are your opening hours?<|im_end|>\n"
            "<|im_start|>assistant\n<think>\n\n</think>\n");
}

TEST(ChatTemplate, Llama31HeadersWithKnowledgeAndFixedDate) {
  EXPECT_EQ(render_template("meta-llama-Llama-3.1-8B-Instruct", kConversation, {}, "<|begin_of_text|>"),
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n"
            "Cutting Knowledge Date: December 2023\n"
            "Today Date: 26 Jul 2024\n\n"
            "You are a helpful assistant.<|eot_id|>"
            "<|start_header_id|>user<|end_header_id|>\n\nHello!<|eot_id|>"
            "<|start_header_id|>assistant<|end_header_id|>\n\nHi there.<|eot_id|>"
            "<|start_header_id|>user<|end_header_id|>\n\nWhat are your opening hours?<|eot_id|>"
            "<|start_header_id|>assistant<|end_header_id|>\n\n");
}

TEST(ChatTemplate, Llama32DatesTheSystemHeaderAndTrimsContent) {
  std::vector<ChatMessage> messages = kWithoutSystem;
  messages[0].content = "  Hello!\n";
  EXPECT_EQ(render_template("meta-llama-Llama-3.2-3B-Instruct", messages, {}, "<|begin_of_text|>"),
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n"
            "Cutting Knowledge Date: December 2023\n"
            "Today Date: 03 Apr 2025\n\n"
            "<|eot_id|>"
            "<|start_header_id|>user<|end_header_id|>\n\nHello!<|eot_id|>"
            "<|start_header_id|>assistant<|end_header_id|>\n\nHi there.<|eot_id|>"
            "<|start_header_id|>user<|end_header_id|>\n\nWhat are your opening hours?<|eot_id|>"
            "<|start_header_id|>assistant<|end_header_id|>\n\n");
}

TEST(ChatTemplate, MistralNemoJoinsTheSystemPromptToTheLastUserTurn) {
  EXPECT_EQ(render_template("mistralai-Mistral-Nemo-Instruct-2407", kConversation),
            "<s>[INST]Hello![/INST]Hi there.</s>"
            "[INST]You are a helpful assistant.\n\nWhat are your opening hours?[/INST]");
}

TEST(ChatTemplate, Gemma2UsesModelTurns) {
  EXPECT_EQ(render_template("google-gemma-2-2b-it", kWithoutSystem, {}, "<bos>"),
            "<bos><start_of_turn>user\nHello!<end_of_turn>\n"
            "<start_of_turn>model\nHi there.<end_of_turn>\n"
            "<start_of_turn>user\nWhat are your opening hours?<end_of_turn>\n"
            "<start_of_turn>model\n");
}

TEST(ChatTemplate, Phi35EndsWithEosWithoutGenerationPrompt) {
  EXPECT_EQ(render_template("microsoft-Phi-3.5-mini-instruct", kConversation),
            "<|system|>\nYou are a helpful assistant.<|end|>\n"
            "<|user|>\nHello!<|end|>\n"
            "<|assistant|>\nHi there.<|end|>\n"
            "<|user|>\nWhat are your opening hours?<|end|>\n"
            "<|assistant|>\n");
  ChatRenderOptions options;
  options.add_generation_prompt = false;
  EXPECT_EQ(render_template("microsoft-Phi-3.5-mini-instruct", {{"user", "Hi"}}, options, "<s>", "<|endoftext|>"),
            "<|user|>\nHi<|end|>\n<|endoftext|>");
}

TEST(ChatTemplate, Granite33RolesAndDefaultSystemPromptWithDate) {
  EXPECT_EQ(render_template("ibm-granite-granite-3.3-2B-Instruct", kConversation),
            "<|start_of_role|>system<|end_of_role|>You are a helpful assistant.<|end_of_text|>\n"
            "<|start_of_role|>user<|end_of_role|>Hello!<|end_of_text|>\n"
            "<|start_of_role|>assistant<|end_of_role|>Hi there.<|end_of_text|>\n"
            "<|start_of_role|>user<|end_of_role|>What are your opening hours?<|end_of_text|>\n"
            "<|start_of_role|>assistant<|end_of_role|>");
  EXPECT_EQ(render_template("ibm-granite-granite-3.3-2B-Instruct", {{"user", "Hello!"}}),
            "<|start_of_role|>system<|end_of_role|>Knowledge Cutoff Date: April 2024. Today's Date: April 03, 2025. "
            "You are Granite, developed by IBM. You are a helpful AI assistant.<|end_of_text|>\n"
            "<|start_of_role|>user<|end_of_role|>Hello!<|end_of_text|>\n"
            "<|start_of_role|>assistant<|end_of_role|>");
}

TEST(ChatTemplate, DeepSeekR1DistillOpensAThinkBlock) {
  const std::string bos = "<\xEF\xBD\x9C" "begin\xE2\x96\x81of\xE2\x96\x81sentence\xEF\xBD\x9C>";
  const std::string eos = "<\xEF\xBD\x9C" "end\xE2\x96\x81of\xE2\x96\x81sentence\xEF\xBD\x9C>";
  const std::string user = "<\xEF\xBD\x9CUser\xEF\xBD\x9C>";
  const std::string assistant = "<\xEF\xBD\x9C" "Assistant\xEF\xBD\x9C>";
  ChatRenderOptions thinking;
  thinking.enable_thinking = true;
  EXPECT_EQ(render_template("deepseek-ai-DeepSeek-R1-Distill-Qwen-32B", kConversation, thinking, bos, eos),
            bos + "You are a helpful assistant." + user + "Hello!" + assistant + "Hi there." + eos + user +
                "What are your opening hours?" + assistant + "<think>\n");
  ChatRenderOptions not_thinking;
  not_thinking.enable_thinking = false;
  EXPECT_EQ(render_template("deepseek-ai-DeepSeek-R1-Distill-Qwen-32B", {{"user", "Hi"}}, not_thinking, bos, eos),
            bos + user + "Hi" + assistant + "<think>\n</think>");
}

TEST(ChatTemplate, RecognisesEveryTemplateFamily) {
  const std::vector<std::pair<std::string, ChatFamily>> expected = {
      {"HuggingFaceTB-SmolLM3-3B", ChatFamily::chatml},
      {"Qwen-Qwen2.5-7B-Instruct", ChatFamily::chatml},
      {"Qwen-Qwen3-0.6B", ChatFamily::chatml},
      {"deepseek-ai-DeepSeek-R1-Distill-Qwen-32B", ChatFamily::deepseek_r1},
      {"google-gemma-2-2b-it", ChatFamily::gemma},
      {"ibm-granite-granite-3.3-2B-Instruct", ChatFamily::granite},
      {"meta-llama-Llama-3.1-8B-Instruct", ChatFamily::llama3},
      {"meta-llama-Llama-3.2-3B-Instruct", ChatFamily::llama3},
      {"microsoft-Phi-3.5-mini-instruct", ChatFamily::phi3},
      {"mistralai-Mistral-Nemo-Instruct-2407", ChatFamily::mistral},
  };
  for (const auto& [name, family] : expected) {
    EXPECT_EQ(chat_family_name(recognize_chat_family(read_template(name))), chat_family_name(family)) << name;
  }
  EXPECT_EQ(recognize_chat_family("{{ messages[0].content }}"), ChatFamily::unknown);
  EXPECT_EQ(recognize_chat_family("[INST] <<SYS>>\n{{ system }}"), ChatFamily::llama2);
}

TEST(ChatTemplate, RefusedConversationFallsBackToTheFamilyFormat) {
  // Gemma's template raises on a system message; the built-in Gemma format folds it into the first user turn.
  const RenderedPrompt prompt = render_model("google-gemma-2-2b-it", kConversation, {}, "<bos>");
  EXPECT_TRUE(prompt.used_fallback);
  EXPECT_EQ(prompt.family, ChatFamily::gemma);
  ASSERT_EQ(prompt.warnings.size(), 1u);
  EXPECT_THAT(prompt.warnings[0], HasSubstr("System role not supported"));
  EXPECT_EQ(prompt.text,
            "<bos><start_of_turn>user\nYou are a helpful assistant.\n\nHello!<end_of_turn>\n"
            "<start_of_turn>model\nHi there.<end_of_turn>\n"
            "<start_of_turn>user\nWhat are your opening hours?<end_of_turn>\n"
            "<start_of_turn>model\n");
}

TEST(ChatTemplate, BrokenTemplateFallsBackToChatMlWithAWarning) {
  const ChatTemplate chat = ChatTemplate::from_source("{% for message in messages %}{{ message.content }}", {});
  EXPECT_THAT(chat.parse_error(), HasSubstr("endfor"));
  auto prompt = chat.render(kConversation);
  ASSERT_TRUE(prompt.ok());
  EXPECT_TRUE(prompt->used_fallback);
  EXPECT_EQ(prompt->family, ChatFamily::chatml);
  ASSERT_EQ(prompt->warnings.size(), 1u);
  EXPECT_THAT(prompt->warnings[0], HasSubstr("chatml"));
  EXPECT_EQ(prompt->text, kChatMlConversation);
}

TEST(ChatTemplate, MissingTemplateUsesChatMl) {
  auto prompt = ChatTemplate::from_source("", {}).render(kConversation);
  ASSERT_TRUE(prompt.ok());
  EXPECT_EQ(prompt->text, kChatMlConversation);
  EXPECT_TRUE(prompt->used_fallback);
  EXPECT_THAT(prompt->warnings.at(0), HasSubstr("no chat template"));
}

TEST(ChatTemplate, BuiltinFormatsMatchTheTemplates) {
  // Where a model's template accepts the conversation, its family's built-in format must agree with it.
  const std::vector<std::tuple<std::string, ChatFamily, std::vector<ChatMessage>, std::string>> cases = {
      {"Qwen-Qwen2.5-7B-Instruct", ChatFamily::chatml, kConversation, "<s>"},
      {"meta-llama-Llama-3.1-8B-Instruct", ChatFamily::llama3, {{"user", "Hi"}, {"assistant", "Hello"}}, "<s>"},
      {"mistralai-Mistral-Nemo-Instruct-2407", ChatFamily::mistral, kConversation, "<s>"},
      {"google-gemma-2-2b-it", ChatFamily::gemma, kWithoutSystem, "<bos>"},
      {"microsoft-Phi-3.5-mini-instruct", ChatFamily::phi3, kConversation, "<s>"},
      {"ibm-granite-granite-3.3-2B-Instruct", ChatFamily::granite, kConversation, "<s>"},
  };
  for (const auto& [name, family, messages, bos] : cases) {
    std::string expected = render_template(name, messages, {}, bos);
    if (family == ChatFamily::llama3) {
      // The Llama 3 templates add a dated system header of their own; the built-in format does not.
      const std::string header = "<|start_header_id|>system<|end_header_id|>\n\n"
                                 "Cutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n<|eot_id|>";
      expected.erase(expected.find(header), header.size());
    }
    EXPECT_EQ(render_builtin_chat(family, messages, true, bos, "</s>"), expected) << name;
  }
}

TEST(ChatTemplate, StripsLeadingBosForTokenizersThatAddIt) {
  const ChatTemplate chat = ChatTemplate::from_source(read_template("google-gemma-2-2b-it"),
                                                      {.bos_token = "<bos>", .eos_token = "<eos>",
                                                       .strip_leading_bos = true, .limits = {}});
  auto prompt = chat.render(std::vector<ChatMessage>{{"user", "Hi"}});
  ASSERT_TRUE(prompt.ok());
  EXPECT_EQ(prompt->text, "<start_of_turn>user\nHi<end_of_turn>\n<start_of_turn>model\n");
}

TEST(ChatTemplate, RejectsInvalidUtf8Messages) {
  const ChatTemplate chat = ChatTemplate::builtin(ChatFamily::chatml, {});
  auto prompt = chat.render(std::vector<ChatMessage>{{"user", "bad \xC3\x28 byte"}});
  ASSERT_FALSE(prompt.ok());
  EXPECT_EQ(prompt.error().code, ErrorCode::invalid_utf8);
}

TEST(ChatTemplate, ExtraContextReachesTheTemplate) {
  const ChatTemplate chat = ChatTemplate::from_source(
      "{% for tool in tools %}{{ tool.name }};{% endfor %}{{ messages | length }}", {});
  ChatRenderOptions options;
  options.extra_context = {{"tools", {{{"name", "lookup_order"}}, {{"name", "handoff"}}}}};
  auto prompt = chat.render(kConversation, options);
  ASSERT_TRUE(prompt.ok());
  EXPECT_EQ(prompt->text, "lookup_order;handoff;4");
}

}  // namespace
}  // namespace parley::engine
