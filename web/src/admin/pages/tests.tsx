// Tests: the bot's test suite (issue 17). Each test asks the bot a question and checks the answer: it cites a given
// source, contains a phrase, or declines. The list shows every test's last result (passed or failed and why, the
// answer and its sources); a run adds which tests changed since the run before. Everyone sees the suite; owners and
// admins add, remove and run tests (the API refuses the others).
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, errorMessage, type TestCase, type TestExpectations, type TestRun } from '../api';
import { FieldError, type FieldProblem, invalidProps, problemOf } from '../fields';
import { formatDate } from '../format';
import { Alert, Empty, Loading, Markdown, SourceChips } from '../ui';

export function Tests({ botId, canEdit }: { botId: string; canEdit: boolean }) {
  const [cases, setCases] = useState<TestCase[] | null>(null);
  const [run, setRun] = useState<TestRun | null>(null);
  const [running, setRunning] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const load = () =>
    api<{ cases: TestCase[] }>('GET', `/bots/${botId}/tests`)
      .then((body) => setCases(body.cases))
      .catch((failure) => setError(errorMessage(failure)));
  useEffect(() => {
    setRun(null);
    void load();
  }, [botId]);

  const runAll = async () => {
    setRunning(true);
    setError(null);
    try {
      setRun(await api<TestRun>('POST', `/bots/${botId}/tests/run`));
      await load();
    } catch (failure) {
      setError(errorMessage(failure));
    } finally {
      setRunning(false);
    }
  };

  const remove = async (testCase: TestCase) => {
    if (!confirm(`Remove the test "${testCase.question}"?`)) return;
    setError(null);
    try {
      await api('DELETE', `/bots/${botId}/tests/${testCase.id}`);
      await load();
    } catch (failure) {
      setError(errorMessage(failure));
    }
  };

  if (cases === null) return error ? <Alert message={error} /> : <Loading />;
  const ran = cases.filter((testCase) => testCase.last);
  const passed = ran.filter((testCase) => testCase.last!.passed).length;
  const changed = new Map((run?.cases ?? []).filter((result) => result.changed).map((result) => [result.id, result.passed]));

  return (
    <div class="stack">
      <Alert message={error} />
      <section class="card" aria-labelledby="tests-title">
        <div class="row tests-head">
          <h2 id="tests-title">Test suite</h2>
          {canEdit && cases.length > 0 ? (
            <button type="button" class="primary" onClick={() => void runAll()} disabled={running}>
              {running ? 'Running…' : 'Run tests'}
            </button>
          ) : null}
        </div>
        <p class="muted small">
          Each test asks the bot a question, as a visitor would, and checks that the answer cites a source, contains a phrase, or declines. Run them after you
          change the bot's knowledge or settings to catch answers that got worse. Runs write no conversations.
        </p>
        <p class="test-summary" role="status">
          {running ? (
            'Running the tests…'
          ) : run ? (
            <>
              Ran {run.cases.length} {run.cases.length === 1 ? 'test' : 'tests'} in {run.elapsed_ms < 1 ? 'under 1 ms' : `${run.elapsed_ms} ms`}: <Count n={run.passed} what="passed" />{' '}
              <Count n={run.failed} what="failed" />
              {changed.size > 0 ? (
                <>
                  {' '}
                  <span class="pill pill-changed">{changed.size} changed since the run before</span>
                </>
              ) : null}
            </>
          ) : ran.length > 0 ? (
            <>
              Last results: <Count n={passed} what="passed" /> <Count n={ran.length - passed} what="failed" />
              {ran.length < cases.length ? <span class="muted"> · {cases.length - ran.length} not run yet</span> : null}
            </>
          ) : cases.length > 0 ? (
            'Not run yet.'
          ) : null}
        </p>
        {!canEdit ? <p class="muted small">You can see the tests and their results; owners and admins add, remove and run them.</p> : null}
      </section>

      {canEdit ? <AddTest botId={botId} onAdded={() => void load()} /> : null}

      <section class="card" aria-labelledby="cases-title">
        <h2 id="cases-title">Tests ({cases.length})</h2>
        {cases.length === 0 ? (
          <Empty title="No tests yet">
            <p>{canEdit ? 'Add the questions your visitors ask most, above, with what a good answer must do.' : 'An owner or admin adds them.'}</p>
          </Empty>
        ) : (
          <ul class="test-cases" aria-label="Tests">
            {cases.map((testCase) => (
              <TestItem key={testCase.id} testCase={testCase} nowPassing={changed.get(testCase.id)} onRemove={canEdit ? () => void remove(testCase) : undefined} />
            ))}
          </ul>
        )}
      </section>
    </div>
  );
}

function Count({ n, what }: { n: number; what: 'passed' | 'failed' }) {
  return <span class={`pill pill-${n > 0 ? what : 'none'}`}>{`${n} ${what}`}</span>;
}

// "cites a source matching “returns” · contains “30 days” · declines"
function expectationParts(expectations: TestExpectations): string[] {
  const parts: string[] = [];
  if (expectations.source) parts.push(`cites a source matching “${expectations.source}”`);
  if (expectations.text) parts.push(`contains “${expectations.text}”`);
  if (expectations.decline) parts.push('declines to answer');
  return parts;
}

