// Regenerates schema/scenario.schema.json from the zod schema (npm run schema).
import { writeFileSync } from 'node:fs';
import { scenarioJsonSchema } from '../src/scenario/schema.js';

writeFileSync(new URL('../schema/scenario.schema.json', import.meta.url), JSON.stringify(scenarioJsonSchema(), null, 2) + '\n');
