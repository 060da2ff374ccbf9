// The layer rule: an import may only point down the data path (docs/layers.md).
// It resolves each relative or `@/` import to a repository path and checks it against the table
// in eslint.config.mjs, so `../../lib/store/sql` and `@/lib/store/sql` are the same import.
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');

function target(file, spec) {
  if (spec.startsWith('@/')) return spec.slice(2);
  if (spec.startsWith('.')) return path.relative(root, path.resolve(path.dirname(file), spec)).split(path.sep).join('/');
  return undefined; // a package: node:, npm, or @payscope/instrumentation by name
}

const under = (p, dir) => p === dir || p.startsWith(`${dir}/`);

/** @type {import('eslint').Rule.RuleModule} */
export const layers = {
  meta: {
    type: 'problem',
    docs: { description: 'imports point down the data path' },
    schema: [{ type: 'array' }],
    messages: { back: "{{from}} may not import {{to}}: {{why}}" },
  },
  create(context) {
    const rules = context.options[0] ?? [];
    const file = path.relative(root, context.filename).split(path.sep).join('/');
    // Tests, benchmarks and the fixtures in a `testing/` folder are test tooling.
    const isTest = /\.(test|spec|bench)\.tsx?$/.test(file) || /(^|\/)testing\//.test(file);
    const applying = rules.filter(
      (r) => r.from.some((d) => under(file, d)) && !(isTest && r.testsExempt),
    );
    if (applying.length === 0) return {};
    const check = (node, spec) => {
      if (typeof spec !== 'string') return;
      const to = target(context.filename, spec);
      if (to === undefined) return;
      for (const r of applying) {
        const banned = r.outside ? !r.from.some((d) => under(to, d)) : r.forbid.some((d) => under(to, d));
        if (banned) {
          context.report({ node, messageId: 'back', data: { from: file, to, why: r.why } });
          return;
        }
      }
    };
    return {
      ImportDeclaration: (node) => check(node.source, node.source.value),
      ExportNamedDeclaration: (node) => node.source && check(node.source, node.source.value),
      ExportAllDeclaration: (node) => check(node.source, node.source.value),
      ImportExpression: (node) => node.source.type === 'Literal' && check(node.source, node.source.value),
    };
  },
};
