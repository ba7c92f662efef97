#include "chat/generative.h"

#include <algorithm>
#include <mutex>

#include "guard/canary.h"
#include "guard/pii.h"
#include "llm/grounding.h"
#include "text/sentences.h"

namespace parley::chat {
namespace {

// One turn in flight. Provider callbacks for one attempt arrive one at a time (a provider never calls on_delta
// after on_done), and the next attempt starts only from on_done, so the state needs no more than a mutex for the
// rare overlap with cancellation.
class Turn : public std::enable_shared_from_this<Turn> {
 public:
  Turn(std::shared_ptr<const llm::ProviderRegistry> registry, GenerativeInput input, AnswerStream stream,
       std::shared_ptr<llm::Cancellation> cancellation)
      : registry_(std::move(registry)),
        input_(std::move(input)),
        stream_(std::move(stream)),
        cancellation_(std::move(cancellation)) {}

  void start() {
    plan_ = llm::plan_routes(input_.policy, *registry_, input_.context);
    summary_.routing = plan_.to_json();
    summary_.routing["attempts"] = store::Json::array();
    const int count = std::min<int>(kGroundingPassages, static_cast<int>(input_.found.candidates.size()));
    llm::GroundedPromptInput prompt;
    prompt.bot_name = input_.bot.name;
    prompt.persona = input_.policy.persona;
    prompt.instructions = input_.policy.instructions;
    prompt.language = input_.settings.language;
    prompt.history = input_.history;
    prompt.question = input_.question;
    for (int i = 0; i < count; ++i) {
      const auto& chunk = input_.found.candidates[static_cast<std::size_t>(i)].chunk;
      std::string title = chunk.title;
      if (!chunk.heading_path.empty()) title += " > " + chunk.heading_path;
      prompt.passages.push_back({i + 1, std::move(title), chunk.text});
    }
    passage_count_ = count;
    canary_ = guard::make_canary();
    prompt.canary = canary_;
    messages_ = llm::build_grounded_prompt(prompt);
    attempt(0);
  }

 private:
  void attempt(std::size_t index) {
    if (cancellation_ && cancellation_->cancelled()) return finish_extractive("cancelled");
    if (index >= plan_.steps.size()) {
      return finish_extractive(plan_.steps.empty() ? "no route available" : "every route failed");
    }
    const auto& step = plan_.steps[index];
    auto provider = registry_->find(step.provider);
    const auto* info = registry_->info(step.provider);
    if (!provider || !info) return attempt(index + 1);
    llm::GenerationRequest request;
    request.model = info->model;
    request.messages = messages_;
    if (input_.policy.redact_pii && !info->local) {
      // Personal data stays on this machine: the visitor's and the documents' alike.
      for (auto& message : request.messages) message.content = guard::redact_pii(message.content);
    }
    request.max_tokens = input_.policy.max_tokens;
    request.request_id = input_.request_id;
    request.temperature = input_.policy.temperature;
    {
      std::lock_guard lock(mutex_);
      raw_.clear();
      emitted_ = 0;
      leaked_ = false;
    }
    auto self = shared_from_this();
    llm::GenerationSink sink;
    sink.on_delta = [self](std::string_view text) { self->on_delta(text); };
    sink.on_done = [self, index](llm::GenerationOutcome outcome) { self->on_done(index, std::move(outcome)); };
    provider->generate(request, std::move(sink), cancellation_);
  }

  void on_delta(std::string_view text) {
    std::string out;
    {
      std::lock_guard lock(mutex_);
      raw_ += text;
      // An answer that repeats the prompt's canary is leaking the prompt: nothing more of it is shown, and it
      // is withdrawn when it ends.
      if (leaked_ || guard::leaks_canary(raw_, canary_)) {
        leaked_ = true;
        return;
      }
      // Held back while it may still be the no-answer marker, which the visitor must never see.
      if (emitted_ == 0 && llm::may_become_no_answer(raw_)) return;
      out = raw_.substr(emitted_);
      emitted_ = raw_.size();
    }
    if (!out.empty() && stream_.on_delta) stream_.on_delta(out);
  }

