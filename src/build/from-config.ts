// The config's `build:` block -> the builder's BuildConfig. Targets default to one per node arch.
import type { Config } from '../config/schema.js';
import type { Arch } from '../config/model.js';
import type { BuildConfig } from './types.js';

const DEFAULT_TARGET: Record<Arch, Record<'c' | 'cargo' | 'go' | 'zig', string>> = {
  x86_64: { c: 'x86_64-linux-musl', cargo: 'x86_64-unknown-linux-musl', go: 'x86_64-linux-musl', zig: 'x86_64-linux-musl' },
  aarch64: { c: 'aarch64-linux-musl', cargo: 'aarch64-unknown-linux-musl', go: 'aarch64-linux-musl', zig: 'aarch64-linux-musl' },
};

export function buildConfigOf(config: Config): BuildConfig {
  const b = config.build;
  const arches = [...new Set(config.fleet.nodes.map((n) => n.arch))];
  const sources = b.source === undefined ? [] : Array.isArray(b.source) ? b.source : [b.source];
  switch (b.kind) {
    case 'agent':
      return { kind: 'agent', arches };
    case 'c':
      return { kind: 'c', sources: sources.length ? sources : ['.'], targets: b.targets ?? arches.map((a) => DEFAULT_TARGET[a].c), ...(b.binary && { name: b.binary }), ...(b.flags.length && { cflags: b.flags }) };
    case 'cargo':
      return { kind: 'cargo', targets: b.targets ?? arches.map((a) => DEFAULT_TARGET[a].cargo), ...(b.package && { package: b.package }), ...(b.binary && { bin: b.binary }), ...(sources[0] && { manifestDir: sources[0] }) };
    case 'go':
      return { kind: 'go', targets: b.targets ?? arches.map((a) => DEFAULT_TARGET[a].go), ...(b.package && { package: b.package }), ...(b.binary && { name: b.binary }) };
    case 'zig':
      return { kind: 'zig', targets: b.targets ?? arches.map((a) => DEFAULT_TARGET[a].zig), ...(b.binary && { name: b.binary }), ...(sources[0] && { projectDir: sources[0] }), ...(b.flags.length && { args: b.flags }) };
    case 'prebuilt': {
      const p = b.prebuilt;
      if (!p) throw new Error('build.prebuilt is required for kind prebuilt');
      const target = b.targets?.[0] ?? DEFAULT_TARGET[arches[0] ?? 'x86_64'].c;
      return { kind: 'prebuilt', binaries: [{ target, sha256: p.sha256, ...('url' in p ? { url: p.url } : { path: p.path }) }], ...(b.binary && { name: b.binary }) };
    }
  }
}
