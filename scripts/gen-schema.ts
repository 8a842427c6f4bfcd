// Regenerates schema/scenario.schema.json and schema/size.schema.json from the zod schemas (npm run schema).
import { writeFileSync } from 'node:fs';
import { scenarioJsonSchema } from '../src/scenario/schema.js';
import { sizeJsonSchema } from '../src/answers/schema.js';

writeFileSync(new URL('../schema/scenario.schema.json', import.meta.url), JSON.stringify(scenarioJsonSchema(), null, 2) + '\n');
writeFileSync(new URL('../schema/size.schema.json', import.meta.url), JSON.stringify(sizeJsonSchema(), null, 2) + '\n');