  void on_done(std::size_t index, llm::GenerationOutcome outcome) {
    const auto& step = plan_.steps[index];
    const auto& result = outcome.result;
    store::Generation record;
    record.bot_id = input_.bot.id;
    record.provider = step.provider;
    record.model = result.model.empty() ? registry_->info(step.provider)->model : result.model;
    record.prompt_tokens = result.usage.prompt_tokens;
    record.completion_tokens = result.usage.completion_tokens;
    record.cost_usd = registry_->cost_usd(step.provider, result.usage);
    record.first_token_ms = result.first_token_ms;
    record.total_ms = result.total_ms;
    record.routing = {{"step", index}, {"reason", step.reason}};

    std::size_t emitted;
    bool leaked;
    {
      std::lock_guard lock(mutex_);
      emitted = emitted_;
      leaked = leaked_ || (outcome.ok() && guard::leaks_canary(result.text, canary_));
    }
    if (!outcome.ok() || result.text.empty() || leaked) {
      const bool cancelled = cancellation_ && cancellation_->cancelled();
      record.outcome = cancelled ? "cancelled" : leaked ? "leaked" : "failed";
      record.error = leaked ? "the answer repeated the prompt's canary" : outcome.ok() ? "empty answer" : outcome.error->message;
      note_attempt(record);
      // Text already shown is withdrawn before another route (or the extractive answer) replaces it.
      if (emitted > 0 && stream_.on_reset) stream_.on_reset();
      return attempt(index + 1);
    }
    const auto check = llm::check_citations(result.text, passage_count_);
    record.outcome = check.declined ? "declined" : "ok";
    note_attempt(record);
    summary_.provider = record.provider;
    summary_.model = record.model;
    summary_.usage = result.usage;
    summary_.first_token_ms = result.first_token_ms;

    ComposedAnswer answer;
    answer.confidence = input_.extractive.confidence;
    if (check.declined) {
      // The model found nothing to say from the knowledge: the bot's honest fallback, never model guesswork.
      answer.mode = "fallback";
      answer.text = input_.settings.fallback_message;
      if (emitted > 0 && stream_.on_reset) stream_.on_reset();
      stream_sentences(answer.text, stream_.on_delta);
    } else {
      answer.mode = "generative";
      answer.text = check.text;
      {
        std::lock_guard lock(mutex_);
        // Whatever was held back (a short answer that began like the marker) goes out now.
        if (emitted_ < raw_.size() && stream_.on_delta) stream_.on_delta(std::string_view(raw_).substr(emitted_));
        emitted_ = raw_.size();
      }
      for (const int number : check.cited) {
        answer.sources.push_back(citation_of(input_.found.candidates[static_cast<std::size_t>(number - 1)]));
      }
    }
    finish(std::move(answer));
  }

  void note_attempt(const store::Generation& record) {
    summary_.cost_usd += record.cost_usd;
    summary_.routing["attempts"].push_back({{"provider", record.provider},
                                            {"outcome", record.outcome},
                                            {"error", record.error},
                                            {"first_token_ms", record.first_token_ms},
                                            {"total_ms", record.total_ms}});
    summary_.attempts.push_back(record);
  }

  void finish_extractive(std::string why) {
    summary_.routing["result"] = "extractive: " + why;
    stream_sentences(input_.extractive.text, stream_.on_delta);
    finish(input_.extractive);
  }

  void finish(ComposedAnswer answer) {
    if (!summary_.routing.contains("result")) summary_.routing["result"] = answer.mode;
    // Let go of the providers before reporting the end: the turn itself is released on a model's thread, and
    // the caller may drop its own reference once told, so the turn's could be the engine's last, and an engine
    // cannot be destroyed on its own thread.
    registry_.reset();
    stream_.on_done(std::move(answer), std::move(summary_));
  }

  std::shared_ptr<const llm::ProviderRegistry> registry_;
  GenerativeInput input_;
  AnswerStream stream_;
  std::shared_ptr<llm::Cancellation> cancellation_;
  llm::RoutePlan plan_;
  std::vector<llm::ChatMessage> messages_;
  int passage_count_ = 0;
  GenerationSummary summary_;
  std::mutex mutex_;
  std::string canary_;
  std::string raw_;         // the current attempt's text
  std::size_t emitted_ = 0; // how much of raw_ the visitor has seen
  bool leaked_ = false;     // raw_ contains the canary
};

}  // namespace

void stream_sentences(std::string_view text, const std::function<void(std::string_view)>& on_delta) {
  if (!on_delta) return;
  std::size_t emitted = 0;
  for (const auto& span : text::split_sentences(text)) {
    // Each delta runs to the end of its sentence, including the whitespace before it, so deltas concatenate to
    // exactly the answer text.
    on_delta(text.substr(emitted, span.end - emitted));
    emitted = span.end;
  }
  if (emitted < text.size()) on_delta(text.substr(emitted));
}

void generate_answer(std::shared_ptr<const llm::ProviderRegistry> registry, GenerativeInput input,
                     AnswerStream stream, std::shared_ptr<llm::Cancellation> cancellation) {
  auto turn = std::make_shared<Turn>(std::move(registry), std::move(input), std::move(stream), std::move(cancellation));
  turn->start();
}

}  // namespace parley::chat
