// "Check my installation": the owner enters a page of their site; the server says whether the widget can load there
// (is the site among the allowed domains?) and whether the page carries this bot's script tag
// (POST /bots/{id}/installation-check, api/installation_routes.cpp).
import { useState } from 'preact/hooks';
import { api } from './api';
import { FieldError, invalidProps, problemOf, type FieldProblem } from './fields';

export interface InstallationResult {
  url: string;
  origin: string;
  allowed: boolean;
  ok: boolean;
  domain_message: string;
  suggested_domain?: string;
  page: { fetched: boolean; snippet?: 'found' | 'missing' | 'other_bot'; message: string; error?: string };
}

export function InstallationCheck({ botId, onAddDomain }: { botId: string; onAddDomain: (domain: string) => void }) {
  const [url, setUrl] = useState('');
  const [result, setResult] = useState<InstallationResult | null>(null);
  const [problem, setProblem] = useState<FieldProblem | null>(null);
  const [busy, setBusy] = useState(false);
  const [added, setAdded] = useState(false);

  const check = async () => {
    setProblem(null);
    setResult(null);
    setAdded(false);
    setBusy(true);
    try {
      setResult(await api<InstallationResult>('POST', `/bots/${botId}/installation-check`, { url }));
    } catch (failure) {
      const found = problemOf(failure);
      setProblem({ field: 'url', message: found.message });
    } finally {
      setBusy(false);
    }
  };

  return (
    <div class="install-check" role="group" aria-labelledby="install-check-title">
      <h3 id="install-check-title">Check my installation</h3>
      <div class="row">
        <div class="field grow">
        <label>
          A page of your site where the chat should appear
          <input
            type="url"
            inputMode="url"
            value={url}
            placeholder="https://www.example.com/contact"
            onInput={(e) => setUrl(e.currentTarget.value)}
            onKeyDown={(e) => {
              if (e.key === 'Enter') {
                e.preventDefault();
                void check();
              }
            }}
            {...invalidProps(problem, 'install', 'url')}
          />
        </label>
        <FieldError problem={problem} form="install" field="url" />
        </div>
        <button type="button" disabled={busy || !url.trim()} onClick={check}>
          {busy ? 'Checking…' : 'Check my installation'}
        </button>
      </div>
      {result ? (
        <div class={`alert ${result.ok ? 'alert-success' : 'alert-error'}`} role="status" aria-label="Installation check">
          <p class="install-verdict">{result.ok ? `The chat can load on ${result.url}.` : `The chat will not show on ${result.url}.`}</p>
          <ul>
            <li>{result.domain_message}</li>
            <li>{result.page.message}</li>
          </ul>
          {!result.allowed && result.suggested_domain ? (
            added ? (
              <p>Added {result.suggested_domain} to the allowed domains: save the changes to apply it.</p>
            ) : (
              <button
                type="button"
                onClick={() => {
                  onAddDomain(result.suggested_domain!);
                  setAdded(true);
                }}
              >
                Add {result.suggested_domain} to the allowed domains
              </button>
            )
          ) : null}
        </div>
      ) : null}
    </div>
  );
}
