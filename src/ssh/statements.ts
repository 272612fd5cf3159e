// Splits shell text into top-level statements, each with the line it starts on, so a script can
// be instrumented statement by statement (for "failed at line N"). A small lexer: quotes,
// comments, line continuations, here-documents, and nesting by if/case/loops/braces/parens.
// Pure.

export interface Statement {
  /** 1-based line where the statement starts in the original text. */
  line: number;
  text: string;
}

const OPENERS: Record<string, string> = { if: 'fi', case: 'esac', for: 'done', while: 'done', until: 'done', select: 'done' };
const CLOSERS = new Set(['fi', 'esac', 'done']);
/** Words after which the next word is again in command position. */
const LEADS = new Set(['then', 'do', 'else', 'elif', 'if', 'while', 'until', '!', '{', '(', 'time']);

interface LexState {
  quote: '' | "'" | '"' | '`';
  /** Stack of open constructs, each as its closing word: 'fi' | 'esac' | 'done' | '}' | ')'. */
  stack: string[];
  /** Inside `case ... in`, where the next word is a pattern rather than a command. */
  expectPattern: boolean;
  /** Pending here-doc terminators (in order) and whether leading tabs are stripped. */
  heredocs: { word: string; strip: boolean }[];
  /** The here-document whose body is being read. */
  inHeredoc?: { word: string; strip: boolean } | undefined;
}

const CONTINUING_OPS = new Set(['|', '||', '&&']);

/** Scans one line (not inside a here-doc body) and updates the state. */
function scanLine(line: string, st: LexState): { continued: boolean } {
  let commandPos = st.quote === '' && !st.expectPattern;
  let word = '';
  let lastToken = '';
  const top = () => st.stack[st.stack.length - 1];
  const endWord = () => {
    if (!word) return;
    const w = word;
    word = '';
    lastToken = w;
    if (top() === 'esac' && w === 'esac') {
      st.stack.pop();
      st.expectPattern = false;
    } else if (st.expectPattern) {
      return; // a case pattern is not a command
    } else if (commandPos && OPENERS[w]) st.stack.push(OPENERS[w]!);
    else if (commandPos && (CLOSERS.has(w) || w === '}') && top() === w) st.stack.pop();
    else if (commandPos && w === '{') st.stack.push('}');
    if (w === 'in' && top() === 'esac' && !commandPos) {
      st.expectPattern = true;
      commandPos = false;
      return;
    }
    commandPos = LEADS.has(w);
  };
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (st.quote === "'") {
      if (c === "'") st.quote = '';
      continue;
    }
    if (st.quote === '"' || st.quote === '`') {
      if (c === '\\') i++;
      else if (c === st.quote) st.quote = '';
      continue;
    }
    if (c === '\\') {
      if (i === line.length - 1) {
        endWord();
        return { continued: true };
      }
      word += line.slice(i, i + 2);
      i++;
      continue;
    }
    if (c === "'" || c === '"' || c === '`') {
      st.quote = c;
      word += '"'; // a quoted word is a word, never a keyword
      continue;
    }
    if (c === '#' && word === '') break; // comment to end of line
    if (c === '<' && line[i + 1] === '<' && line[i + 2] !== '<') {
      const m = /^<<(-?)[ \t]*(['"]?)([A-Za-z0-9_]+)\2/.exec(line.slice(i));
      if (m) {
        endWord();
        st.heredocs.push({ word: m[3]!, strip: m[1] === '-' });
        i += m[0].length - 1;
        lastToken = '<<';
        continue;
      }
    }
    if (c === ' ' || c === '\t') {
      endWord();
      continue;
    }
    if (c === ';' || c === '&' || c === '|') {
      endWord();
      let op: string = c;
      if (line[i + 1] === c) {
        op = c + c;
        i++;
      }
      lastToken = op;
      if (op === ';;' || op === ';&') st.expectPattern = top() === 'esac';
      commandPos = !st.expectPattern;
      continue;
    }
    if (c === '(') {
      const dollar = word.endsWith('$');
      endWord();
      if (!st.expectPattern || dollar) st.stack.push(')');
      lastToken = '(';
      commandPos = true;
      continue;
    }
    if (c === ')') {
      endWord();
      if (top() === ')') st.stack.pop();
      else if (st.expectPattern) st.expectPattern = false; // `pattern)` is followed by a command
      lastToken = ')';
      commandPos = true;
      continue;
    }
    word += c;
  }
  endWord();
  return { continued: CONTINUING_OPS.has(lastToken) };
}

/** Splits `text` into top-level statements (blank and comment-only lines are dropped). */
export function splitStatements(text: string): Statement[] {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  const out: Statement[] = [];
  const st: LexState = { quote: '', stack: [], expectPattern: false, heredocs: [] };
  let current: string[] = [];
  let startLine = 0;
  lines.forEach((line, index) => {
    if (current.length === 0) {
      if (line.trim() === '' || /^\s*#/.test(line)) return;
      startLine = index + 1;
    }
    current.push(line);
    if (st.inHeredoc) {
      const candidate = st.inHeredoc.strip ? line.replace(/^\t+/, '') : line;
      if (candidate === st.inHeredoc.word) st.inHeredoc = st.heredocs.shift();
    } else {
      if (scanLine(line, st).continued) return;
      st.inHeredoc = st.heredocs.shift();
    }
    if (st.quote === '' && st.stack.length === 0 && !st.inHeredoc) {
      out.push({ line: startLine, text: current.join('\n') });
      current = [];
    }
  });
  if (current.length > 0) out.push({ line: startLine, text: current.join('\n') });
  return out;
}
