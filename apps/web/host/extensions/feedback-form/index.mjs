// A small motif whose form handler runs here, in the extension's worker thread: the browser only
// sends { type: 'submit', values } with the handler id, and gets patches back.
import { readFileSync } from 'node:fs';
import { isMainThread, threadId } from 'node:worker_threads';
import { defineMotif } from '@symphony/sdk';
import { createMotif, motifMethods } from '@symphony/stage-motifs';
import { ui } from '@symphony/vdom';

const manifest = JSON.parse(readFileSync(new URL('./symphony.extension.json', import.meta.url), 'utf8'));
const ratings = ['1', '2', '3', '4', '5'].map((v) => ({ value: v, label: `${v} / 5` }));

const motif = createMotif({
  id: manifest.id,
  title: 'Feedback',
  panels: {
    form: {
      title: 'Feedback form',
      description: "A form whose submit handler runs in the extension's worker",
      initialState: () => ({ submissions: [], error: null, confirming: false }),
      render: ({ state, setState }) => ui.stack({ gap: 4 },
        ui.card({ title: 'Send feedback', description: `Handled by ${manifest.id} in ${isMainThread ? 'the main thread' : `worker thread ${threadId}`}` },
          ui.form({
            onSubmit: ({ values = {} }) => {
              const name = String(values.name ?? '').trim();
              if (!name) return setState((s) => ({ ...s, error: 'Please enter your name.' }));
              setState((s) => ({
                error: null,
                submissions: [...s.submissions, { name, rating: String(values.rating ?? ''), subscribe: values.subscribe === true, message: String(values.message ?? '') }],
              }));
            },
          },
          ui.stack({ gap: 3 },
            ui.input({ name: 'name', label: 'Name', placeholder: 'Ada Lovelace' }),
            ui.select({ name: 'rating', label: 'Rating', value: '5', options: ratings }),
            ui.textarea({ name: 'message', label: 'Message', placeholder: 'What should we improve?', rows: 3 }),
            ui.checkbox({ name: 'subscribe', label: 'Keep me posted' }),
            ui.stack({ direction: 'row', gap: 2 }, ui.button({ type: 'submit' }, 'Submit'))))),
        state.error ? ui.alert({ key: 'error', tone: 'destructive', title: 'Missing name' }, state.error) : null,
        ui.stack({ key: 'results', gap: 2 }, ...state.submissions.map((s, i) => ui.alert({ key: `s${i}`, tone: 'success', title: `Thanks, ${s.name}!` },
          `Rating ${s.rating}/5${s.subscribe ? ', subscribed' : ''}: ${s.message || '(no message)'}`))),
        ui.badge({ key: 'count', tone: 'outline' }, `${state.submissions.length} submission${state.submissions.length === 1 ? '' : 's'}`),
        // A modal dialog asks before the submissions go.
        ui.stack({ key: 'clear', direction: 'row', gap: 2 }, ui.button({ variant: 'outline', onClick: () => setState((s) => ({ ...s, confirming: true })) }, 'Clear submissions')),
        ui.dialog({ key: 'confirm', open: state.confirming === true, title: 'Clear every submission?', description: 'They are kept nowhere else.', onOpenChange: ({ value }) => setState((s) => ({ ...s, confirming: value === true })) },
          ui.stack({ direction: 'row', gap: 2 },
            ui.button({ variant: 'destructive', onClick: () => setState((s) => ({ ...s, submissions: [], confirming: false })) }, 'Clear'),
            ui.button({ variant: 'outline', onClick: () => setState((s) => ({ ...s, confirming: false })) }, 'Keep them')))),
    },
    // Shows what a mistake in an extension looks like: the render fails at the extension's side
    // with the node's path, and the app shows that error instead of a blank panel.
    broken: {
      title: 'Invalid panel',
      description: 'Renders a component that is not in the allowlist',
      initialState: () => ({}),
      render: () => ui.stack(null, ui.card({ title: 'Fine so far' }, ui.text(null, 'ok')), ui.card(null, { type: 'Marquee', props: {}, children: [] })),
    },
  },
});

export default defineMotif({ manifest, methods: motifMethods(motif) });
