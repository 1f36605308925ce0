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
  /** Mapping keys from the document root. */
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

  constructor(
    private readonly selector: Selector,
    private readonly visitor: WalkVisitor,
  ) {}

  map(node: MapNode, path: readonly string[]): MapNode {
    const run: string[] = [];
    this.stack.push(run);
    const items: (Entry | Comment)[] = [];
    for (const item of node.items) {
      if (item.kind === 'comment') {
        items.push(this.comment(item, path, run));
        continue;
      }
      items.push({ kind: 'entry', key: item.key, value: this.value(item.value, [...path, item.key]) });
      run.length = 0;
    }
    this.stack.pop();
    return { kind: 'map', items };
  }

  seq(node: SeqNode, path: readonly string[]): SeqNode {
    const run: string[] = [];
    this.stack.push(run);
    const items: (Value | Comment)[] = [];
    for (const item of node.items) {
      if (item.kind === 'comment') {
        items.push(this.comment(item, path, run));
        continue;
      }
      items.push(this.value(item, path));
      run.length = 0;
    }
    this.stack.pop();
    return { kind: 'seq', items };
  }

  private comment(comment: Comment, path: readonly string[], run: string[]): Comment {
    // sops pushes the comment onto the stack before judging it.
    run.push(comment.text);
    const encrypted = this.selector.shouldEncrypt(path, this.stack, true);
    return this.visitor.comment(comment, { path, aad: aadOf(path), encrypted });
  }

  private value(value: Value, path: readonly string[]): Value {
    switch (value.kind) {
      case 'map':
        return this.map(value, path);
      case 'seq':
        return this.seq(value, path);
      case 'null':
        return value;
      default: {
        const encrypted = this.selector.shouldEncrypt(path, this.stack, false);
        return this.visitor.leaf(value, { path, aad: aadOf(path), encrypted });
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
  return { branches: doc.branches.map((branch) => new Walker(selector, visitor).map(branch, [])) };
}
