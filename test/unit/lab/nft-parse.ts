// A small reader of the rulesets our renderers emit (one table, chains with a header line and
// one rule per line), so tests check structure rather than snapshots.
export interface ParsedChain {
  name: string;
  type: string;
  hook: string;
  priority: string;
  policy: string;
  rules: string[];
}

export interface ParsedTable {
  family: string;
  name: string;
  maps: Record<string, string[]>;
  sets: Record<string, string[]>;
  chains: Record<string, ParsedChain>;
}

export function parseRuleset(text: string): ParsedTable {
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  const head = /^table (\w+) (\w+) \{$/.exec(lines[0] ?? '');
  if (!head || lines[lines.length - 1] !== '}') throw new Error(`not a single table: ${text}`);
  const table: ParsedTable = { family: head[1] as string, name: head[2] as string, maps: {}, sets: {}, chains: {} };
  let block: { kind: string; name: string; body: string[] } | undefined;
  for (const line of lines.slice(1, -1)) {
    const open = /^(chain|map|set) (\S+) \{$/.exec(line);
    if (open) {
      if (block) throw new Error(`nested block at "${line}"`);
      block = { kind: open[1] as string, name: open[2] as string, body: [] };
      continue;
    }
    if (line === '}') {
      if (!block) throw new Error('unbalanced }');
      if (block.kind === 'map') table.maps[block.name] = block.body;
      else if (block.kind === 'set') table.sets[block.name] = block.body;
      else {
        const header = /^type (\w+) hook (\w+) priority (.+?); policy (\w+);$/.exec(block.body[0] ?? '');
        if (!header) throw new Error(`chain ${block.name} lacks a base-chain header: ${block.body[0]}`);
        table.chains[block.name] = {
          name: block.name, type: header[1] as string, hook: header[2] as string, priority: header[3] as string,
          policy: header[4] as string, rules: block.body.slice(1),
        };
      }
      block = undefined;
      continue;
    }
    if (!block) throw new Error(`statement outside a block: ${line}`);
    block.body.push(line);
  }
  return table;
}

export function chainByHook(table: ParsedTable, hook: string, type?: string): ParsedChain[] {
  return Object.values(table.chains).filter((c) => c.hook === hook && (!type || c.type === type));
}