// `nowPassing`: set when the latest run flipped the result (true: it passes now, false: it fails now).
function TestItem({ testCase, nowPassing, onRemove }: { testCase: TestCase; nowPassing?: boolean; onRemove?: () => void }) {
  const last = testCase.last;
  return (
    <li class="test-case">
      <div class="test-head">
        <p class="question">{testCase.question}</p>
        <span class="test-state">
          {last ? <span class={`pill pill-${last.passed ? 'passed' : 'failed'}`}>{last.passed ? 'Passed' : 'Failed'}</span> : <span class="pill">Not run yet</span>}
          {nowPassing !== undefined ? <span class="pill pill-changed">{nowPassing ? 'Changed: failed before' : 'Changed: passed before'}</span> : null}
        </span>
      </div>
      <p class="small">
        <span class="muted">A good answer </span>
        {expectationParts(testCase.expectations).join(' · ')}
      </p>
      {last && last.failures.length > 0 ? (
        <ul class="test-failures small" aria-label="Why it failed">
          {last.failures.map((failure, index) => (
            <li key={index}>{failure}</li>
          ))}
        </ul>
      ) : null}
      {last ? (
        <details class="test-answer">
          <summary>
            The answer <span class={`pill pill-${last.mode}`}>{last.mode || 'none'}</span>{' '}
            <span class="muted small">
              · {last.sources.length} {last.sources.length === 1 ? 'source' : 'sources'} · run {formatDate(last.run_at)}
            </span>
          </summary>
          <div class="answer">
            {last.answer ? <Markdown text={last.answer} /> : <p class="muted">(no answer)</p>}
            <SourceChips sources={last.sources} />
          </div>
        </details>
      ) : null}
      {onRemove ? (
        <button type="button" class="danger small" onClick={onRemove} aria-label={`Remove the test "${testCase.question}"`}>
          Remove
        </button>
      ) : null}
    </li>
  );
}

// The form for a new test: a question and at least one expectation. The server checks it; its refusal (no
// expectation, a question too long) is shown at the field it names (the expectations as a group), in plain words.
function AddTest({ botId, onAdded }: { botId: string; onAdded: () => void }) {
  const [question, setQuestion] = useState('');
  const [source, setSource] = useState('');
  const [text, setText] = useState('');
  const [decline, setDecline] = useState(false);
  const [problem, setProblem] = useState<FieldProblem | null>(null);
  const [added, setAdded] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const questionInput = useRef<HTMLInputElement>(null);
  const invalid = (field: string) => invalidProps(problem, 'test', field);
  // An expectation's input: invalid for its own refusal, or with the others when none was given.
  const expectation = (field: string) => (problem?.field === 'expectations' ? invalid('expectations') : invalid(field));

  const add = async (event: Event) => {
    event.preventDefault();
    setProblem(null);
    setAdded(null);
    setSaving(true);
    try {
      await api('POST', `/bots/${botId}/tests`, { question, expect_source: source, expect_text: text, expect_decline: decline });
      setAdded(`Added the test "${question}".`);
      setQuestion('');
      setSource('');
      setText('');
      setDecline(false);
      onAdded();
      questionInput.current?.focus(); // ready for the next one
    } catch (failure) {
      setProblem(problemOf(failure));
    } finally {
      setSaving(false);
    }
  };

  return (
    <form class="card add-test" aria-labelledby="add-test-title" onSubmit={add}>
      <h2 id="add-test-title">Add a test</h2>
      <label>
        Question
        <input
          ref={questionInput}
          required
          maxLength={2000}
          value={question}
          placeholder="e.g. How long do I have to return an order?"
          onInput={(e) => setQuestion(e.currentTarget.value)}
          {...invalid('question')}
        />
        <FieldError problem={problem} form="test" field="question" />
      </label>
      <fieldset class="plain" aria-describedby={invalid('expectations')['aria-describedby']}>
        <legend>A good answer (at least one)</legend>
        <FieldError problem={problem} form="test" field="expectations" />
        <div class="test-expectations">
          <label>
            Cites a source whose title or address contains
            <input maxLength={500} value={source} placeholder="e.g. returns.md" onInput={(e) => setSource(e.currentTarget.value)} {...expectation('expect_source')} />
            <FieldError problem={problem} form="test" field="expect_source" />
          </label>
          <label>
            Contains the phrase
            <input maxLength={500} value={text} placeholder="e.g. 30 days" onInput={(e) => setText(e.currentTarget.value)} {...expectation('expect_text')} />
            <FieldError problem={problem} form="test" field="expect_text" />
          </label>
        </div>
        <label class="check">
          <input type="checkbox" checked={decline} onChange={(e) => setDecline(e.currentTarget.checked)} {...invalid('expectations')} />
          Declines: the bot says it cannot answer (for questions outside its knowledge)
        </label>
      </fieldset>
      <Alert message={problem && problem.field === null ? problem.message : null} />
      <Alert message={added} kind="success" />
      <button type="submit" class="primary" disabled={saving}>
        Add test
      </button>
    </form>
  );
}
