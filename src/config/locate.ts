// Maps a path inside the parsed data (["fleet","nodes",2,"nat"]) back to its line and column
// in the YAML source, so every config error can name where it is.
import { isMap, isPair, isScalar, isSeq, LineCounter, type Document, type Node } from 'yaml';

export interface SourcePos {
  line: number;
  col: number;
}

type PathKey = string | number;

function childOf(node: unknown, key: PathKey): { value?: Node; key?: Node } | undefined {
  if (isMap(node)) {
    for (const pair of node.items) {
      const k = isScalar(pair.key) ? pair.key.value : pair.key;
      if (String(k) === String(key)) return { value: (pair.value ?? undefined) as Node | undefined, key: pair.key as Node };
    }
    return undefined;
  }
  if (isSeq(node) && typeof key === 'number') {
    const item = node.items[key];
    return item ? { value: item as Node } : undefined;
  }
  return undefined;
}

/**
 * The deepest source position for `path`. With `atKey`, the position of the last key itself
 * (used for unknown keys); otherwise of its value. Falls back to the nearest existing parent.
 */
export function locate(doc: Document, counter: LineCounter, path: PathKey[], atKey = false): SourcePos {
  let node: unknown = doc.contents;
  let pos = offsetOf(node);
  for (let i = 0; i < path.length; i++) {
    const child = childOf(node, path[i] as PathKey);
    if (!child) break;
    const last = i === path.length - 1;
    const target = last && atKey && child.key ? child.key : (child.value ?? child.key);
    const offset = offsetOf(target);
    if (offset !== undefined) pos = offset;
    node = child.value;
  }
  const { line, col } = counter.linePos(pos ?? 0);
  return { line, col };
}

function offsetOf(node: unknown): number | undefined {
  if (node && typeof node === 'object' && 'range' in node) {
    const range = (node as { range?: [number, number, number] | null }).range;
    if (range) return range[0];
  }
  if (isPair(node)) return offsetOf(node.key);
  return undefined;
}
