// dist/analysis.js (the parsers) is loaded on the first gRPC file, not at activation.
import { join } from 'node:path';
import type { AnalysisBundle } from '../analysisBundle';
import { loadAnalysis } from '../loadAnalysis';

export class AnalysisLoader {
  constructor(private readonly extensionPath: string) {}

  get(): AnalysisBundle {
    return loadAnalysis(join(this.extensionPath, 'dist'));
  }
}
