/** Entry: take a scenario from the URL fragment if there is one, then render. */
import { render } from 'preact';
import { App } from './components/App.tsx';
import { decodeFragment } from './share.ts';
import { loadProfile, loadScenario } from './store.ts';

async function start() {
  const shared = await decodeFragment(location.hash);
  if (shared) {
    loadProfile(shared.profile);
    loadScenario(shared.name, shared.text);
  }
  render(<App />, document.getElementById('app')!);
  document.body.dataset.ready = 'true';
}

window.addEventListener('hashchange', async () => {
  const shared = await decodeFragment(location.hash);
  if (shared) {
    loadProfile(shared.profile);
    loadScenario(shared.name, shared.text);
  }
});

void start();
