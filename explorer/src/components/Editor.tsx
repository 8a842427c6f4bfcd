/**
 * The scenario editor: validated as you type with the library's parser (the CLI's errors, with
 * line and column), the error marked at its line; examples one click away; open and save files.
 * The text is only ever placed in a textarea's value and in text nodes, never parsed as HTML.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { editorText, fileName, loadScenario, parsed } from '../store.ts';
import { DEFAULT_SCENARIO, ScenarioError } from '../lib.ts';
import { EXAMPLES } from '../examples.ts';

export function Editor() {
  const [draft, setDraft] = useState(editorText.value);
  const taRef = useRef<HTMLTextAreaElement>(null);
  const gutRef = useRef<HTMLPreElement>(null);
  const draftRef = useRef(draft);
  draftRef.current = draft;
  useEffect(() => { setDraft(editorText.value); }, [editorText.value]);
  // leaving the editor (another tab) keeps the last keystrokes, even inside the debounce
  useEffect(() => () => { if (draftRef.current !== editorText.value) editorText.value = draftRef.current; }, []);
  useEffect(() => {
    if (draft === editorText.value) return;
    const t = setTimeout(() => { editorText.value = draft; }, 200);
    return () => clearTimeout(t);
  }, [draft]);
  const p = parsed.value;
  const err = !p.ok ? p.error : null;
  const line = err instanceof ScenarioError ? err.line : 0;
  const col = err instanceof ScenarioError ? err.col : 0;
  const lines = draft.split('\n').length;
  const gutter = Array.from({ length: lines }, (_, i) => (i + 1 === line ? `✗ ${i + 1}` : String(i + 1))).join('\n');
  const openFile = async (f: File | undefined) => { if (f) loadScenario(f.name, await f.text()); };
  const save = () => {
    const url = URL.createObjectURL(new Blob([draft], { type: 'text/yaml' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = fileName.value.replace(/^<.*>$/, 'scenario.yaml');
    a.click();
    URL.revokeObjectURL(url);
  };
  return (
    <section class="editor" aria-labelledby="ed-title" data-testid="editor">
      <h2 id="ed-title">Scenario: {fileName.value}</h2>
      <p class="controls">
        <label>Open a file <input type="file" accept=".yaml,.yml,.json" onChange={(e) => openFile((e.target as HTMLInputElement).files?.[0])} /></label>{' '}
        <button type="button" onClick={save}>Save as file</button>{' '}
        <button type="button" onClick={() => loadScenario('default.yaml', DEFAULT_SCENARIO)}>Built-in default</button>
      </p>
      <div class="examples">
        <h3>Examples</h3>
        <ul>
          {EXAMPLES.map((x) => (
            <li key={x.name}><button type="button" data-testid={`example-${x.name}`} onClick={() => loadScenario(x.name, x.text)}>{x.name}</button> <span>{x.description}</span></li>
          ))}
        </ul>
      </div>
      <div class={`code${err ? ' invalid' : ''}`}>
        <pre ref={gutRef} class="gutter" aria-hidden="true" data-testid="gutter">{gutter}</pre>
        <textarea
          ref={taRef}
          data-testid="scenario-text"
          aria-label="Scenario text (YAML or JSON)"
          aria-invalid={err ? 'true' : 'false'}
          aria-describedby="ed-status"
          spellcheck={false}
          value={draft}
          onInput={(e) => setDraft((e.target as HTMLTextAreaElement).value)}
          onBlur={() => { if (draft !== editorText.value) editorText.value = draft; }}
          onScroll={(e) => { if (gutRef.current) gutRef.current.scrollTop = (e.target as HTMLTextAreaElement).scrollTop; }}
        />
      </div>
      <p id="ed-status" role="status" data-testid="editor-status" class={err ? 'bad' : 'good'} data-line={line || undefined}>
        {err ? (err instanceof ScenarioError ? `line ${line}, column ${col}: ${err.where ? err.where + ': ' : ''}${err.rule}` : err.message)
          : draft !== editorText.value ? 'checking…' : 'valid: the maps show this scenario'}
      </p>
      {err instanceof ScenarioError && line > 0 && (
        <p class="err-line" data-testid="error-line">
          <button type="button" onClick={() => {
            const ta = taRef.current;
            if (!ta) return;
            const off = draft.split('\n').slice(0, line - 1).reduce((t, l) => t + l.length + 1, 0) + Math.max(0, col - 1);
            ta.focus();
            ta.setSelectionRange(off, off);
          }}>Go to line {line}</button>{' '}<code>{draft.split('\n')[line - 1] ?? ''}</code>
        </p>
      )}
    </section>
  );
}
