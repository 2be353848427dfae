import { readFileSync } from 'node:fs';
import { defineMotif } from '@symphony/sdk';
import { createArtifactBrowser, motifMethods } from '@symphony/stage-motifs';

const manifest = JSON.parse(readFileSync(new URL('./symphony.extension.json', import.meta.url), 'utf8'));
export default defineMotif({ manifest, methods: motifMethods(createArtifactBrowser({ id: manifest.id })) });
