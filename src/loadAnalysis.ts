// Loads dist/analysis.js (next to the calling bundle by default) on first use; the CLI and the
// extension both go through here.
import { join } from 'node:path';
import type { AnalysisBundle } from './analysisBundle';

let bundle: AnalysisBundle | null = null;

export function loadAnalysis(dir: string = __dirname): AnalysisBundle {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  if (!bundle) bundle = require(join(dir, 'analysis.js')) as AnalysisBundle;
  return bundle;
}
