import { readFileSync } from 'node:fs';
import { defineMotif } from '@symphony/sdk';
import { createRunMonitor, motifMethods } from '@symphony/stage-motifs';

const manifest = JSON.parse(readFileSync(new URL('./symphony.extension.json', import.meta.url), 'utf8'));
export default defineMotif({ manifest, methods: motifMethods(createRunMonitor({ id: manifest.id })) });
