import { describe, expect, it } from 'vitest';
import { operationsFor } from '../../../src/ssh/pool.js';

describe('SSH pool sizing', () => {
  it('lets every node of a big fleet run its round command at once', () => {
    expect(operationsFor(6)).toBe(64);
    expect(operationsFor(100)).toBeGreaterThanOrEqual(100);
    expect(operationsFor(200)).toBeGreaterThanOrEqual(200);
  });
});
