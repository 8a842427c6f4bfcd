/** The page: header (scenario, share), the step strip, and the tabs. */
import { useEffect } from 'preact/hooks';
import { analysis, editorText, fileName, parsed, profileProblem, selection, tab, userProfile, type Tab } from '../store.ts';
import { encodeFragment } from '../share.ts';
import { Compare } from './Compare.tsx';
import { Details } from './Details.tsx';
import { Editor } from './Editor.tsx';
import { Glossary } from './Glossary.tsx';
import { Legend } from './Legend.tsx';
import { PageTableTree } from './PageTableTree.tsx';
import { PhysMap } from './PhysMap.tsx';
import { SizeForms } from './SizeForms.tsx';
import { StepDetail } from './StepDetail.tsx';
import { Timeline } from './Timeline.tsx';
import { VmemMap } from './VmemMap.tsx';

const TABS: [Tab, string, string][] = [
  ['explore', 'Maps', '1'], ['steps', 'Steps', '2'], ['compare', 'Compare', '3'], ['edit', 'Edit', '4'], ['size', 'Size', '5'], ['glossary', 'Glossary', '6'],
];

export function App() {
  const a = analysis.value;
  const p = parsed.value;
  // keep the URL fragment in step with a valid scenario (shareable; fragments never reach a server)
  useEffect(() => {
    if (!p.ok) return;
    let live = true;
    encodeFragment(fileName.value, editorText.value, userProfile.value?.file).then((f) => { if (live) history.replaceState(null, '', `#${f}`); });
    return () => { live = false; };
  }, [p]);
  useEffect(() => { document.title = `${a.file} - vmemmap-lab explorer`; }, [a]);
  useEffect(() => {
    const onKey = (ev: KeyboardEvent) => {
      const t = ev.target as HTMLElement;
      if (t.tagName === 'TEXTAREA' || t.tagName === 'INPUT' || t.tagName === 'SELECT' || ev.ctrlKey || ev.metaKey || ev.altKey) return;
      const hit = TABS.find(([, , k]) => k === ev.key);
      if (hit) { tab.value = hit[0]; ev.preventDefault(); }
      if (ev.key === 'Escape') selection.value = null;
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
  const rep = a.full.report;
  return (
    <div class="app">
      <header>
        <h1>vmemmap-lab explorer</h1>
        <p class="scenario-line" data-testid="scenario-line">
          <strong>{a.file}</strong>: {a.sc.description || '(no description)'} — {rep.arch} {Object.entries(rep.config).map(([k, v]) => `${k}=${v}`).join(' ')}, kernel {rep.kernel}
          {!p.ok && <span class="bad"> (the editor holds an error; showing the last valid scenario)</span>}
          {userProfile.value && <span data-testid="user-profile"> (under your profile {userProfile.value.id}, from {userProfile.value.file.name})</span>}
          {profileProblem.value && <span class="bad" data-testid="profile-problem"> profile: {profileProblem.value}</span>}
        </p>
        <p class="share">
          <button type="button" data-testid="copy-link" onClick={() => navigator.clipboard?.writeText(location.href)}>Copy share link</button>
          <span> The scenario is in this page's address (after #); nothing is sent anywhere.</span>
        </p>
      </header>
      <nav aria-label="Views">
      <div class="tabs" role="tablist" aria-label="Views">
        {TABS.map(([id, label, key]) => (
          <button key={id} type="button" role="tab" id={`tab-${id}`} aria-selected={tab.value === id} aria-controls={`panel-${id}`}
            data-testid={`tab-${id}`} onClick={() => { tab.value = id; }} title={`key ${key}`}>{label} <kbd>{key}</kbd></button>
        ))}
      </div>
      </nav>
      <main>
      <div id={`panel-${tab.value}`} role="tabpanel" aria-labelledby={`tab-${tab.value}`}>
        {tab.value === 'explore' && (
          <div class="explore">
            <Timeline />
            <div class="explore-grid">
              <div class="maps"><PhysMap /><VmemMap /><Legend /><PageTableTree /></div>
              <Details />
            </div>
          </div>
        )}
        {tab.value === 'steps' && <StepDetail />}
        {tab.value === 'compare' && <Compare />}
        {tab.value === 'edit' && <Editor />}
        {tab.value === 'size' && <SizeForms />}
        {tab.value === 'glossary' && <Glossary />}
      </div>
      </main>
    </div>
  );
}
