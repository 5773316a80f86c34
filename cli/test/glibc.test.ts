import { compareVersions, highestGlibcIn } from '@ferrule/toolchain/glibc';
import { describe, expect, it } from 'vitest';

describe('version order', () => {
  it('compares dotted versions by number, with missing parts as zero', () => {
    expect(compareVersions('2.9', '2.26')).toBeLessThan(0);
    expect(compareVersions('2.34', '2.26')).toBeGreaterThan(0);
    expect(compareVersions('1.79', '1.79.0')).toBe(0);
    expect(compareVersions('0.22.2', '0.22.10')).toBeLessThan(0);
  });

  it('sorts a text without a version first', () => {
    expect(compareVersions('unknown', '2.26')).toBeLessThan(0);
    expect(compareVersions('2.26', 'unknown')).toBeGreaterThan(0);
  });

  it('finds the highest GLIBC symbol version in objdump output', () => {
    const output = [
      '0 DF *UND* GLIBC_2.2.5 malloc',
      '0 DF *UND* GLIBC_2.34 pthread_create',
      '0 DF GLIBC_2.28 x',
    ];
    expect(highestGlibcIn(output.join('\n'))).toBe('2.34');
    expect(highestGlibcIn('no dynamic symbols')).toBeUndefined();
  });
});
