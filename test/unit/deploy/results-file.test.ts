import { describe, expect, it } from 'vitest';
import { replaceSection } from '../../../bench/deploy/results-file.js';

describe('bench/RESULTS.md sections', () => {
  it('creates the file with our section', () => {
    expect(replaceSection('', 'deploy', 'x')).toBe('# Benchmark results\n\n## deploy\n\nx\n');
  });
  it('replaces only our section and keeps the others', () => {
    const before = '# Benchmark results\n\n## lab\n\nlab numbers\n\n## deploy\n\nold\nold2\n\n## build\n\nbuild numbers\n';
    const after = replaceSection(before, 'deploy', 'new');
    expect(after).toBe('# Benchmark results\n\n## lab\n\nlab numbers\n\n## deploy\n\nnew\n\n## build\n\nbuild numbers\n');
  });
  it('appends when missing', () => {
    expect(replaceSection('# R\n\n## lab\n\nx\n', 'deploy', 'y')).toBe('# R\n\n## lab\n\nx\n\n## deploy\n\ny\n');
  });
});
