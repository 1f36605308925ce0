/**
 * The tree walk both encryption and decryption use (`sops.go` `walkBranch`/`walkSlice`/`walkValue`):
 * depth-first in item order, every document in turn, building a new tree.
 *
 * - The path is the list of mapping keys from the root; list items do not extend it.
 * - AAD = path joined with `:` plus a trailing `:` (a top-level comment: `:`).
 * - The comment stack (see `rules.ts`) holds the texts *as they are in the input*: plaintext while
 *   encrypting, stored text (ENC strings for encrypted comments) while decrypting, exactly as sops.
 * - Null leaves are never visited (nothing to encrypt or hash), but still end a comment run.
 */
import type { Selector } from './rules.js';
import type { Comment, Document, Entry, MapNode, Scalar, SeqNode, Value } from './tree.js';

/** Where a visited item sits. */
export interface WalkContext {
  /** Mapping keys from the document root (the walk's own array: read it during the call, do not keep it). */
  readonly path: readonly string[];
  /** `path.join(':') + ':'`. */
  readonly aad: string;
  /** The selection rule's verdict. */
  readonly encrypted: boolean;
}

/** What to do with leaves and comments; return the replacement. */
export interface WalkVisitor {
  /** Called for every non-null leaf, in file order; returns what replaces it. */
  leaf(value: Exclude<Scalar, { kind: 'null' }>, context: WalkContext): Value;
  /** Called for every comment, in file order; returns what replaces it. */
  comment(comment: Comment, context: WalkContext): Comment;
}

/**
 * Formats an AAD from a path.
 *
 * @param path - mapping keys from the root
 * @returns e.g. `a:b:`, or `:` for the empty path
 */
export function aadOf(path: readonly string[]): string {
  return `${path.join(':')}:`;
}

class Walker {
  /** Per nesting level, the current comment run (mutated in place; handed out read-only). */
  private readonly stack: string[][] = [];
  /** The current path (mutated in place; handed out read-only, valid during a visitor call). */
  private readonly path: string[] = [];

  constructor(
    private readonly selector: Selector,
    private readonly visitor: WalkVisitor,
  ) {}

  /** `prefix`: the AAD of the node's path, `''` for the root (whose AAD is `:`). */
  map(node: MapNode, prefix: string): MapNode {
    const run: string[] = [];
    this.stack.push(run);
    const items: (Entry | Comment)[] = [];
    for (const item of node.items) {
      if (item.kind === 'comment') {
        items.push(this.comment(item, prefix, run));
        continue;
      }
      this.path.push(item.key);
      items.push({ kind: 'entry', key: item.key, value: this.value(item.value, `${prefix}${item.key}:`) });
      this.path.pop();
      run.length = 0;
    }
    this.stack.pop();
    return { kind: 'map', items };
  }

  seq(node: SeqNode, prefix: string): SeqNode {
    const run: string[] = [];
    this.stack.push(run);
    const items: (Value | Comment)[] = [];
    for (const item of node.items) {
      if (item.kind === 'comment') {
        items.push(this.comment(item, prefix, run));
        continue;
      }
      items.push(this.value(item, prefix));
      run.length = 0;
    }
    this.stack.pop();
    return { kind: 'seq', items };
  }

  private comment(comment: Comment, prefix: string, run: string[]): Comment {
    // sops pushes the comment onto the stack before judging it.
    run.push(comment.text);
    const encrypted = this.selector.shouldEncrypt(this.path, this.stack, true);
    return this.visitor.comment(comment, { path: this.path, aad: prefix === '' ? ':' : prefix, encrypted });
  }

  private value(value: Value, prefix: string): Value {
    switch (value.kind) {
      case 'map':
        return this.map(value, prefix);
      case 'seq':
        return this.seq(value, prefix);
      case 'null':
        return value;
      default: {
        const encrypted = this.selector.shouldEncrypt(this.path, this.stack, false);
        return this.visitor.leaf(value, { path: this.path, aad: prefix === '' ? ':' : prefix, encrypted });
      }
    }
  }
}

/**
 * Walks every document of a tree, replacing leaves and comments with what the visitor returns.
 *
 * @param doc - the tree (not modified)
 * @param selector - the compiled selection rules
 * @param visitor - called for every non-null leaf and every comment, in file order
 * @returns the new tree
 */
export function walkDocument(doc: Document, selector: Selector, visitor: WalkVisitor): Document {
  return { branches: doc.branches.map((branch) => new Walker(selector, visitor).map(branch, '')) };
}
